"""Curators change published records (issue 11, item 3): edits with a field-level diff,
archive instead of delete, and edits of a registration before it is approved.

An edit goes through the registration's checks (submissions.check_fields, which are the
CSV import's), is shown as a diff, and is saved only if the record is still as it was when
the form was opened (its fingerprint). Every save writes one audit entry with a before and
after for each changed field and raises the catalogue version in the same transaction, so
advice and landscape use the new data at once. An edit never sets last_verified: only a
curator's explicit "nagekeken" does (app.catalogue.freshness).

Writers take turns with imports (begin_exclusive on the import's key): a record cannot be
changed between the check of its fingerprint and the save, nor get a name that an import
is adding at the same time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.audit import change, record_change
from app.catalogue.columns import Codebook
from app.catalogue.csvio import IMPORT_LOCK_KEY
from app.catalogue.freshness import INITIATIVE_TABLE
from app.catalogue.models import LIST_FIELDS, Initiative, dedupe_key
from app.catalogue.service import official_municipality
from app.catalogue.submissions import (
    FIELDS,
    Checked,
    DuplicateInitiative,
    NotHolder,
    Submission,
    check_fields,
    hold,
)
from app.catalogue.version import bump_version
from app.core.db import begin_exclusive

SUBMISSION_TABLE = "submission"
MAX_ARCHIVE_REASON = 2000


class StaleRecord(Exception):
    """The record changed since the form was opened: saving would undo someone's change."""


class NotEditable(Exception):
    """The submission is no longer pending, or not claimed by this curator."""


def _now() -> datetime:
    return datetime.now(UTC)


# --- values --------------------------------------------------------------------------------


def stored_values(row: Initiative) -> dict[str, Any]:
    """The editable fields as stored: a list for a list field, None for an empty one."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(row, name)
        out[name] = list(value or []) if name in LIST_FIELDS else (value or None)
    return out


def form_data(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values as the form holds them (clean_fields' shape): text, or lists of ids."""
    return {
        name: list(values.get(name) or [])
        if name in LIST_FIELDS
        else ("" if values.get(name) is None else str(values[name]))
        for name in FIELDS
    }


