"""The catalogue's version number (table catalogue_version): raised with every change of
the initiatives, read by each worker to tell whether its in-memory snapshot is current."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select, update
from sqlmodel import Session

from app.catalogue.models import CatalogueVersion

ROW_ID = 1
_table = CatalogueVersion.__table__  # type: ignore[attr-defined]


def bump_version(session: Session) -> None:
    """Raise the version in the session's transaction: it counts only when the change of
    the initiatives that goes with it is committed."""
    result = session.connection().execute(
        update(_table)
        .where(_table.c.id == ROW_ID)
        .values(version=_table.c.version + 1, changed_at=datetime.now(UTC))
    )
    if result.rowcount == 0:  # the row is made by migration 0004; only a hand-made gap
        session.add(CatalogueVersion(id=ROW_ID, version=1))


def read_version(conn: Connection) -> int:
    """The current version (0 when the row is missing)."""
    value = conn.execute(select(_table.c.version).where(_table.c.id == ROW_ID)).scalar()
    return int(value or 0)
