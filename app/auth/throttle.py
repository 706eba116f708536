"""Failed logins counted in the database (table login_throttle), so that every worker of
every server sees one count and a restart forgets nothing.

Two kinds of key: an e-mail address without an (active) account, which locks out exactly
as an account does (app.auth.service.authenticate), and a client's network address, which
after many failures in a row must wait. Each key is an HMAC-SHA256 of the address with the
application's secret: the table holds no e-mail or IP address, and without the secret
nobody can test whether an address is in it. Every count is one INSERT … ON CONFLICT DO
UPDATE … RETURNING, so failures sent at once to different workers are all counted.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.auth.models import LoginThrottle, normalise_email

# A run of failures with a pause longer than this is forgotten (for accounts too), and a
# row untouched this long and not locked is deleted.
FORGET_AFTER = timedelta(hours=24)
# A client may fail this many times as often as one address before it has to wait: a few
# colleagues behind one office address mistyping now and then stay well below it.
CLIENT_FACTOR = 4


def _table() -> Any:
    return LoginThrottle.__table__  # type: ignore[attr-defined]


def _key(secret: bytes, kind: str, value: str) -> str:
    return hmac.new(secret, f"login-throttle|{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def address_key(secret: bytes, email: str) -> str:
    return _key(secret, "address", normalise_email(email))


def client_key(secret: bytes, host: str) -> str:
    return _key(secret, "client", host)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    """Until when this key is locked, or None when it is not (now)."""
    t = _table()
    found = session.connection().execute(
        select(t.c.locked_until).where(t.c.key == key, t.c.locked_until > now)
    )
    until = found.scalar_one_or_none()
    return _as_utc(until) if until is not None else None


def count_failure(
    session: Session,
    key: str,
    now: datetime,
    *,
    max_failures: int,
    lockout: timedelta,
    forget_after: timedelta = FORGET_AFTER,
) -> bool:
    """Count one failure of `key` (a run with a pause over `forget_after`, or one that
    ended in a lock-out, starts again at one); lock the key for `lockout` when it reaches
    `max_failures`. True when this failure starts a lock-out. Does not commit."""
    t = _table()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    fresh = insert(t).values(key=key, failures=1, locked_until=None, updated_at=now)
    restart = (t.c.updated_at < now - forget_after) | (t.c.locked_until <= now)
    statement = fresh.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={
            "failures": case((restart, 1), else_=t.c.failures + 1),
            "locked_until": case((t.c.locked_until <= now, None), else_=t.c.locked_until),
            "updated_at": now,
        },
    ).returning(t.c.failures)
    failures = session.connection().execute(statement).scalar_one()
    if failures < max_failures:
        return False
    session.connection().execute(
        update(t).where(t.c.key == key).values(failures=0, locked_until=now + lockout)
    )
    return True


def purge(session: Session, now: datetime, older_than: timedelta = FORGET_AFTER) -> int:
    """Delete the rows untouched for `older_than` that hold no running lock-out. Does not
    commit; returns how many went."""
    t = _table()
    done = session.connection().execute(
        delete(t).where(
            t.c.updated_at < now - older_than,
            t.c.locked_until.is_(None) | (t.c.locked_until <= now),
        )
    )
    return int(done.rowcount or 0)
