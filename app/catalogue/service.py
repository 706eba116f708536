"""Catalogue queries, seeding and the in-memory snapshot used for matching."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.catalogue.csvio import ImportResult, import_initiatives
from app.catalogue.models import Initiative
from app.catalogue.records import InitiativeRecord


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


class CatalogueSnapshot:
    """An immutable copy of the catalogue for matching, refreshed after `ttl` seconds
    or on `invalidate()`, so that an advice does not query the database."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self._engine = engine
        self._ttl = ttl
        self._records: tuple[InitiativeRecord, ...] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> Sequence[InitiativeRecord]:
        now = time.monotonic()
        records = self._records
        if records is not None and now - self._loaded_at < self._ttl:
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

    def invalidate(self) -> None:
        with self._lock:
            self._records = None
