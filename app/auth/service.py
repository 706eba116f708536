"""Curator accounts: create, list, log in (with lock-out), change passwords, deactivate.

Every change to an account is written to the audit log in the same transaction. Passwords
and their hashes never enter the audit log or any log line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from app.auth import throttle
from app.auth.audit import change, record_change
from app.auth.models import CuratorUser, Role, normalise_email
from app.auth.passwords import burn_time, hash_password, verify_password

USER_TABLE = "curator_user"


class AccountError(ValueError):
    """A user cannot be created or changed as asked (the message says why, in English)."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def find_user(session: Session, email: str) -> CuratorUser | None:
    return session.exec(
        select(CuratorUser).where(CuratorUser.email == normalise_email(email))
    ).first()


def list_users(session: Session) -> list[CuratorUser]:
    return list(session.exec(select(CuratorUser).order_by(col(CuratorUser.email))).all())


def count_admins(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(CuratorUser)
        .where(CuratorUser.role == Role.ADMIN.value, col(CuratorUser.active).is_(True))
    ).one()


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    display_name: str = "",
    by: int | None = None,
) -> CuratorUser:
    """Add an active user and its audit entry, and commit."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise AccountError(f"not an e-mail address: {email!r}")
    if find_user(session, address) is not None:
        raise AccountError(f"a user with e-mail {address} exists already")
    user = CuratorUser(
        email=address,
        display_name=display_name.strip()[:120],
        role=role.value,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    record_change(
        session,
        user_id=by,
        action="user_create",
        table_name=USER_TABLE,
        record_id=user.id,
        changes=[
            change("email", None, user.email),
            change("display_name", None, user.display_name),
            change("role", None, user.role),
            change("active", None, True),
        ],
    )
    session.commit()
    session.refresh(user)
    return user


def set_password(
    session: Session, user: CuratorUser, password: str, *, by: int | None, action: str
) -> None:
    """Store a new hash, lift a lock-out and end the user's sessions; commit."""
    assert user.id is not None
    before = user.session_counter
    user.password_hash = hash_password(password)
    user.session_counter = before + 1
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    # The password itself is not recorded, only that every session of the user ended.
    record_change(
        session,
        user_id=by,
        action=action,
        table_name=USER_TABLE,
        record_id=user.id,
        changes=[change("session_counter", before, user.session_counter)],
    )
    session.commit()
    session.refresh(user)


def set_active(session: Session, user: CuratorUser, active: bool, *, by: int | None) -> None:
    """Activate or deactivate a user (deactivating ends its sessions); commit."""
    assert user.id is not None
    if user.active == active:
        return
    changes = [change("active", user.active, active)]
    user.active = active
    if not active:
        changes.append(change("session_counter", user.session_counter, user.session_counter + 1))
        user.session_counter += 1
    session.add(user)
    record_change(
        session,
        user_id=by,
        action="user_activate" if active else "user_deactivate",
        table_name=USER_TABLE,
        record_id=user.id,
        changes=changes,
    )
    session.commit()
    session.refresh(user)


def end_sessions(session: Session, user: CuratorUser) -> None:
    """Logout: raise the counter so every cookie of this user stops working; commit.

    Not in the audit log: it changes no data that anybody reviews.
    """
    user.session_counter += 1
    session.add(user)
    session.commit()


class LoginOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"
    THROTTLED = "throttled"  # the client failed too often: wait `LoginResult.wait` seconds


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: CuratorUser | None = None
    wait: int = 0


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    max_failures: int,
    lockout: timedelta,
    secret: bytes,
    client: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check an address and password; count failures and lock an account after
    `max_failures` in a row for `lockout`. An address without an (active) account is
    counted and locked just the same (table login_throttle, keyed by an HMAC with
    `secret`), so the answer never tells whether it has one. A `client` (network address)
    that failed CLIENT_FACTOR times as often must wait (THROTTLED, with the seconds).
    All counts are in the database, shared by every worker; commits them."""
    now = now or now_utc()
    client_id = throttle.client_key(secret, client) if client else None
    if client_id is not None:
        until = throttle.locked_until(session, client_id, now)
        if until is not None:
            session.rollback()
            return LoginResult(LoginOutcome.THROTTLED, wait=_seconds(until - now))
    address = normalise_email(email)
    user = find_user(session, address)
    if user is None or not user.active:
        burn_time(password)
        key = throttle.address_key(secret, address)
        # While locked no guess counts; the failure that reaches the limit locks.
        locked = throttle.locked_until(session, key, now) is not None or (
            throttle.count_failure(session, key, now, max_failures=max_failures, lockout=lockout)
        )
        outcome = LoginOutcome.LOCKED if locked else LoginOutcome.FAILED
        return _failed(session, outcome, client_id, now, max_failures, lockout)
    if user.locked_until is not None and user.locked_until > now:
        # No guess counts while locked, a right one neither.
        burn_time(password)
        return _failed(session, LoginOutcome.LOCKED, client_id, now, max_failures, lockout)
    ok, new_hash = verify_password(password, user.password_hash)
    if ok:
        user.failed_logins = 0
        user.locked_until = None
        if new_hash is not None:
            user.password_hash = new_hash
        session.add(user)
        session.commit()
        session.refresh(user)
        return LoginResult(LoginOutcome.OK, user)
    # Counted in the database itself, so that guesses sent at once are all counted; a run
    # with a pause over FORGET_AFTER starts again, as for an address without an account.
    table = CuratorUser.__table__  # type: ignore[attr-defined]
    forgotten = table.c.last_failed_at.is_(None) | (
        table.c.last_failed_at < now - throttle.FORGET_AFTER
    )
    failures = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == user.id)
            .values(
                failed_logins=case((forgotten, 1), else_=table.c.failed_logins + 1),
                last_failed_at=now,
            )
            .returning(table.c.failed_logins)
        )
        .scalar_one()
    )
    outcome = LoginOutcome.FAILED
    if failures >= max_failures:
        session.connection().execute(
            update(table)
            .where(table.c.id == user.id)
            .values(failed_logins=0, locked_until=now + lockout)
        )
        outcome = LoginOutcome.LOCKED
    return _failed(session, outcome, client_id, now, max_failures, lockout)


def _failed(
    session: Session,
    outcome: LoginOutcome,
    client_id: str | None,
    now: datetime,
    max_failures: int,
    lockout: timedelta,
) -> LoginResult:
    """Count the failure against the client too, purge forgotten counts, commit."""
    if client_id is not None:
        throttle.count_failure(
            session,
            client_id,
            now,
            max_failures=max_failures * throttle.CLIENT_FACTOR,
            lockout=lockout,
            forget_after=lockout,
        )
    throttle.purge(session, now)
    session.commit()
    return LoginResult(outcome)


def _seconds(left: timedelta) -> int:
    return max(1, math.ceil(left.total_seconds()))
