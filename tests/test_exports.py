"""Every CSV the app writes is safe to open in a spreadsheet (OWASP CSV injection), and an
import of an export gives the original values back."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalogue.csvio import (
    FORMULA_STARTS,
    export_initiatives,
    import_initiatives,
    neutralise,
    parse_csv,
    unneutralise,
    write_csv,
)
from app.catalogue.models import Initiative, InitiativeBase
from app.core.config import REPO_ROOT, Settings
from app.core.db import init_db, make_engine
from app.landscape.view import FacetTable
from app.main import create_app
from tests import test_postgres
from tests.conftest import run_app, sqlite_url

pg_url = test_postgres.pg_url

# Free-text columns an import keeps as typed (ids, phone, email, website and dates are checked).
TEXT_COLUMNS = ("name", "description", "goal", "municipality", "partners", "evaluation", "address")
DANGEROUS = [c for c in FORMULA_STARTS]
# What an import stores can start with any of these but tab and CR (an import strips cells).
VISIBLE = [c for c in DANGEROUS if c not in "\t\r"]


# The tests that take `client` only read: they share one application and database
# (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def _payloads(first: str) -> list[str]:
    return [f"{first}SUM(A1)", f"{first}cmd|' /C calc'!A0", f"'{first}x", f"''{first}x", first]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _assert_safe(text: str) -> None:
    for row in _cells(text):
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def _initiatives(first: str) -> list[InitiativeBase]:
    """One initiative per payload, the payload in every free-text column."""
    return [
        InitiativeBase.model_validate({**dict.fromkeys(TEXT_COLUMNS, p), "name": f"{p} {n}"})
        for n, p in enumerate(_payloads(first))
    ]


@pytest.mark.parametrize("first", DANGEROUS)
def test_neutralise_and_its_inverse(first: str) -> None:
    for value in _payloads(first):
        written = neutralise(value)
        assert isinstance(written, str) and written.startswith("'")
        assert unneutralise(written) == value
    # Numbers and harmless text are written as they are; a lone quote is data.
    assert neutralise(12) == 12 and neutralise(0.5) == 0.5 and neutralise(None) is None
    assert neutralise("Buurtwerk = samen") == "Buurtwerk = samen"
    assert unneutralise("'t Hof") == "'t Hof" and neutralise("'t Hof") == "'t Hof"


@pytest.mark.parametrize("first", DANGEROUS)
def test_exchange_export_is_neutralised(first: str) -> None:
    out = io.StringIO()
    write_csv(_initiatives(first), out)
    _assert_safe(out.getvalue())


@pytest.mark.parametrize("first", VISIBLE)
def test_import_of_export_gives_the_values_back(first: str, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    init_db(engine)
    originals = _initiatives(first)
    source = io.StringIO()
    write_csv(originals, source)
    with Session(engine) as session:
        import_initiatives(session, source.getvalue())
        stored = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
        for want, got in zip(originals, stored, strict=True):
            for col in TEXT_COLUMNS:
                assert getattr(got, col) == getattr(want, col)
        out = io.StringIO()
        export_initiatives(session, out)
    assert out.getvalue() == source.getvalue()
    for want, parsed in zip(originals, parse_csv(out.getvalue()), strict=True):
        assert [getattr(parsed, c) for c in TEXT_COLUMNS] == [
            getattr(want, c) for c in TEXT_COLUMNS
        ]


def test_phone_numbers_round_trip_behind_a_quote() -> None:
    out = io.StringIO()
    write_csv([InitiativeBase(name="A", phone="+32 9 123 45 67")], out)
    assert ",'+32 9 123 45 67," in out.getvalue()
    (item,) = parse_csv(out.getvalue())
    assert item.phone == "+32 9 123 45 67"


def test_cli_export_is_neutralised_and_reimports(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    originals = [i for first in VISIBLE for i in _initiatives(first)]
    source = io.StringIO()
    write_csv(originals, source)
    with Session(engine) as session:
        import_initiatives(session, source.getvalue())
    engine.dispose()
    out = tmp_path / "out.csv"
    r = run_app("initiatives", "export", str(out), database_url=sqlite_url(db))
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    _assert_safe(text)
    assert text == source.getvalue()


@pytest.fixture
def dangerous_client(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    init_db(engine)
    rows = [i for first in VISIBLE for i in _initiatives(first)]
    out = io.StringIO()
    write_csv(rows, out)
    with Session(engine) as session:
        import_initiatives(session, out.getvalue())
    engine.dispose()
    app = create_app(Settings(database_url=url, seed_catalogue=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_matrix_download_is_neutralised_and_reimports(dangerous_client: TestClient) -> None:
    r = dangerous_client.get("/landschap/initiatieven.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    _assert_safe(r.text)
    names = {i.name for i in parse_csv(r.text)}
    assert names == {i.name for first in VISIBLE for i in _initiatives(first)}


@pytest.mark.parametrize("first", DANGEROUS)
def test_facet_table_csv_is_neutralised(first: str) -> None:
    rows = [(f"{first}id", f'{first}HYPERLINK("x")', 3, 50.0)]
    _assert_safe(FacetTable("elements", f"{first}title", rows, 6).csv())


def test_facet_table_download_is_neutralised(dangerous_client: TestClient) -> None:
    r = dangerous_client.get("/landschap/tabel/elements.csv")
    assert r.status_code == 200
    _assert_safe(r.text)


@pytest.mark.parametrize("first", DANGEROUS)
def test_crosstab_download_is_neutralised(
    first: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.web import landscape_pages

    cross = {
        "row_label": f"{first}row",
        "col_label": f"{first}col",
        "counts": [[1, 2], [3, 4]],
        "chi2": 0.5,
        "df": 1,
        "p": 0.48,
    }
    monkeypatch.setattr(landscape_pages, "_crosstab_view", lambda *a: (cross, {}))
    r = client.get("/landschap/kruistabel.csv")
    assert r.status_code == 200
    _assert_safe(r.text)
    # A CR is written as a newline (as an import reads it); the rest behind one quote.
    assert unneutralise(_cells(r.text)[1][0]) == f"{first}row: ja".replace("\r", "\n")
    assert _cells(r.text)[1][1:] == ["1", "2"]  # numbers stay numbers


@pytest.mark.parametrize("first", DANGEROUS)
def test_demand_download_is_neutralised(
    first: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.web import demand_pages

    row = SimpleNamespace(
        band=f"{first}band",
        age_group=f"{first}age",
        prevalence=12.5,
        residents=1000,
        lonely=125,
        explicit=2,
        supply=3,
        per_1000=None,
        approximate=False,
        note=f"{first}note",
    )
    page = SimpleNamespace(view={"rows": [row]}, place=None)
    monkeypatch.setattr(demand_pages, "demand_page", lambda request: page)
    r = client.get("/landschap/vraag.csv")
    assert r.status_code == 200
    _assert_safe(r.text)
    cells = _cells(r.text)[1]
    assert [unneutralise(c) for c in cells[:2]] == [
        f"{first}band".replace("\r", "\n"),
        f"{first}age".replace("\r", "\n"),
    ]
    assert cells[2:9] == ["12.5", "1000", "125", "2", "3", "", ""]  # numbers stay numbers
    assert unneutralise(cells[10]) == f"{first}note".replace("\r", "\n")


def test_every_csv_writer_is_the_safe_one() -> None:
    """No module writes CSV but through SafeCsvWriter (the one place that neutralises),
    except the HSDS tables, whose every cell goes through hsds._cell: neutralised as here,
    but a phone number of digits and separators only stays dialable for other directories
    (tests/test_hsds.py checks both)."""
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "app").rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
        and path.name != "csvio.py"
    ]
    assert offenders == ["app/catalogue/hsds.py"]
    source = (REPO_ROOT / "app" / "catalogue" / "hsds.py").read_text(encoding="utf-8")
    assert source.count("csv.writer(") == 1
    assert "_cell(get(name)" in source


def test_nul_byte_import_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    init_db(engine)
    try:
        with Session(engine) as session:
            import_initiatives(session, "name,municipality,description\nA\x00B,Gent,x\x00y\u202e\n")
            (item,) = session.exec(select(Initiative)).all()
            assert (item.name, item.description) == ("AB", "xy")
            out = io.StringIO()
            export_initiatives(session, out)
        assert "A\x00" not in out.getvalue()
    finally:
        engine.dispose()


def test_cli_import_of_a_nul_byte_on_postgres(pg_url: str, tmp_path: Path) -> None:
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"name,municipality\nA\x00B,Gent\n")
    r = run_app("initiatives", "import", str(nul), database_url=pg_url)
    assert "Traceback" not in r.stderr
    assert r.returncode == 0, r.stderr
    engine = make_engine(pg_url)
    try:
        with Session(engine) as session:
            assert [i.name for i in session.exec(select(Initiative))] == ["AB"]
    finally:
        engine.dispose()
