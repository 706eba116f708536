"""Database engine and sessions (SQLite by default, PostgreSQL through DATABASE_URL).

SQLite runs in WAL mode: readers keep the last committed state while a writer works, so a
long import does not make web requests fail with "database is locked"; a writer that finds
the database busy waits (busy_timeout) instead of failing at once. `begin_exclusive` lets a
job such as an import run as the only one of its kind, on either database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

# How long a SQLite statement waits for another connection's write lock before it fails.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long `begin_exclusive` waits on SQLite for another writer (an import) to finish:
# PostgreSQL's advisory lock waits as long as it takes; this is the same in practice.
SQLITE_EXCLUSIVE_WAIT_MS = 600_000


def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Kept in the file once set; an in-memory database answers "memory" and stays so.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine; for a SQLite file, make sure its folder exists."""
    if url.startswith("sqlite"):
        kwargs: dict[str, object] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class DatabaseURLError(Exception):
    """DATABASE_URL is malformed or names a database that cannot be reached."""


EXAMPLE_URLS = "e.g. sqlite:///instance/app.db or postgresql+psycopg://user@host/name"


def check_database(url: str) -> None:
    """Connect once, or raise a DatabaseURLError whose message is one line naming DATABASE_URL.

    The password is hidden and a URL that does not parse is not repeated: it may hold one.
    """
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise DatabaseURLError(f"DATABASE_URL is not a database URL ({EXAMPLE_URLS})") from None
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseURLError(
            f"DATABASE_URL {shown}: unknown database kind or driver ({type(exc).__name__}; "
            f"{EXAMPLE_URLS})"
        ) from None
    except OSError as exc:
        raise DatabaseURLError(
            f"DATABASE_URL {shown}: cannot create its folder ({exc.strerror})"
        ) from None
    try:
        with engine.connect():
            pass
    except (DBAPIError, OSError) as exc:
        reason = type(getattr(exc, "orig", None) or exc).__name__
        raise DatabaseURLError(f"DATABASE_URL {shown}: cannot connect ({reason})") from None
    finally:
        engine.dispose()


def begin_exclusive(session: Session, lock_key: int) -> None:
    """Start the session's transaction as the only one holding `lock_key` until it commits
    or rolls back; another caller waits here for its turn.

    PostgreSQL: a transaction-scoped advisory lock on `lock_key`. SQLite: BEGIN IMMEDIATE,
    which takes the database's one write lock (so the key needs no separate lock). Readers
    are not held up on either: they see the state before this transaction until it commits.
    Call it before the session reads anything that the transaction relies on.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
    elif conn.dialect.name == "sqlite":
        dbapi_conn = conn.connection.dbapi_connection
        # pysqlite opens a transaction itself only before a write; after one, this
        # connection already holds the write lock.
        if dbapi_conn is not None and not dbapi_conn.in_transaction:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_EXCLUSIVE_WAIT_MS}")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration (app/migrations), creating it when empty."""
    from app.migrations import upgrade

    upgrade(engine)


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
