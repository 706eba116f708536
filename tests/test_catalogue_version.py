"""The catalogue version (migration 0004): raised by every import, noticed by every worker."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from app.catalogue.csvio import ALL_COLUMNS, CsvImportError, import_initiatives
from app.catalogue.service import CatalogueSnapshot
from app.catalogue.version import read_version
from app.core.db import init_db, make_engine
from tests import test_postgres
from tests.conftest import CATALOGUE_CSV, run_app, sqlite_url
from tests.serving import serving
from tests.test_migrations import migrate_to, schema_differences

pg_url = test_postgres.pg_url

# How long a worker may take to show an import: its check every 0.5 s and a reload.
VISIBLE_WITHIN_S = 30.0
INTAKE = {
    "age_group": "older",
    "problem_nature": "situational",
    "wants_contact": True,
    "coping": "passive",
    "municipality": "Gent",
}
NEW_NAME = "Werkersproef Gent"


def version_of(engine: Engine) -> int:
    with engine.connect() as conn:
        return read_version(conn)


def assert_version_migration(engine: Engine) -> None:
    """Shared by SQLite and PostgreSQL: 0004 makes the one row, imports raise it, and a
    downgrade and upgrade work."""
    migrate_to(engine, "0003")
    assert "catalogue_version" not in inspect(engine).get_table_names()
    init_db(engine)
    assert schema_differences(engine) == []
    assert version_of(engine) == 1
    with Session(engine) as session:
        import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    assert version_of(engine) == 2
    migrate_to(engine, "0003", down=True)
    assert "catalogue_version" not in inspect(engine).get_table_names()
    init_db(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, version FROM catalogue_version")).all() == [(1, 1)]


def test_version_migration_on_sqlite(tmp_path: Path) -> None:
    assert_version_migration(make_engine(sqlite_url(tmp_path / "v.db")))


@pytest.mark.postgres
def test_version_migration_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_version_migration(engine)
    finally:
        engine.dispose()


def test_a_refused_import_leaves_the_version(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "v.db"))
    init_db(engine)
    with Session(engine) as session, pytest.raises(CsvImportError):
        import_initiatives(session, "name,municipality,email\nA,Gent,not-an-address\n")
    assert version_of(engine) == 1


def test_snapshot_reloads_only_for_a_new_version(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "v.db"))
    init_db(engine)
    snapshot = CatalogueSnapshot(engine, check_seconds=0)
    assert list(snapshot.get()) == []
    first = snapshot.get()
    assert snapshot.refresh() is False
    assert snapshot.get() is first  # the same copy, not reloaded
    with Session(engine) as session:
        import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    assert snapshot.get() is first  # until the version is checked
    assert snapshot.refresh() is True
    assert snapshot.version == 2
    assert len(snapshot.get()) > 0


def one_row_csv(template: str) -> str:
    """The shipped catalogue's initiative named `template`, under a new name."""
    rows = list(csv.DictReader(io.StringIO(CATALOGUE_CSV.read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["name"] == template)
    row["name"] = NEW_NAME
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ALL_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerow({c: row.get(c, "") for c in ALL_COLUMNS})
    return out.getvalue()


def fresh(url: str, method: str = "GET", **kwargs: Any) -> Any:
    """One request on a new connection, so that any worker may answer it."""
    headers = {"Connection": "close"}
    return httpx.request(method, url, headers=headers, timeout=10, **kwargs).json()


def shows_new_catalogue(base: str) -> bool:
    landscape = fresh(f"{base}/api/v1/landscape")
    initiatives = fresh(f"{base}/api/v1/initiatives")
    advice = fresh(f"{base}/api/v1/advice", "POST", json=INTAKE)
    return (
        landscape["n"] == 1
        and [i["name"] for i in initiatives["items"]] == [NEW_NAME]
        and [i["name"] for i in advice["initiatives"]] == [NEW_NAME]
    )


def test_every_worker_shows_an_import_soon(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "app.db")
    with serving(url, tmp_path / "server.log", "--workers", "2") as server:
        base = server.url
        before = fresh(f"{base}/api/v1/advice", "POST", json=INTAKE)
        assert NEW_NAME not in [i["name"] for i in before["initiatives"]]
        assert fresh(f"{base}/api/v1/landscape")["n"] > 1
        csv_path = tmp_path / "one.csv"
        csv_path.write_text(one_row_csv(before["initiatives"][0]["name"]), encoding="utf-8")
        r = run_app("initiatives", "import", str(csv_path), "--replace", database_url=url)
        assert r.returncode == 0, r.stderr
        engine = make_engine(url)
        version = version_of(engine)
        engine.dispose()
        # Poll (bounded, generous for a loaded machine) until ten answers in a row, on new
        # connections and so from both workers, show the new catalogue: no worker stays stale.
        deadline = time.monotonic() + VISIBLE_WITHIN_S
        in_a_row = 0
        while in_a_row < 10:
            in_a_row = in_a_row + 1 if shows_new_catalogue(base) else 0
            assert time.monotonic() < deadline, (
                f"an import was not visible within {VISIBLE_WITHIN_S} s"
            )
            if not in_a_row:
                time.sleep(0.1)
        for _ in range(10):
            assert shows_new_catalogue(base)
            # The landscape and the list of initiatives agree.
            assert (
                fresh(f"{base}/api/v1/landscape")["n"]
                == fresh(f"{base}/api/v1/initiatives")["total"]
            )
            # and every worker says it serves the new version, with its one initiative
            assert fresh(f"{base}/readyz")["catalogue"] == {"version": version, "initiatives": 1}
