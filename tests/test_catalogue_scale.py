"""The catalogue at scale (issue 10): the list pages in the database, exports stream, imports
write in bulk, and each gives what the code before it gave (bench/legacy_catalogue.py).

Nothing here is timed: the figures are bench/catalogue_bench.py's.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.catalogue import service
from app.catalogue.csvio import ImportResult, export_initiatives, import_initiatives
from app.catalogue.models import Initiative
from app.core.config import Settings
from app.core.db import init_db, make_engine
from app.main import create_app
from bench import legacy_catalogue
from tests import test_postgres
from tests.conftest import CATALOGUE_CSV, sqlite_url

pg_url = test_postgres.pg_url

TOWNS = ("Gent", "GENT", "Sint-Niklaas", "sint-niklaas", "Aalst", "", "Brugge")
ELEMENTS = ("meeting", "befriending", "social_support", "leisure", "mindfulness")
AGES = ("older", "youth", "all_ages", "young_adults", "adults")
# Cells a spreadsheet would run as formulas: the export must neutralise them.
FORMULAS = ("=1+2", "+32 9 123 45 67", "-x", "@SUM(A1)", "'=quoted", "plain")
HEADER = "name,municipality,description,elements,age_groups,phone,last_verified\n"


def catalogue_csv(n: int, prefix: str = "Initiatief", start: int = 0) -> str:
    """A file of `n` initiatives whose municipalities, elements and age groups vary, with
    the same municipality spelt in several ways and descriptions that look like formulas."""
    rows = []
    for k in range(start, start + n):
        elements = ";".join(ELEMENTS[j % len(ELEMENTS)] for j in range(k % 3 + 1))
        ages = AGES[k % len(AGES)] + (";older" if k % 4 == 0 and k % len(AGES) else "")
        phone = "09 123 45 67" if k % 5 == 0 else ""
        day = "2025-03-01" if k % 7 == 0 else ""
        rows.append(
            f'{prefix} {k},{TOWNS[k % len(TOWNS)]},"{FORMULAS[k % len(FORMULAS)]} {k}",'
            f"{elements},{ages},{phone},{day}"
        )
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "scale.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    init_db(engine)
    yield engine
    engine.dispose()


def load(
    engine: Engine, csv_text: str, replace: bool = False, legacy: bool = False
) -> ImportResult:
    run = legacy_catalogue.import_initiatives if legacy else import_initiatives
    with Session(engine) as session:
        return run(session, csv_text, replace=replace)


def dump(engine: Engine) -> list[dict[str, Any]]:
    """Every stored column of every initiative in use but the two timestamps, in id order;
    ids as ranks (after a replace, PostgreSQL's ids go on where SQLite's start again). A
    replace archives what the old import deleted: archived rows are left out."""
    table = Initiative.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        query = select(table).where(table.c.archived_at.is_(None)).order_by(table.c.id)
        rows = conn.execute(query).mappings()
        return [
            {**row, "id": rank, "created_at": None, "updated_at": None}
            for rank, row in enumerate(rows, start=1)
        ]


def outcome(result: ImportResult) -> tuple[int, int, int, list[str]]:
    # The old import deleted what a replace now archives: the same number either way.
    return result.created, result.updated, result.deleted + result.archived, result.names


# --- the list pages in the database ----------------------------------------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database of 95 initiatives per kind, for the list tests: they only read."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("scale-api") / "scale.db")
        _load_for_api(url)
        yield url
        return
    with test_postgres.scratch_database() as url:
        _load_for_api(url)
        yield url


def _load_for_api(url: str) -> None:
    engine = make_engine(url)
    init_db(engine)
    load(engine, catalogue_csv(95))
    engine.dispose()


@pytest.fixture(scope="module")
def api(api_db_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=api_db_url, seed_catalogue=False))
    with TestClient(app) as client:
        yield client


def test_pages_cover_the_catalogue_once_in_id_order(api: TestClient) -> None:
    everything = api.get("/api/v1/initiatives", params={"limit": 500}).json()
    assert everything["total"] == 95
    ids = [item["id"] for item in everything["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 95

    paged: list[int] = []
    for offset in range(0, 95, 20):
        page = api.get("/api/v1/initiatives", params={"limit": 20, "offset": offset}).json()
        assert page["total"] == 95
        paged += [item["id"] for item in page["items"]]
    assert paged == ids
    last = api.get("/api/v1/initiatives", params={"limit": 20, "offset": 80}).json()
    assert len(last["items"]) == 15
    beyond = api.get("/api/v1/initiatives", params={"limit": 20, "offset": 95}).json()
    assert beyond == {"total": 95, "items": []}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"municipality": "gent"},
        {"municipality": "  SINT-niklaas "},
        {"municipality": "Nergens"},
        {"element": "befriending"},
        {"age_group": "older"},
        {"municipality": "Gent", "element": "meeting", "age_group": "youth"},
        {"element": "leisure", "limit": 7, "offset": 3},
        {"age_group": "older", "offset": 1000},
    ],
)
def test_filtered_pages_are_what_the_old_list_gave(
    api: TestClient, api_db_url: str, query: dict[str, Any]
) -> None:
    got = api.get("/api/v1/initiatives", params=query).json()
    engine = make_engine(api_db_url)
    try:
        with Session(engine) as session:
            total, items = legacy_catalogue.list_initiatives(session, **query)
    finally:
        engine.dispose()
    assert got["total"] == total
    assert got["items"] == [item.model_dump(mode="json") for item in items]
    if query.get("municipality") == "gent":
        assert total > 0 and {i["municipality"] for i in got["items"]} == {"Gent", "GENT"}


def test_a_page_loads_only_its_own_rows(engine: Engine) -> None:
    load(engine, catalogue_csv(300))
    loaded: list[int] = []

    def count_load(target: Initiative, _context: object) -> None:
        loaded.append(target.id or 0)

    event.listen(Initiative, "load", count_load)
    try:
        with Session(engine) as session:
            total, rows = service.initiatives_page(session, element="meeting", limit=20, offset=40)
    finally:
        event.remove(Initiative, "load", count_load)
    assert total == 300  # every generated row has "meeting"
    assert len(rows) == 20
    assert sorted(loaded) == [r.id for r in rows]


# --- exports stream, byte for byte as before ------------------------------------------


def legacy_export(engine: Engine) -> str:
    out = io.StringIO()
    with Session(engine) as session:
        legacy_catalogue.export_initiatives(session, out)
    return out.getvalue()


@pytest.mark.parametrize("source", ["shipped", "formulas"])
def test_streamed_export_is_the_old_export(engine: Engine, source: str) -> None:
    load(
        engine,
        CATALOGUE_CSV.read_text(encoding="utf-8") if source == "shipped" else catalogue_csv(60),
    )
    out = io.StringIO()
    with Session(engine) as session:
        n = export_initiatives(session, out)
    assert out.getvalue() == legacy_export(engine)
    assert n == (19 if source == "shipped" else 60)
    if source == "formulas":
        assert out.getvalue().count(",'=1+2 ") == 10
        assert ",=" not in out.getvalue() and out.getvalue().count(",'@SUM(A1) ") == 10


def test_the_download_comes_in_pieces_and_whole(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, catalogue_csv(60))
    monkeypatch.setattr(service, "EXPORT_BATCH", 25)
    pieces = list(service.export_csv_chunks(engine))
    assert len(pieces) == 3  # 25, 25 and 10 rows; the header comes with the first
    assert "".join(pieces) == legacy_export(engine)
    some = list(service.export_csv_chunks(engine, [5, 3, 40, 3]))
    lines = "".join(some).splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "Initiatief 2",
        "Initiatief 4",
        "Initiatief 39",
    ]


def test_the_landscape_download_streams_the_filtered_matrix(db_url: str, engine: Engine) -> None:
    load(engine, CATALOGUE_CSV.read_text(encoding="utf-8"))
    app = create_app(Settings(database_url=db_url, seed_catalogue=False))
    with TestClient(app) as client:
        whole = client.get("/landschap/initiatieven.csv")
        older = client.get("/landschap/initiatieven.csv", params={"age_groups": "older"})
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "text/csv; charset=utf-8"
    assert whole.text == legacy_export(engine)
    # The filtered download: some of the whole one's lines, in the same order, as written.
    header, *lines = whole.text.splitlines(keepends=True)
    got = older.text.splitlines(keepends=True)
    assert got[0] == header
    assert 0 < len(got) - 1 < len(lines)
    assert [line for line in lines if line in got[1:]] == got[1:]


# --- bulk imports store what the ORM import stored -------------------------------------


def compare_imports(db_url: str, tmp_path: Path, steps: list[tuple[str, bool]]) -> None:
    """Run the same imports with the old and the new code on two fresh databases; after
    each step both hold the same rows and report the same counts."""
    engines = []
    for label in ("old", "new"):
        url = db_url if label == "new" else sqlite_url(tmp_path / "old.db")
        engine = make_engine(url)
        init_db(engine)
        engines.append(engine)
    old, new = engines
    try:
        for csv_text, replace in steps:
            expected = outcome(load(old, csv_text, replace, legacy=True))
            assert outcome(load(new, csv_text, replace)) == expected
            assert dump(new) == dump(old)
    finally:
        old.dispose()
        new.dispose()


def test_bulk_import_creates_what_the_old_import_created(db_url: str, tmp_path: Path) -> None:
    compare_imports(db_url, tmp_path, [(catalogue_csv(250), False)])


def test_bulk_import_updates_what_the_old_import_updated(db_url: str, tmp_path: Path) -> None:
    # The second file: 100 of the same initiatives (spelt in other case), 50 new, one
    # initiative twice, and a v1 file that leaves the referral details alone.
    again = catalogue_csv(150, prefix="INITIATIEF", start=50).splitlines()
    again.append(again[1].replace("INITIATIEF", "initiatief"))
    v1 = "name,municipality,description\nInitiatief 5,Aalst,Nieuw\nInitiatief 7,Gent,Ander\n"
    compare_imports(
        db_url,
        tmp_path,
        [(catalogue_csv(150), False), ("\n".join(again) + "\n", False), (v1, False)],
    )


def test_bulk_import_replaces_as_the_old_import_replaced(db_url: str, tmp_path: Path) -> None:
    compare_imports(
        db_url,
        tmp_path,
        [(catalogue_csv(120), False), (catalogue_csv(40, prefix="Nieuw"), True)],
    )


def test_bulk_import_keeps_the_updated_time_apart_from_the_created_time(engine: Engine) -> None:
    load(engine, catalogue_csv(3))
    load(engine, "name,municipality\nInitiatief 1,GENT\n")
    with Session(engine) as session:
        updated = session.get(Initiative, 2)
        assert updated is not None and updated.name == "Initiatief 1"
        assert updated.updated_at > updated.created_at


def test_one_session_imports_updates_twice(engine: Engine) -> None:
    # On PostgreSQL the changes go through a temporary table: it is gone after each import.
    with Session(engine) as session:
        import_initiatives(session, catalogue_csv(30))
        first = import_initiatives(session, catalogue_csv(30, prefix="INITIATIEF"))
        second = import_initiatives(session, catalogue_csv(20, prefix="initiatief"))
    assert (first.created, first.updated, second.created, second.updated) == (0, 30, 0, 20)
    names = [row["name"] for row in dump(engine)]
    assert names == [f"initiatief {k}" for k in range(20)] + [
        f"INITIATIEF {k}" for k in range(20, 30)
    ]


def test_a_refused_bulk_write_is_the_database_error_and_imports_nothing(engine: Engine) -> None:
    # A row whose stored dedupe_key is another initiative's (written around the ORM): the
    # database refuses the import's new row for that initiative, and the import as a whole.
    load(engine, catalogue_csv(5))
    table = Initiative.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.name == "Initiatief 4").values(name="Hernoemd"))
    before = dump(engine)
    with pytest.raises(IntegrityError):
        load(engine, "name,municipality\nNieuw,Gent\nInitiatief 4,Aalst\n")
    assert dump(engine) == before
    assert outcome(load(engine, "name,municipality\nNieuw,Gent\n")) == (1, 0, 0, ["Nieuw"])


def test_bulk_import_keeps_tabs_newlines_and_backslashes(db_url: str, tmp_path: Path) -> None:
    # COPY's text format gives these a meaning of their own (PostgreSQL): they must arrive
    # as the cell had them, and a cell that reads \N must not become empty.
    text = (
        "name,description,goal,partners\n"
        '"Tab\there","twee\nregels","C:\\\\pad\\\\N","\\N"\n'
        '"Accent é ß ☕","{""elements"": [1]}","a\\tb",""\n'
    )
    compare_imports(db_url, tmp_path, [(text, False), (text, False)])
    rows = dump_for(db_url)
    assert [r["name"] for r in rows] == ["Tab\there", "Accent é ß ☕"]
    assert rows[0]["description"] == "twee\nregels"
    assert (rows[0]["goal"], rows[0]["partners"]) == ("C:\\\\pad\\\\N", "\\N")
    assert rows[1]["partners"] is None


def dump_for(db_url: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    try:
        return dump(engine)
    finally:
        engine.dispose()
