"""`python -m app serve` in a subprocess on a free port, for tests of the real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.core.config import REPO_ROOT

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
LOG_TIMEOUT_S = 30.0


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_once_counted(self, text: str, count: int) -> str:
        return log_once_counted(self.log, text, count)


def log_once_counted(log: Callable[[], str], text: str, count: int) -> str:
    """The log once `text` shows `count` times, or as it is after LOG_TIMEOUT_S.

    Ready is not the same as fully started: under gunicorn the first worker may answer
    /readyz before the second has written "Booting worker" (seen on a loaded 2-core CI).
    """
    deadline = time.monotonic() + LOG_TIMEOUT_S
    while (current := log()).count(text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return current


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(database_url: str, log_path: Path, *args: str, **env: str) -> Iterator[Server]:
    """Start the server, wait until /readyz answers 200, yield it; stop it with SIGTERM."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY",)}
    environ.update(env, DATABASE_URL=database_url)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=REPO_ROOT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {process.returncode}:\n{server.log()}"
                )
            try:
                if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serving_with_curator(
    workdir: Path, email: str, password: str, secret: str, display_name: str = ""
) -> Iterator[Server]:
    """`serving` on a new database in `workdir` (the shipped catalogue) with one curator,
    made by the app's own service, and a fixed secret key."""
    from sqlmodel import Session

    from app.auth.models import Role
    from app.auth.service import create_user
    from app.core.db import init_db, make_engine

    url = f"sqlite:///{workdir / 'app.db'}"
    engine = make_engine(url)
    init_db(engine)
    with Session(engine) as session:
        create_user(
            session, email=email, password=password, role=Role.CURATOR, display_name=display_name
        )
    engine.dispose()
    env = {"SECRET_KEY": secret, "SECRET_KEY_FILE": str(workdir / "secret_key")}
    with serving(url, workdir / "server.log", **env) as running:
        yield running
