"""Issue 11: failed logins are counted in the database, so that several workers (here: two
applications on one database) and a restart share one count; no address is stored.

Run on SQLite and, when a server answers, on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text, update
from sqlmodel import Session, SQLModel, select

from app.auth import passwords
from app.auth.models import CuratorUser, LoginThrottle, Role
from app.auth.service import LoginOutcome, authenticate, create_user
from app.auth.throttle import purge
from app.main import create_app
from tests.test_curators import (
    CURATOR,
    LOCKED,
    LOGIN_FAILED,
    SECRET,
    cheap_hashing,  # noqa: F401  (fixture)
    db_url,  # noqa: F401  (fixture: SQLite, and PostgreSQL when a server answers)
    login,
    make_settings,
    visible_text,
)

UNKNOWN = "niemand@gemeente.be"
WAIT = "Te veel pogingen in korte tijd"


class Workers:
    """Two applications on one database, as two gunicorn workers are."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url, self.tmp_path = url, tmp_path
        self.apps = [create_app(make_settings(url, tmp_path)) for _ in range(2)]
        self.clients = [TestClient(app, raise_server_exceptions=False) for app in self.apps]

    def restart(self) -> TestClient:
        """A third worker, started after the others counted."""
        app = create_app(make_settings(self.url, self.tmp_path))
        self.apps.append(app)
        client = TestClient(app, raise_server_exceptions=False)
        self.clients.append(client.__enter__())
        return client

    def session(self) -> Session:
        return Session(self.apps[0].state.engine)

    def rows(self) -> list[LoginThrottle]:
        with self.session() as session:
            return list(session.exec(select(LoginThrottle)))

    def age(self, table: str, column: str, hours: float) -> None:
        """Move every stored `column` of `table` back by `hours`."""
        t = SQLModel.metadata.tables[table]
        with self.session() as session:
            conn = session.connection()
            for (value,) in conn.execute(select(t.c[column]).distinct()).all():
                if value is None:
                    continue
                moment = value if value.tzinfo else value.replace(tzinfo=UTC)
                earlier = moment - timedelta(hours=hours)
                conn.execute(update(t).where(t.c[column] == value).values({column: earlier}))
            session.commit()


@pytest.fixture
def workers(db_url: str, tmp_path: Path, cheap_hashing: None) -> Iterator[Workers]:  # noqa: F811
    w = Workers(db_url, tmp_path)
    for client in w.clients:
        client.__enter__()
    with w.session() as session:
        create_user(session, email=CURATOR[0], password=CURATOR[1], role=Role.CURATOR)
    yield w
    for client in w.clients:
        client.__exit__(None, None, None)
    for app in w.apps:
        app.state.engine.dispose()


def message(r: Response) -> str:
    found = re.search(r'id="login-error">([^<]*)<', r.text)
    assert found, r.text
    return found.group(1)


def test_two_workers_share_the_count_of_an_unknown_address_and_a_restart_keeps_it(
    workers: Workers,
) -> None:
    one, two = workers.clients
    answers = [login(one if n % 2 else two, UNKNOWN, f"gok nummer {n:04}") for n in range(5)]
    assert [LOGIN_FAILED in visible_text(r.text) for r in answers] == [True] * 4 + [False]
    assert LOCKED in visible_text(answers[4].text)
    for client in (one, two, workers.restart()):
        assert LOCKED in visible_text(login(client, UNKNOWN, "nog een gok").text)


