"""The catalogue snapshot read with Core (app.catalogue.service.load_records) holds exactly
what the ORM rows hold, and a snapshot preloaded before the workers fork is used only for
its own catalogue version."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.catalogue import service
from app.catalogue.csvio import import_initiatives
from app.catalogue.models import Initiative
from app.catalogue.service import CatalogueSnapshot, load_records, preload_snapshot
from app.core.db import init_db, make_engine
from bench.scale_server_bench import catalogue_text
from bench.synthetic import synthetic_catalogue
from tests.conftest import CATALOGUE_CSV, sqlite_url


def _filled(tmp_path: Path) -> Engine:
    engine = make_engine(sqlite_url(tmp_path / "snapshot.db"))
    init_db(engine)
    with Session(engine) as session:
        import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    with Session(engine) as session:
        import_initiatives(session, catalogue_text(synthetic_catalogue(500)))
    return engine


def _import_one(engine: Engine, name: str) -> None:
    text = f"name,municipality,elements,age_groups\n{name},Geel,meeting,older\n"
    with Session(engine) as session:
        import_initiatives(session, text)


def test_records_are_those_of_the_orm_rows(tmp_path: Path) -> None:
    engine = _filled(tmp_path)
    with Session(engine) as session:
        rows = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
        expected = tuple(r.to_record() for r in rows)
    records = load_records(engine)
    assert len(records) == 519
    assert records == expected
    # Every value as the ORM gives it, the order of each set's ids included (matching adds
    # element weights in that order).
    for got, want in zip(records, expected, strict=True):
        assert list(got.elements) == list(want.elements)
    # Equal list values are one shared set, not one set per record.
    distinct = {id(r.age_groups) for r in records}
    assert len(distinct) < len({r.age_groups for r in records}) * 2 < len(records)
    engine.dispose()


def test_a_preloaded_snapshot_serves_only_its_own_version(tmp_path: Path) -> None:
    engine = _filled(tmp_path)
    try:
        assert preload_snapshot(engine) == 519
        # A worker forked now starts with the preloaded records, the same objects.
        preloaded = service._preloaded[service._url_key(engine)][1]
        first = CatalogueSnapshot(engine, 0)
        assert first.get() is preloaded
        # Taken once: a second snapshot in the same process reads the database.
        second = CatalogueSnapshot(engine, 0)
        assert second.get() is not preloaded
        assert second.get() == preloaded

        # Preloaded, then the catalogue changes before the worker loads: not taken.
        preload_snapshot(engine)
        _import_one(engine, "Praatcafé na de preload")
        later = CatalogueSnapshot(engine, 0)
        names = {r.name for r in later.get()}
        assert "Praatcafé na de preload" in names
        assert len(later.get()) == 520
    finally:
        service._preloaded.clear()
        engine.dispose()
