"""The catalogue's code paths before issue 10, kept to measure against (bench) and to check
that the new ones give the same result (tests): an import through the ORM's unit of work,
an export that loads every row first, and a list that filters and pages in Python."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import func
from sqlmodel import Session, delete, select

from app.catalogue.csvio import IMPORT_LOCK_KEY, ImportResult, parse_csv, write_csv
from app.catalogue.models import Initiative, InitiativePublic, catalogue_key
from app.catalogue.version import bump_version
from app.core.db import begin_exclusive


def import_initiatives(session: Session, text: str, replace: bool = False) -> ImportResult:
    """csvio.import_initiatives as it was: one ORM object per row."""
    items = parse_csv(text)
    result = ImportResult()
    try:
        begin_exclusive(session, IMPORT_LOCK_KEY)
        if replace:
            result.deleted = session.exec(select(func.count()).select_from(Initiative)).one()
            session.exec(delete(Initiative))
            existing: dict[tuple[str, str], Initiative] = {}
        else:
            existing = {
                catalogue_key(i.name, i.municipality): i for i in session.exec(select(Initiative))
            }
        now = datetime.now(UTC)
        for item in items:
            key = catalogue_key(item.name, item.municipality)
            current = existing.get(key)
            if current is None:
                current = Initiative.model_validate(item)
                session.add(current)
                existing[key] = current
                result.created += 1
            else:
                for name, value in item.model_dump(exclude_unset=True).items():
                    setattr(current, name, value)
                current.updated_at = now
                session.add(current)
                result.updated += 1
            result.names.append(item.name)
        bump_version(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def export_initiatives(session: Session, fh: TextIO) -> int:
    """csvio.export_initiatives as it was: every row loaded as an ORM object, then written."""
    rows = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
    return write_csv(rows, fh)


def list_initiatives(
    session: Session,
    municipality: str | None = None,
    element: str | None = None,
    age_group: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[InitiativePublic]]:
    """The list route as it was: every row loaded, filtered and paged in Python."""
    rows = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
    if municipality:
        wanted = " ".join(municipality.casefold().split())
        rows = [r for r in rows if " ".join((r.municipality or "").casefold().split()) == wanted]
    if element:
        rows = [r for r in rows if element in r.elements]
    if age_group:
        rows = [r for r in rows if age_group in r.age_groups]
    page = rows[offset : offset + limit]
    return len(rows), [InitiativePublic.model_validate(r) for r in page]
