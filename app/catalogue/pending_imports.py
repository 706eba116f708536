"""An uploaded catalogue file between its preview and its confirmation (issue 11, item 4).

Kept in the database, not on a worker's disk: behind the proxy of docker-compose.yml the
confirmation may reach another app container than the preview did. A row holds the file as
it was read (zlib-compressed JSON), the catalogue version the preview compared it with, and
what binds it to one curator's session: user id, session counter and a hash of the browser's
session cookie. The random token that names it travels in the confirmation form; only its
SHA-256 is stored. Rows expire after PENDING_SECONDS and go when applied or refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, LargeBinary, delete
from sqlmodel import Column, Field, Session, SQLModel, col, select

PENDING_SECONDS = 3600
TOKEN_BYTES = 24  # token_urlsafe(24): 32 characters


def _now() -> datetime:
    return datetime.now(UTC)


class PendingImport(SQLModel, table=True):
    __tablename__ = "pending_import"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="curator_user.id")
    session_counter: int
    browser: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, index=True)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def store(
    engine: Engine, user_id: int, session_counter: int, browser: str, data: dict[str, Any]
) -> str:
    """Keep `data` for its confirmation; return the token that names it. Expired rows of
    anyone go first."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    payload = zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 1)
    with Session(engine) as session:
        cutoff = _now() - timedelta(seconds=PENDING_SECONDS)
        session.exec(delete(PendingImport).where(col(PendingImport.created_at) < cutoff))
        session.add(
            PendingImport(
                token_hash=_hash(token),
                user_id=user_id,
                session_counter=session_counter,
                browser=browser,
                payload=payload,
            )
        )
        session.commit()
    return token


def load(
    engine: Engine, token: str, user_id: int, session_counter: int, browser: str
) -> dict[str, Any] | None:
    """The data under `token` if it belongs to this session and has not expired."""
    with Session(engine) as session:
        row = session.exec(
            select(PendingImport).where(PendingImport.token_hash == _hash(token))
        ).first()
        if row is None:
            return None
        if _as_utc(row.created_at) < _now() - timedelta(seconds=PENDING_SECONDS):
            session.delete(row)
            session.commit()
            return None
        if (row.user_id, row.session_counter, row.browser) != (user_id, session_counter, browser):
            return None
        data: dict[str, Any] = json.loads(zlib.decompress(row.payload).decode("utf-8"))
        return data


def drop(engine: Engine, token: str) -> None:
    """Forget the upload under `token` (applied, or refused as stale)."""
    with Session(engine) as session:
        session.exec(delete(PendingImport).where(col(PendingImport.token_hash) == _hash(token)))
        session.commit()
