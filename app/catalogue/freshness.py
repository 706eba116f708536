"""Freshness of the catalogue (issue 11): when a person last confirmed a record.

`last_verified` is set only when a curator confirms a record ("Nagekeken"), never by an
ordinary update. A record is stale when it was never confirmed or not within the
configured period (Settings.stale_after_months, 12 by default): stale records are listed
for the curators and can be shown to users as "niet recent nagekeken".

An import never moves the date back (`later_verification`): a file exported last month and
imported today would otherwise undo every confirmation made since.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from app.auth.audit import change, record_change
from app.catalogue.models import Initiative
from app.catalogue.version import bump_version

INITIATIVE_TABLE = "initiative"
BELGIUM = ZoneInfo("Europe/Brussels")


def today_in_belgium() -> date:
    """The date on the curators' calendars (not the server's, which may run in UTC)."""
    return datetime.now(BELGIUM).date()


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day where it is shorter)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def stale_since(today: date, months: int) -> date:
    """Records confirmed before this day are stale."""
    return months_before(today, months)


def is_stale(last_verified: date | None, today: date, months: int) -> bool:
    """Never confirmed, or confirmed longer than `months` ago."""
    return last_verified is None or last_verified < stale_since(today, months)


def later_verification(stored: date | None, imported: date | None) -> date | None:
    """The last_verified an import leaves: the later of the stored and the file's date (an
    empty cell, never confirmed, is the earliest)."""
    if stored is None:
        return imported
    if imported is None:
        return stored
    return max(stored, imported)


def _stale(today: date, months: int) -> ColumnElement[bool]:
    return or_(
        col(Initiative.last_verified).is_(None),
        col(Initiative.last_verified) < stale_since(today, months),
    )


def _published() -> ColumnElement[bool]:
    # Archived records are nobody's to confirm: they are out of the catalogue.
    return col(Initiative.archived_at).is_(None)


@dataclass(frozen=True)
class FreshnessCounts:
    total: int
    stale: int


def freshness_counts(session: Session, today: date, months: int) -> FreshnessCounts:
    total = session.exec(select(func.count()).select_from(Initiative).where(_published())).one()
    stale = session.exec(
        select(func.count()).select_from(Initiative).where(_published(), _stale(today, months))
    ).one()
    return FreshnessCounts(total=total, stale=stale)


def stale_page(
    session: Session, today: date, months: int, *, limit: int, offset: int
) -> list[Initiative]:
    """Stale records, never-confirmed first, then the longest unconfirmed, then by name."""
    return list(
        session.exec(
            select(Initiative)
            .where(_published(), _stale(today, months))
            .order_by(
                col(Initiative.last_verified).is_not(None),
                col(Initiative.last_verified),
                col(Initiative.name),
                col(Initiative.id),
            )
            .limit(limit)
            .offset(offset)
        ).all()
    )


def verify_initiative(
    session: Session, initiative_id: int, *, by: int, today: date
) -> Initiative | None:
    """Mark a record as confirmed today, with its audit entry and a new catalogue version
    (so every worker reloads); commit. None when there is no such record (or it is
    archived)."""
    row = session.get(Initiative, initiative_id)
    if row is None or row.archived_at is not None:
        return None
    before = row.last_verified
    row.last_verified = today
    # A verification changes the record's data (HSDS assured_date): its last_modified too.
    row.updated_at = datetime.now(UTC)
    session.add(row)
    record_change(
        session,
        user_id=by,
        action="verify",
        table_name=INITIATIVE_TABLE,
        record_id=initiative_id,
        changes=[
            change("last_verified", before.isoformat() if before else None, today.isoformat())
        ],
    )
    bump_version(session)
    session.commit()
    session.refresh(row)
    return row
