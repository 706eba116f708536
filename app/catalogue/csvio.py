"""CSV exchange of initiatives (DOMAIN.md §6): all-or-nothing import, and export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TextIO

from sqlmodel import Session, delete, select

from app.catalogue.models import LIST_FIELDS, Initiative, InitiativeBase
from app.domain.vocabulary import (
    Approach,
    Course,
    EffectLadder,
    ElementId,
    GeographicLevel,
    InitiativeDimension,
    PreventionLevel,
    PrimaryActor,
    RiskFactor,
    TargetAgeGroup,
)

COLUMNS = (
    "name",
    "description",
    "goal",
    "website",
    "municipality",
    "postcode",
    "geographic_level",
    "primary_actor",
    "partners",
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "course",
    "risk_factors",
    "approach",
    "effect_ladder",
    "evaluation",
)
SINGLE_IDS: dict[str, type[StrEnum]] = {
    "geographic_level": GeographicLevel,
    "primary_actor": PrimaryActor,
    "effect_ladder": EffectLadder,
}
MULTI_IDS: dict[str, type[StrEnum]] = {
    "elements": ElementId,
    "prevention_levels": PreventionLevel,
    "dimensions": InitiativeDimension,
    "age_groups": TargetAgeGroup,
    "course": Course,
    "risk_factors": RiskFactor,
    "approach": Approach,
}
MAX_LENGTH = {"name": 300, "website": 500, "municipality": 100, "postcode": 10}
MAX_ERRORS = 50


class CsvImportError(Exception):
    """The file cannot be imported; `errors` name row, column and value."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    names: list[str] = field(default_factory=list)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def parse_csv(text: str) -> list[InitiativeBase]:
    """Parse and validate a whole file; raise CsvImportError listing every problem."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CsvImportError(["the file is empty: expected a header row"]) from None
    except csv.Error as exc:
        raise CsvImportError([f"row 1: not valid CSV: {exc}"]) from None
    errors: list[str] = []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        errors.append("unknown column(s): " + ", ".join(f"'{h}'" for h in unknown))
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        errors.append("duplicate column(s): " + ", ".join(f"'{h}'" for h in dupes))
    if "name" not in header:
        errors.append("required column 'name' is missing")
    if errors:
        raise CsvImportError(errors)

    out: list[InitiativeBase] = []
    row_no = 1
    try:
        for row_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                errors.append(f"row {row_no}: expected {len(header)} cells, found {len(row)}")
                continue
            values = dict(zip(header, (c.strip() for c in row), strict=True))
            item, row_errors = _validate_row(row_no, values)
            errors.extend(row_errors)
            if item is not None:
                out.append(item)
            if len(errors) >= MAX_ERRORS:
                errors.append(f"stopped after {MAX_ERRORS} errors")
                break
    except csv.Error as exc:
        errors.append(f"row {row_no + 1}: not valid CSV: {exc}")
    if errors:
        raise CsvImportError(errors)
    return out


def _validate_row(row_no: int, values: dict[str, str]) -> tuple[InitiativeBase | None, list[str]]:
    errors: list[str] = []
    data: dict[str, object] = {}
    for col in COLUMNS:
        raw = values.get(col, "")
        if col in MULTI_IDS:
            allowed = {m.value for m in MULTI_IDS[col]}
            ids = list(dict.fromkeys(_split(raw)))
            for v in ids:
                if v not in allowed:
                    errors.append(f"row {row_no}, column '{col}': unknown value '{v}'")
            data[col] = ids
        elif col in SINGLE_IDS:
            allowed = {m.value for m in SINGLE_IDS[col]}
            if raw and raw not in allowed:
                errors.append(f"row {row_no}, column '{col}': unknown value '{raw}'")
            data[col] = raw or None
        else:
            if col in MAX_LENGTH and len(raw) > MAX_LENGTH[col]:
                errors.append(
                    f"row {row_no}, column '{col}': longer than {MAX_LENGTH[col]} characters"
                )
            data[col] = raw or None
    if not data["name"]:
        errors.append(f"row {row_no}, column 'name': a name is required")
    site = data["website"]
    if isinstance(site, str) and not site.startswith(("http://", "https://")):
        errors.append(f"row {row_no}, column 'website': '{site}' is not an http(s) address")
    if errors:
        return None, errors
    return InitiativeBase.model_validate(data), []


def _key(name: str, municipality: str | None) -> tuple[str, str]:
    return (" ".join(name.casefold().split()), " ".join((municipality or "").casefold().split()))


def import_initiatives(session: Session, text: str, replace: bool = False) -> ImportResult:
    """Import a CSV text in one transaction. Without replace, rows whose name and
    municipality match an existing initiative update it; others are added."""
    items = parse_csv(text)
    result = ImportResult()
    try:
        if replace:
            existing_count = len(session.exec(select(Initiative.id)).all())
            session.exec(delete(Initiative))
            result.deleted = existing_count
            existing: dict[tuple[str, str], Initiative] = {}
        else:
            existing = {_key(i.name, i.municipality): i for i in session.exec(select(Initiative))}
        now = datetime.now(UTC)
        for item in items:
            key = _key(item.name, item.municipality)
            current = existing.get(key)
            if current is None:
                current = Initiative.model_validate(item)
                session.add(current)
                existing[key] = current
                result.created += 1
            else:
                for name, value in item.model_dump().items():
                    setattr(current, name, value)
                current.updated_at = now
                session.add(current)
                result.updated += 1
            result.names.append(item.name)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def write_csv(initiatives: Iterable[InitiativeBase], fh: TextIO) -> int:
    """Write initiatives in the exchange format; return the number of rows."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for ini in initiatives:
        row = []
        for col in COLUMNS:
            value = getattr(ini, col)
            if col in LIST_FIELDS:
                row.append(";".join(value))
            else:
                row.append("" if value is None else str(value))
        writer.writerow(row)
        n += 1
    return n


def export_initiatives(session: Session, fh: TextIO) -> int:
    rows = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
    return write_csv(rows, fh)
