"""Database engine and sessions (SQLite by default, PostgreSQL through DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine


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

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

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


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration (app/migrations), creating it when empty."""
    from app.migrations import upgrade

    upgrade(engine)


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
