"""Catalogue queries, seeding and the in-memory snapshot used for matching."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.advice.models import Advice
from app.catalogue.csvio import ImportResult, import_initiatives
from app.catalogue.models import Initiative, SavedIntake
from app.catalogue.records import InitiativeRecord
from app.domain.intake import Intake


def count_initiatives(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Initiative)).one())


def seed_if_empty(engine: Engine, csv_path: Path) -> ImportResult | None:
    """Fill an empty catalogue with the shipped CSV; leave a filled one alone."""
    with Session(engine) as session:
        if count_initiatives(session):
            return None
        return import_initiatives(session, csv_path.read_text(encoding="utf-8"))


def load_records(engine: Engine) -> tuple[InitiativeRecord, ...]:
    with Session(engine) as session:
        rows = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
        return tuple(r.to_record() for r in rows)


def initiatives_by_ids(engine: Engine, ids: Iterable[int]) -> list[Initiative]:
    """Full rows of the given initiatives, in id order (for export)."""
    wanted = set(ids)
    with Session(engine) as session:
        rows = session.exec(select(Initiative).order_by(Initiative.id))  # type: ignore[arg-type]
        return [r for r in rows if r.id in wanted]


def save_anonymous(engine: Engine, intake: Intake, advice: Advice) -> str:
    """Store a pseudonymous record of one advice (explicit consent only); return its code.

    No names, free text or scale answers, and the month instead of a date.
    """
    record = SavedIntake(
        code=secrets.token_hex(4),
        month=datetime.now(UTC).strftime("%Y-%m"),
        age_group=intake.age_group.value,
        profile=advice.profile.id,
        course=advice.course,
        dimensions=advice.dimensions,
        socially_isolated=intake.socially_isolated,
        risk_factors=[r.value for r in intake.risk_factors],
        djg6_band=str(advice.scales["djg6"]["band"]) if advice.scales else None,
        # PostgreSQL refuses NUL in text; the form strips it, a direct caller may not.
        municipality=(intake.municipality or "").replace("\x00", "") or None,
        advised=[e.id for e in advice.elements[:5]],
    )
    with Session(engine) as session:
        session.add(record)
        session.commit()
        return record.code


class CatalogueSnapshot:
    """An immutable copy of the catalogue for matching and the landscape, reloaded after
    `ttl` seconds, so that an advice does not query the database."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self._engine = engine
        self._ttl = ttl
        self._records: tuple[InitiativeRecord, ...] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> Sequence[InitiativeRecord]:
        records = self.peek()
        if records is not None:
            return records
        with self._lock:
            if self._records is None or time.monotonic() - self._loaded_at >= self._ttl:
                self._records = load_records(self._engine)
                self._loaded_at = time.monotonic()
            return self._records

    def peek(self) -> Sequence[InitiativeRecord] | None:
        """The snapshot when it is fresh, else None (without touching the database)."""
        records = self._records
        if records is not None and time.monotonic() - self._loaded_at < self._ttl:
            return records
        return None
