"""Registrations by organisations (issue 11, item 2) and their review by curators (item 3).

A submission holds what the registration form sent, as typed (text, or a list of ids for
a coded field), until a curator approves it (it becomes an Initiative) or rejects it with
a reason. Every check is the CSV import's: the fields are written as a one-row file in the
exchange format and read back by csvio.parse_csv, so a registration passes exactly when
the same row would import.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from app.auth.audit import change, record_change
from app.catalogue.columns import Codebook
from app.catalogue.csvio import (
    ALL_COLUMNS,
    MAX_LENGTH,
    CsvImportError,
    CsvIssue,
    SafeCsvWriter,
    is_email,
    parse_csv,
)
from app.catalogue.models import LIST_FIELDS, Initiative, dedupe_key
from app.catalogue.service import (
    SAVE_ATTEMPTS,
    new_record_code,
    normalise_record_code,
    official_municipality,
)
from app.catalogue.version import bump_version


class Status:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# The exchange format's columns a registration fills in (DOMAIN.md §6, v1.1 referral
# columns included); last_verified is set by the curator who approves it.
FIELDS = tuple(c for c in ALL_COLUMNS if c != "last_verified")
# Longest free text read from the form (description, goal, partners, evaluation).
MAX_TEXT = 4000
MAX_REASON = 2000


def _now() -> datetime:
    return datetime.now(UTC)


class Submission(SQLModel, table=True):
    """One registration of an initiative, waiting for or decided by a curator."""

    __tablename__ = "submission"

    id: int | None = Field(default=None, primary_key=True)
    # e.g. "K7QM-3XDF-9P" (service.new_record_code): the submitter asks about it with this.
    reference: str = Field(max_length=16, unique=True, index=True)
    status: str = Field(default=Status.PENDING, max_length=12, index=True)
    # The form's fields as typed: text, or a list of ids for a multi-valued field.
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Only for questions about this submission; never published.
    contact_email: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=_now)
    claimed_by: int | None = Field(default=None, foreign_key="curator_user.id")
    claimed_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="curator_user.id")
    decided_at: datetime | None = None
    reason: str | None = None
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id")


# --- reading and checking the fields ------------------------------------------------------


def clean_fields(form: Any) -> dict[str, Any]:
    """The registration fields of a posted form (a starlette FormData or a dict of lists):
    text trimmed and cut to a sane length, multi-valued fields as lists of distinct
    values. Nothing else of the form is kept."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        if name in LIST_FIELDS:
            values = form.getlist(name) if hasattr(form, "getlist") else form.get(name, [])
            data[name] = list(dict.fromkeys(str(v).strip()[:100] for v in values if str(v).strip()))
        else:
            # A field sent twice counts once, with its first value, as in the intake
            # (starlette's form.get would give the last).
            values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
            value = values[0] if values else ""
            value = value if isinstance(value, str) else ""
            data[name] = value.strip()[: MAX_LENGTH.get(name, MAX_TEXT)]
    return data


