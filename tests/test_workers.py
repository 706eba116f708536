"""`python -m app serve --workers N`: the database is prepared once, before the workers start."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.catalogue.csvio import parse_csv
from app.core.db import make_engine
from tests import test_postgres
from tests.conftest import CATALOGUE_CSV, sqlite_url
from tests.serving import serving

pg_url = test_postgres.pg_url

SHIPPED = len(parse_csv(CATALOGUE_CSV.read_text(encoding="utf-8")))


def count_initiatives(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM initiative")).scalar_one())
    finally:
        engine.dispose()


def assert_seeded_once(database_url: str, log_path: Path) -> None:
    with serving(database_url, log_path, "--workers", "2") as server:
        assert server.log_once_counted("Booting worker", 2).count("Booting worker") == 2
        # Either worker may answer: ask on new connections, a few times.
        for _ in range(6):
            r = httpx.get(f"{server.url}/api/v1/initiatives", headers={"Connection": "close"})
            assert r.json()["total"] == SHIPPED
    assert count_initiatives(database_url) == SHIPPED
    assert server.log().count("seeded the catalogue") == 1


# The old race seeded twice in about half the tries: two tries here and one on PostgreSQL
# catch it nearly nine times in ten, at a third of the suite time that six tries took.
@pytest.mark.parametrize("attempt", range(2))
def test_two_workers_seed_an_empty_sqlite_database_once(tmp_path: Path, attempt: int) -> None:
    assert_seeded_once(sqlite_url(tmp_path / "empty.db"), tmp_path / "server.log")


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(1))
def test_two_workers_seed_an_empty_postgres_database_once(
    pg_url: str, tmp_path: Path, attempt: int
) -> None:
    assert_seeded_once(pg_url, tmp_path / "server.log")


def test_web_concurrency_sets_the_workers(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "app.db")
    with serving(url, tmp_path / "server.log", WEB_CONCURRENCY="2") as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        assert server.log_once_counted("Booting worker", 2).count("Booting worker") == 2
    assert server.process.returncode == 0


def test_workers_option_wins_over_web_concurrency(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "app.db")
    with serving(url, tmp_path / "server.log", "--workers", "1", WEB_CONCURRENCY="2") as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        # One worker is plain uvicorn in this process.
        assert "Booting worker" not in server.log()
    assert count_initiatives(url) == SHIPPED


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_an_interrupted_master_stops_its_workers(tmp_path: Path) -> None:
    """SIGINT (or SIGQUIT) to the master alone, as `kill -INT` or a test does: the workers
    stop too. They used to keep serving (uvicorn's worker ignores gunicorn's SIGQUIT), and
    when the master was then killed they lived on as orphans holding the port."""
    url = sqlite_url(tmp_path / "app.db")
    with serving(url, tmp_path / "server.log", "--workers", "2") as server:
        # Ready is one worker answering; the second may still be starting.
        server.log_once_counted("Booting worker", 2)
        workers = _children(server.process.pid)
        assert len(workers) == 2
        server.process.send_signal(signal.SIGINT)
        server.process.wait(25)  # gunicorn's own limit is 30 s; a hang fails here
        deadline = time.monotonic() + 10
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(w) for w in workers)
