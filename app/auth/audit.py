"""The audit log: who changed which record when, field by field (table audit_entry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import AuditEntry, CuratorUser


def change(field: str, before: Any, after: Any) -> dict[str, Any]:
    """One field's before and after, as the audit log keeps it (JSON values)."""
    return {"field": field, "before": before, "after": after}


def record_change(
    session: Session,
    *,
    user_id: int | None,
    action: str,
    table_name: str,
    record_id: int,
    changes: list[dict[str, Any]],
) -> AuditEntry:
    """Add an entry to the session's transaction: it is committed with the change itself,
    or not at all."""
    entry = AuditEntry(
        user_id=user_id,
        action=action,
        table_name=table_name,
        record_id=record_id,
        changes=changes,
    )
    session.add(entry)
    return entry


def audit_page(
    session: Session,
    *,
    table_name: str | None = None,
    record_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[int, list[tuple[AuditEntry, CuratorUser | None]]]:
    """Entries newest first, optionally of one table and record, with who made each; and
    how many there are in all."""
    conditions = []
    if table_name is not None:
        conditions.append(col(AuditEntry.table_name) == table_name)
    if record_id is not None:
        conditions.append(col(AuditEntry.record_id) == record_id)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    rows = session.exec(
        select(AuditEntry, CuratorUser)
        .join(CuratorUser, col(AuditEntry.user_id) == col(CuratorUser.id), isouter=True)
        .where(*conditions)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [(entry, user) for entry, user in rows]