def field_pairs(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields as the (name, value) pairs a form posts, a list field once per value:
    what clean_fields reads back (hidden inputs of a draft)."""
    pairs: list[tuple[str, str]] = []
    for name in FIELDS:
        value = data.get(name)
        if name in LIST_FIELDS:
            pairs.extend((name, str(v)) for v in value or [])
        else:
            pairs.append((name, str(value or "")))
    return pairs


def is_postcode(text: str) -> bool:
    """A Belgian postcode: four digits, 1000 to 9999 (bpost)."""
    return len(text) == 4 and text.isascii() and text.isdigit() and text[0] != "0"


def as_csv(data: dict[str, Any]) -> str:
    """The fields as a one-row file of the exchange format (what an import would read)."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(FIELDS)
    row = []
    for name in FIELDS:
        value = data.get(name)
        if name in LIST_FIELDS:
            row.append(";".join(v.replace(";", ",") for v in (value or [])))
        else:
            row.append(value or "")
    writer.writerow(row)
    return out.getvalue()


@dataclass
class Checked:
    """A registration's fields after the import's checks: the issues per field (each a
    CsvIssue, or a code of the form's own rules) and the initiative they would make."""

    issues: dict[str, list[CsvIssue]] = field(default_factory=dict)
    initiative: Initiative | None = None

    @property
    def ok(self) -> bool:
        return not self.issues and self.initiative is not None


def check_fields(
    data: dict[str, Any], codebook: Codebook, *, waived: frozenset[str] = frozenset()
) -> Checked:
    """Run the CSV import's row checks on the fields, then the form's own rules: a
    municipality from the list (unless the initiative works for all of Flanders), at
    least one active element, and a Belgian postcode when one is given.

    `waived`: codes of the form's own rules left out (an edit of a published record does
    not force a fix of what the import let in and the curator did not touch; edits.py)."""
    result = Checked()
    parsed = None
    try:
        rows = parse_csv(as_csv(data), codebook)
        # A row with every field empty is no row to the import: it lacks its name.
        parsed = rows[0] if rows else None
        if parsed is None:
            result.issues["name"] = [CsvIssue("name_required", column="name")]
    except CsvImportError as exc:
        for issue in exc.issues:
            result.issues.setdefault(issue.column or "name", []).append(issue)
    town = data.get("municipality") or ""
    official = official_municipality(town) if town else None
    own = []
    if town and official is None:
        own.append(("municipality", "unknown_municipality"))
    elif not town and data.get("geographic_level") != "flanders":
        own.append(("municipality", "municipality_required"))
    if not data.get("elements"):
        own.append(("elements", "elements_required"))
    postcode = data.get("postcode") or ""
    if postcode and not is_postcode(postcode):
        own.append(("postcode", "bad_postcode"))
    for name, code in own:
        if code not in waived:
            result.issues.setdefault(name, []).append(CsvIssue(code))
    if not result.issues and parsed is not None:
        row = Initiative.model_validate(parsed)
        # The official name; a name off the list only where that rule was waived.
        row.municipality = official or town or None
        result.initiative = row
    return result


def contact_problem(email: str) -> str | None:
    """The submitter's own address is optional; when given it must be one."""
    return None if not email or is_email(email) else "bad_email"


# --- storing and deciding -------------------------------------------------------------------


def create_submission(session: Session, data: dict[str, Any], contact_email: str | None) -> str:
    """Store a checked registration as pending; return its reference."""
    for attempt in range(SAVE_ATTEMPTS):
        reference = new_record_code()
        session.add(Submission(reference=reference, data=data, contact_email=contact_email))
        try:
            session.commit()
            return reference
        except IntegrityError:  # a reference drawn twice: one in 10^15
            session.rollback()
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def by_reference(session: Session, typed: str) -> Submission | None:
    """The registration with this reference as the submitter typed it (any case, spaces
    or hyphens), or None."""
    reference = normalise_record_code(typed)
    if reference is None:
        return None
    return session.exec(select(Submission).where(Submission.reference == reference)).first()


def pending(session: Session) -> list[Submission]:
    """The queue: pending submissions, oldest first."""
    return list(
        session.exec(
            select(Submission)
            .where(col(Submission.status) == Status.PENDING)
            .order_by(col(Submission.created_at), col(Submission.id))
        )
    )


def pending_count(session: Session) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Submission)
            .where(col(Submission.status) == Status.PENDING)
        ).one()
    )


# --- claims: one curator at a time ---------------------------------------------------------
#
# A claim is exclusive: only the curator who holds a submission may edit, approve or reject
# it (an unclaimed one is claimed by approving or rejecting it). Another curator may take a
# claim over ("Overnemen") once it is older than TAKEOVER_AFTER, an admin at any time.
# Every step is a conditional UPDATE whose row count says whether it happened, so two
# workers acting at once cannot both succeed; Python only decides what to show.

TAKEOVER_AFTER = timedelta(hours=24)


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"
    ALREADY_MINE = "already_mine"
    HELD = "held"  # another curator holds it, and it may not be taken over (yet)
    CLOSED = "closed"  # approved, rejected or gone


class NotHolder(Exception):
    """The submission is no longer pending, or another curator holds it."""


def _table() -> Any:
    return Submission.__table__  # type: ignore[attr-defined]


def as_utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite hands it back without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def may_take_over(submission: Submission, is_admin: bool, now: datetime | None = None) -> bool:
    """Whether a curator who does not hold this pending claim may take it over now."""
    if submission.claimed_at is None or submission.status != Status.PENDING:
        return False
    return is_admin or as_utc(submission.claimed_at) <= (now or _now()) - TAKEOVER_AFTER


