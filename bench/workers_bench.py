"""The real server with 1 and 2 worker processes: `python -m bench.workers_bench`.

Starts `python -m app serve --workers N` in a subprocess (a temporary SQLite database,
seeded), then eight concurrent keep-alive clients (one connection each) send requests to
an async trivial route and to POST /api/v1/advice. Prints requests per second, p95 latency
and how the eight connections were spread over the worker processes (from `ss`, when
present). With --uvicorn-reference it also measures `uvicorn --workers 2`, the set-up the
Dockerfile used before (its socket lacks TCP_NODELAY).

Nothing here asserts anything about time. The clients run in this process: on a machine
with few CPUs they compete with the workers, so read the figures side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.core.config import REPO_ROOT
from bench.asgi_bench import ADVICE_PATH, BODIES, JSON_HEADERS, check
from bench.stats import Summary, summarise

CONCURRENCY = 8
# An async route that touches neither the database nor the thread pool.
TRIVIAL_PATH = "/intake/scale/score"
STARTUP_TIMEOUT_S = 60.0
Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], database: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `command` (with {port} filled in) against `database`; yield its URL when ready."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    args = [part.format(port=port) for part in command]
    process = subprocess.Popen(
        args, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(args)} exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(args)} did not start")
            time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _trivial(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.get(TRIVIAL_PATH)


async def _advice(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.post(ADVICE_PATH, content=BODIES[i % len(BODIES)], headers=JSON_HEADERS)


async def _block(label: str, clients: list[httpx.AsyncClient], send: Send, n: int) -> Summary:
    samples: list[int] = []
    counter = iter(range(n))
    clock = time.perf_counter_ns

    async def one_client(client: httpx.AsyncClient) -> None:
        for i in counter:
            t0 = clock()
            response = await send(client, i)
            samples.append(clock() - t0)
            check(response)

    begin = clock()
    await asyncio.gather(*(one_client(c) for c in clients))
    return summarise(label, samples, clock() - begin)


def _connections_per_process(port: int) -> str:
    """How many of the established connections to `port` each server process holds."""
    if shutil.which("ss") is None:
        return "?"
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    pids = Counter(
        part.split("pid=", 1)[1].split(",", 1)[0] for part in out.split() if "pid=" in part
    )
    return "+".join(str(n) for n in sorted(pids.values(), reverse=True)) or "?"


async def measure(url: str, n: int) -> tuple[Summary, Summary, str]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=url, limits=limits, timeout=30) for _ in range(CONCURRENCY)
    ]
    try:
        await _block("warm-up", clients, _trivial, CONCURRENCY * 10)
        await _block("warm-up", clients, _advice, CONCURRENCY * 10)
        spread = _connections_per_process(int(url.rsplit(":", 1)[1]))
        trivial = await _block(f"GET {TRIVIAL_PATH}", clients, _trivial, n)
        advice = await _block(f"POST {ADVICE_PATH}", clients, _advice, n)
    finally:
        for client in clients:
            await client.aclose()
    return trivial, advice, spread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers_bench", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per route (default 2000)")
    parser.add_argument("--workers", default="1,2", help="worker counts (default 1,2)")
    parser.add_argument(
        "--uvicorn-reference", action="store_true", help="also measure `uvicorn --workers 2`"
    )
    args = parser.parse_args(argv)
    python = sys.executable
    setups = [
        (f"serve --workers {w}", [python, "-m", "app", "serve", "--port", "{port}", "--workers", w])
        for w in args.workers.split(",")
    ]
    if args.uvicorn_reference:
        setups.append(
            (
                "uvicorn --workers 2 (before)",
                [python, "-m", "uvicorn", "app.main:app", "--port", "{port}", "--workers", "2",
                 "--no-access-log", "--log-level", "warning"],
            )
        )  # fmt: skip
    print(f"{CONCURRENCY} keep-alive clients, {args.requests} requests per route, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    header = f"{'set-up':30} {'route':24} {'req/s':>8} {'p95 ms':>8} {'conns/worker':>13}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        database = Path(tmp) / "bench.db"
        for label, command in setups:
            with server(command, database) as (url, _process):
                trivial, advice, spread = asyncio.run(measure(url, args.requests))
            for summary in (trivial, advice):
                route = summary.label.split(" ", 1)[1]
                print(
                    f"{label:30} {route:24} {summary.per_second:8.0f} "
                    f"{summary.p95_us / 1000:8.1f} {spread:>13}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