def fingerprint(values: dict[str, Any], archived: bool = False) -> str:
    """What a form remembers of the record it was opened on (a hidden field)."""
    text = json.dumps([values, archived], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def record_fingerprint(row: Initiative) -> str:
    return fingerprint(stored_values(row), row.archived_at is not None)


@dataclass(frozen=True)
class FieldChange:
    """One field's before and after; for a list field also what was added and removed."""

    field: str
    before: Any
    after: Any
    added: list[str] = dc_field(default_factory=list)
    removed: list[str] = dc_field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return self.field in LIST_FIELDS


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The fields that differ, in the form's order. A list field differs only in its set of
    ids (the form's order of checkboxes is no change)."""
    changes = []
    for name in FIELDS:
        old, new = before.get(name), after.get(name)
        if name in LIST_FIELDS:
            old, new = list(old or []), list(new or [])
            if set(old) == set(new):
                continue
            added = [v for v in new if v not in old]
            removed = [v for v in old if v not in new]
            changes.append(FieldChange(name, old, new, added, removed))
        elif (old or None) != (new or None):
            changes.append(FieldChange(name, old or None, new or None))
    return changes


def waived_rules(stored: dict[str, Any], data: dict[str, Any]) -> frozenset[str]:
    """The registration's own rules a record already broke when it was imported, and that
    this edit does not touch: not forced on a curator who fixes a phone number."""
    waived = set()
    town = stored.get("municipality") or ""
    if town and official_municipality(town) is None and (data.get("municipality") or "") == town:
        waived.add("unknown_municipality")
    if not town and stored.get("geographic_level") != "flanders":
        waived.add("municipality_required")
    if not stored.get("elements"):
        waived.add("elements_required")
    postcode = stored.get("postcode") or ""
    if postcode and (data.get("postcode") or "") == postcode:
        waived.add("bad_postcode")
    return frozenset(waived)


def check_edit(stored: dict[str, Any], data: dict[str, Any], codebook: Codebook) -> Checked:
    """The registration's checks on an edit of a published record."""
    return check_fields(data, codebook, waived=waived_rules(stored, data))


def new_values(checked: Checked, stored: dict[str, Any]) -> dict[str, Any]:
    """What a checked edit would store; a list whose ids did not change keeps its order."""
    assert checked.initiative is not None
    values = stored_values(checked.initiative)
    for name in LIST_FIELDS:
        if name in values and set(values[name]) == set(stored.get(name) or []):
            values[name] = list(stored.get(name) or [])
    return values


# --- saving ----------------------------------------------------------------------------------


def _locked_row(session: Session, initiative_id: int) -> Initiative | None:
    session.rollback()  # begin_exclusive must start the transaction
    begin_exclusive(session, IMPORT_LOCK_KEY)
    return session.get(Initiative, initiative_id, populate_existing=True)


def _taken(session: Session, initiative_id: int, name: str, town: str | None) -> bool:
    key = dedupe_key(name, town)
    found = session.exec(
        select(Initiative.id).where(
            col(Initiative.dedupe_key) == key, col(Initiative.id) != initiative_id
        )
    ).first()
    return found is not None


@dataclass
class Saved:
    changes: list[FieldChange]
    verified: bool = False


def save_edit(
    session: Session,
    initiative_id: int,
    values: dict[str, Any],
    *,
    expected: str,
    by: int,
    verified_on: date | None = None,
) -> Saved | None:
    """Write an edit (checked values) if the record is still the one the form was opened
    on; one audit entry with every changed field, and the catalogue version raised; commit.

    With `verified_on` the curator also confirms the record (last_verified, its own audit
    entry, as freshness.verify_initiative writes it). None when there is no such record;
    StaleRecord when it changed meanwhile; DuplicateInitiative when the new name and
    municipality are another record's. Nothing changed: nothing written."""
    try:
        row = _locked_row(session, initiative_id)
        if row is None:
            session.rollback()
            return None
        stored = stored_values(row)
        if record_fingerprint(row) != expected:
            raise StaleRecord
        changes = diff(stored, values)
        if not changes and verified_on is None:
            session.rollback()
            return Saved([])
        if changes:
            name, town = values["name"], values.get("municipality")
            if dedupe_key(name, town) != row.dedupe_key and _taken(
                session, initiative_id, name, town
            ):
                raise DuplicateInitiative
            for c in changes:
                setattr(row, c.field, c.after if not c.is_list else list(c.after))
            row.updated_at = _now()
            record_change(
                session,
                user_id=by,
                action="edit",
                table_name=INITIATIVE_TABLE,
                record_id=initiative_id,
                changes=[change(c.field, c.before, c.after) for c in changes],
            )
        if verified_on is not None:
            before = row.last_verified
            row.last_verified = verified_on
            row.updated_at = _now()  # the record's data changed (HSDS assured_date)
            record_change(
                session,
                user_id=by,
                action="verify",
                table_name=INITIATIVE_TABLE,
                record_id=initiative_id,
                changes=[
                    change(
                        "last_verified",
                        before.isoformat() if before else None,
                        verified_on.isoformat(),
                    )
                ],
            )
        session.add(row)
        session.flush()
        bump_version(session)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DuplicateInitiative from None
    except Exception:
        session.rollback()
        raise
    return Saved(changes, verified_on is not None)


def _set_archived(
    session: Session, initiative_id: int, by: int, archived: bool, reason: str | None
) -> Initiative | None:
    try:
        row = _locked_row(session, initiative_id)
        if row is None or (row.archived_at is not None) == archived:
            session.rollback()
            return row
        row.archived_at = _now() if archived else None
        row.updated_at = _now()
        session.add(row)
        changes = [change("archived", not archived, archived)]
        if reason:
            changes.append(change("reason", None, reason))
        record_change(
            session,
            user_id=by,
            action="archive" if archived else "restore",
            table_name=INITIATIVE_TABLE,
            record_id=initiative_id,
            changes=changes,
        )
        bump_version(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.refresh(row)
    return row


def archive(session: Session, initiative_id: int, *, by: int, reason: str) -> Initiative | None:
    """Take a record out of everything public (advice, landscape, search, exports, APIs),
    keeping it and its history; audited with the reason. A second archive does nothing."""
    return _set_archived(session, initiative_id, by, True, reason)


def restore(session: Session, initiative_id: int, *, by: int) -> Initiative | None:
    """Put an archived record back in the catalogue; audited."""
    return _set_archived(session, initiative_id, by, False, None)


# --- the curators' list ------------------------------------------------------------------------


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def curator_page(
    session: Session, text: str, *, archived: bool, limit: int, offset: int
) -> tuple[int, list[Initiative]]:
    """Records in the catalogue (or the archived ones) whose name or municipality holds
    `text` (any case), by name; and how many there are in all."""
    stamp = col(Initiative.archived_at)
    conditions: list[ColumnElement[bool]] = [stamp.is_not(None) if archived else stamp.is_(None)]
    words = text.split()
    for word in words:
        pattern = f"%{_escape_like(word.lower())}%"
        conditions.append(
            or_(
                func.lower(col(Initiative.name)).like(pattern, escape="\\"),
                func.lower(func.coalesce(col(Initiative.municipality), "")).like(
                    pattern, escape="\\"
                ),
            )
        )
    total = session.exec(select(func.count()).select_from(Initiative).where(*conditions)).one()
    rows = session.exec(
        select(Initiative)
        .where(*conditions)
        .order_by(func.lower(col(Initiative.name)), col(Initiative.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return int(total), list(rows)


def archive_reason(session: Session, initiative_id: int) -> str | None:
    """The reason given when the record was last archived (kept in the audit log)."""
    from app.auth.models import AuditEntry

    entry = session.exec(
        select(AuditEntry)
        .where(
            col(AuditEntry.table_name) == INITIATIVE_TABLE,
            col(AuditEntry.record_id) == initiative_id,
            col(AuditEntry.action) == "archive",
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    ).first()
    if entry is None:
        return None
    for c in entry.changes:
        if c.get("field") == "reason":
            return str(c.get("after") or "") or None
    return None


# --- registrations in the review queue -----------------------------------------------------


def submission_fingerprint(submission: Submission) -> str:
    return fingerprint(form_data(submission.data))


def save_submission_edit(
    session: Session,
    submission: Submission,
    data: dict[str, Any],
    *,
    expected: str,
    by: int,
) -> list[FieldChange]:
    """Replace a pending registration's fields with the curator's (checked) edit, with an
    audit entry of the changed fields; commit. Only the curator who claimed it may.
    StaleRecord when it changed since the form was opened."""
    assert submission.id is not None
    try:  # the row stays locked for this curator until the commit
        hold(session, submission.id, by)
    except NotHolder:
        raise NotEditable from None
    session.refresh(submission)
    if submission_fingerprint(submission) != expected:
        session.rollback()
        raise StaleRecord
    before = form_data(submission.data)
    changes = diff(before, data)
    if not changes:
        session.rollback()
        return []
    submission.data = dict(data)
    session.add(submission)
    assert submission.id is not None
    record_change(
        session,
        user_id=by,
        action="submission_edit",
        table_name=SUBMISSION_TABLE,
        record_id=submission.id,
        changes=[change(c.field, c.before, c.after) for c in changes],
    )
    session.commit()
    return changes
