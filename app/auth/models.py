"""Tables of the curators: their accounts (curator_user), what they changed (audit_entry),
and failed logins counted across workers (login_throttle)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    """What a user may do: a curator keeps the catalogue; an admin also manages the users."""

    CURATOR = "curator"
    ADMIN = "admin"


def normalise_email(email: str) -> str:
    """The form an address is stored and looked up in: trimmed and lower case, so that
    "An@Gent.be" and "an@gent.be " are one account (the unique index holds this form)."""
    return email.strip().lower()


class CuratorUser(SQLModel, table=True):
    """A person who may log in under /beheer."""

    __tablename__ = "curator_user"

    id: int | None = Field(default=None, primary_key=True)
    # Always normalise_email(...): unique without regard to case.
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    role: str = Field(default=Role.CURATOR.value, max_length=16)
    # An argon2 hash (app.auth.passwords); never the password itself.
    password_hash: str = Field(max_length=512)
    # Failed logins since the last success or lock-out, and until when logins are refused.
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = None
    # The last failed login: a run of failures older than throttle.FORGET_AFTER is
    # forgotten, exactly as for an address without an account (login_throttle).
    last_failed_at: datetime | None = None
    # Part of every session cookie: raised on logout and on a password change, so that
    # every cookie issued before stops working (app.auth.sessions).
    session_counter: int = Field(default=0)
    # Users are deactivated, never deleted: the audit log keeps pointing at them.
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=_now)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def name(self) -> str:
        """How the user is shown: the display name, else the e-mail address."""
        return self.display_name or self.email


class AuditEntry(SQLModel, table=True):
    """One change by one user to one record, with the before and after of each field.

    `changes` is a list of {"field", "before", "after"} with JSON values (dates as ISO
    text). `table_name` and `record_id` name the record (e.g. "initiative", 12); `action`
    says what was done ("verify", "user_create", ...). `user_id` is empty for changes made
    on the command line.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_record", "table_name", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, index=True)
    user_id: int | None = Field(default=None, foreign_key="curator_user.id")
    action: str = Field(max_length=40)
    table_name: str = Field(max_length=60)
    record_id: int
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one address without an (active) account, or of one client network
    address, counted in the database so that every worker sees the same count.

    `key` is an HMAC of the address with the application's secret (app.auth.throttle), so
    the table holds no e-mail or IP address. Rows untouched for a while are purged.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = Field(default=0)
    locked_until: datetime | None = None
    updated_at: datetime = Field(default_factory=_now, index=True)