def claim(
    session: Session,
    submission_id: int,
    user_id: int,
    *,
    take_over_from: int | None = None,
    is_admin: bool = False,
    now: datetime | None = None,
) -> ClaimOutcome:
    """Claim a free pending submission, or take over another curator's claim (only the one
    the page showed, `take_over_from`, and only when allowed); audited; commit."""
    now = now or _now()
    t = _table()
    pending_row = (t.c.id == submission_id) & (t.c.status == Status.PENDING)
    if take_over_from is None:
        holder: int | None = None
        allowed = pending_row & t.c.claimed_by.is_(None)
    else:
        holder = take_over_from
        allowed = pending_row & (t.c.claimed_by == take_over_from) & (t.c.claimed_by != user_id)
        if not is_admin:
            allowed = allowed & (t.c.claimed_at <= now - TAKEOVER_AFTER)
    done = session.connection().execute(
        update(t).where(allowed).values(claimed_by=user_id, claimed_at=now)
    )
    if done.rowcount != 1:
        session.rollback()
        row = session.get(Submission, submission_id, populate_existing=True)
        if row is None or row.status != Status.PENDING:
            return ClaimOutcome.CLOSED
        return ClaimOutcome.ALREADY_MINE if row.claimed_by == user_id else ClaimOutcome.HELD
    record_change(
        session,
        user_id=user_id,
        action="submission_claim" if holder is None else "submission_takeover",
        table_name="submission",
        record_id=submission_id,
        changes=[change("claimed_by", holder, user_id)],
    )
    session.commit()
    return ClaimOutcome.CLAIMED if holder is None else ClaimOutcome.TAKEN_OVER


def hold(session: Session, submission_id: int, user_id: int, *, or_free: bool = False) -> None:
    """Start a transaction that holds this pending submission for `user_id` (its row locked
    until commit or rollback), so that no takeover or decision can slip in between; with
    `or_free` an unclaimed one is claimed in the same step. NotHolder otherwise."""
    t = _table()
    mine = t.c.claimed_by == user_id
    if or_free:
        mine = mine | t.c.claimed_by.is_(None)
    session.rollback()  # the conditional UPDATE must open the transaction
    done = session.connection().execute(
        update(t)
        .where((t.c.id == submission_id) & (t.c.status == Status.PENDING) & mine)
        .values(claimed_by=user_id, claimed_at=func.coalesce(t.c.claimed_at, _now()))
    )
    if done.rowcount != 1:
        session.rollback()
        raise NotHolder


class DuplicateInitiative(Exception):
    """The catalogue already holds an initiative with this name and municipality."""


def approve(
    session: Session, submission: Submission, user_id: int, codebook: Codebook, today: date
) -> Checked:
    """Make the initiative, confirmed today, with an audit entry of all its fields, and
    raise the catalogue version in the same transaction; or return the problems and write
    nothing. DuplicateInitiative when the name and municipality are taken; NotHolder when
    another curator holds it or it was decided meanwhile."""
    hold(session, _id(submission), user_id, or_free=True)
    session.refresh(submission)
    checked = check_fields(submission.data, codebook)
    row = checked.initiative
    if not checked.ok or row is None:
        session.rollback()
        return checked
    key = dedupe_key(row.name, row.municipality)
    if session.exec(select(Initiative.id).where(col(Initiative.dedupe_key) == key)).first():
        session.rollback()
        raise DuplicateInitiative
    row.last_verified = today
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DuplicateInitiative from None
    assert row.id is not None
    after = row.model_dump(include=set(ALL_COLUMNS), mode="json")
    record_change(
        session,
        user_id=user_id,
        action="submission_approve",
        table_name="initiative",
        record_id=row.id,
        changes=[change(name, None, after[name]) for name in ALL_COLUMNS],
    )
    _decide(session, submission, user_id, Status.APPROVED)
    submission.initiative_id = row.id
    bump_version(session)
    session.commit()
    return checked


def reject(session: Session, submission: Submission, user_id: int, reason: str) -> None:
    """Close a submission with the curator's reason (kept, and in the audit log).
    NotHolder when another curator holds it or it was decided meanwhile."""
    hold(session, _id(submission), user_id, or_free=True)
    session.refresh(submission)
    _decide(session, submission, user_id, Status.REJECTED)
    submission.reason = reason
    record_change(
        session,
        user_id=user_id,
        action="submission_reject",
        table_name="submission",
        record_id=_id(submission),
        changes=[change("status", Status.PENDING, Status.REJECTED), change("reason", None, reason)],
    )
    session.commit()


def _decide(session: Session, submission: Submission, user_id: int, status: str) -> None:
    submission.status = status
    submission.decided_by = user_id
    submission.decided_at = _now()
    session.add(submission)


def _id(submission: Submission) -> int:
    assert submission.id is not None
    return submission.id