def test_known_and_unknown_addresses_answer_alike_at_every_step(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same status, same message, and one password hash checked per attempt."""
    hasher = passwords._hasher()
    checks: list[str] = []
    monkeypatch.setattr(
        passwords,
        "_hasher",
        lambda: type(
            "Counting",
            (),
            {
                "verify": lambda _, p, h: checks.append("v") or hasher.verify(p, h),
                "verify_and_update": lambda _, p, h: (
                    checks.append("v") or hasher.verify_and_update(p, h)
                ),
                "hash": lambda _, p: hasher.hash(p),
            },
        )(),
    )
    one, two = workers.clients
    for n in range(7):
        client = one if n % 2 else two
        known = login(client, CURATOR[0], f"fout wachtwoord {n:04}")
        unknown = login(client, UNKNOWN, f"fout wachtwoord {n:04}")
        assert known.status_code == unknown.status_code == 403
        assert message(known) == message(unknown)
        assert (LOCKED in message(known)) is (n >= 4)
    assert checks == ["v"] * 14


def test_the_table_holds_no_address_and_forgets_old_failures(workers: Workers) -> None:
    one, _ = workers.clients
    for n in range(3):
        login(one, UNKNOWN, f"gok {n:04} lang genoeg")
    rows = workers.rows()
    assert len(rows) == 2  # the address and the client
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row.key)
        assert UNKNOWN not in row.key and "testclient" not in row.key
    with workers.session() as session:
        dump = repr(session.connection().execute(text("SELECT * FROM login_throttle")).all())
    assert UNKNOWN not in dump and "niemand" not in dump
    # A day later the failures are forgotten: the row is purged and two more do not lock.
    workers.age("login_throttle", "updated_at", hours=25)
    with workers.session() as session:
        assert purge(session, datetime.now(UTC)) == 2
        session.commit()
    assert workers.rows() == []
    for n in range(4):
        assert LOGIN_FAILED in visible_text(login(one, UNKNOWN, f"gok {n:04} weer").text)


def test_a_lockout_is_not_purged_while_it_runs(workers: Workers) -> None:
    one, _ = workers.clients
    for n in range(5):
        login(one, UNKNOWN, f"gok {n:04} lang genoeg")
    with workers.session() as session:
        later = datetime.now(UTC) + timedelta(days=2)
        session.connection().execute(
            update(LoginThrottle.__table__)  # type: ignore[attr-defined]
            .where(LoginThrottle.__table__.c.locked_until.is_not(None))  # type: ignore[attr-defined]
            .values(locked_until=later)
        )
        session.commit()
    workers.age("login_throttle", "updated_at", hours=25)
    with workers.session() as session:
        assert purge(session, datetime.now(UTC)) == 1  # the client's count only
        session.commit()
    assert LOCKED in visible_text(login(one, UNKNOWN, "nog een gok").text)


def test_an_account_forgets_a_run_of_failures_a_day_old_as_well(workers: Workers) -> None:
    one, _ = workers.clients
    for n in range(4):
        login(one, CURATOR[0], f"fout wachtwoord {n:04}")
    workers.age("curator_user", "last_failed_at", hours=25)
    r = login(one, CURATOR[0], "fout wachtwoord 0005")
    assert LOGIN_FAILED in visible_text(r.text)
    with workers.session() as session:
        user = session.exec(select(CuratorUser)).one()
        assert (user.failed_logins, user.locked_until) == (1, None)


def test_one_client_that_fails_too_often_waits_on_every_worker(workers: Workers) -> None:
    """20 failures (4 × the limit of one address), spread over addresses and workers."""
    one, two = workers.clients
    for n in range(20):
        r = login(one if n % 2 else two, f"adres{n}@gemeente.be", "wachtwoord123456")
        assert r.status_code == 403
    for client in (one, two):
        r = login(client, *CURATOR)  # even the right password waits
        assert r.status_code == 429 and WAIT in visible_text(r.text)
        assert 800 < int(r.headers["retry-after"]) <= 900


def test_failures_sent_at_once_are_all_counted(workers: Workers) -> None:
    """Five guesses at the same moment from five threads: the fifth (whichever) locks."""
    start = threading.Barrier(5)

    def guess(n: int) -> LoginOutcome:
        with Session(workers.apps[n % 2].state.engine) as session:
            start.wait()
            return authenticate(
                session,
                UNKNOWN,
                f"gok nummer {n}",
                max_failures=5,
                lockout=timedelta(minutes=15),
                secret=SECRET.encode(),
            ).outcome

    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(guess, range(5)))
    assert sorted(outcomes) == sorted([LoginOutcome.FAILED] * 4 + [LoginOutcome.LOCKED])
    assert LOCKED in visible_text(login(workers.clients[0], UNKNOWN, "nog een gok").text)
