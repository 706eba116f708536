"""CSV exchange: round trip, all-or-nothing, errors that name row, column and value."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.catalogue.csvio import (
    COLUMNS,
    CsvImportError,
    export_initiatives,
    import_initiatives,
    parse_csv,
)
from app.catalogue.models import Initiative
from app.core.config import REPO_ROOT
from app.core.db import init_db, make_engine
from tests.conftest import CATALOGUE_CSV

HEADER = ",".join(COLUMNS)


@pytest.fixture
def session(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    init_db(engine)
    with Session(engine) as s:
        yield s


def test_shipped_catalogue_is_valid_and_complete() -> None:
    items = parse_csv(CATALOGUE_CSV.read_text(encoding="utf-8"))
    assert len(items) == 19
    for item in items:
        assert item.description and item.elements and item.age_groups
        assert item.prevention_levels and item.geographic_level and item.primary_actor


def test_round_trip(session: Session) -> None:
    text = CATALOGUE_CSV.read_text(encoding="utf-8")
    result = import_initiatives(session, text)
    assert result.created == 19
    out = io.StringIO()
    assert export_initiatives(session, out) == 19
    assert parse_csv(out.getvalue()) == parse_csv(text)


def test_reimport_updates_instead_of_duplicating(session: Session) -> None:
    text = CATALOGUE_CSV.read_text(encoding="utf-8")
    import_initiatives(session, text)
    again = import_initiatives(session, text)
    assert (again.created, again.updated) == (0, 19)
    assert len(session.exec(select(Initiative)).all()) == 19


def test_replace(session: Session) -> None:
    import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    result = import_initiatives(session, f"{HEADER}\nOnly one" + "," * 17 + "\n", replace=True)
    assert (result.deleted, result.created) == (19, 1)
    assert [i.name for i in session.exec(select(Initiative))] == ["Only one"]


def _row(**values: str) -> str:
    return ",".join(values.get(c, "") for c in COLUMNS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{HEADER},colour\n", "unknown column(s): 'colour'"),
        ("description,goal\n", "required column 'name' is missing"),
        (
            f"{HEADER}\n{_row(name='A', elements='meeting;meetin')}\n",
            "row 2, column 'elements': unknown value 'meetin'",
        ),
        (
            f"{HEADER}\n{_row(name='A')}\n{_row(name='B', age_groups='elderly')}\n",
            "row 3, column 'age_groups': unknown value 'elderly'",
        ),
        (
            f"{HEADER}\n{_row(name='A', effect_ladder='5')}\n",
            "row 2, column 'effect_ladder': unknown value '5'",
        ),
        (f"{HEADER}\n{_row(description='no name')}\n", "row 2, column 'name': a name is required"),
        (f"{HEADER}\nA,b\n", "row 2: expected 18 cells, found 2"),
        (f"{HEADER}\n{_row(name='A', website='www.x.be')}\n", "column 'website'"),
        ("", "the file is empty"),
    ],
)
def test_errors_name_row_column_value(text: str, message: str) -> None:
    with pytest.raises(CsvImportError) as exc:
        parse_csv(text)
    assert any(message in e for e in exc.value.errors), exc.value.errors


def test_import_is_all_or_nothing(session: Session) -> None:
    import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    bad = f"{HEADER}\n{_row(name='Good')}\n{_row(name='Bad', dimensions='sadness')}\n"
    with pytest.raises(CsvImportError):
        import_initiatives(session, bad, replace=True)
    names = {i.name for i in session.exec(select(Initiative))}
    assert len(names) == 19 and "Good" not in names


def test_utf8_bom_and_quoted_cells() -> None:
    text = "\ufeff" + HEADER + "\n" + _row(name='"Eén, twee"', elements="meeting") + "\n"
    (item,) = parse_csv(text)
    assert item.name == "Eén, twee"


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )


def test_cli_import_export(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    r = _cli("initiatives", "import", str(CATALOGUE_CSV), db=db)
    assert r.returncode == 0, r.stderr
    assert "19 added" in r.stdout
    out = tmp_path / "out.csv"
    r = _cli("initiatives", "export", str(out), db=db)
    assert r.returncode == 0, r.stderr
    assert parse_csv(out.read_text(encoding="utf-8")) == parse_csv(
        CATALOGUE_CSV.read_text(encoding="utf-8")
    )


def test_cli_reports_errors_and_imports_nothing(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{_row(name='A', primary_actor='mayor')}\n", encoding="utf-8")
    r = _cli("initiatives", "import", str(bad), db=db)
    assert r.returncode == 1
    assert "row 2, column 'primary_actor': unknown value 'mayor'" in r.stderr
    assert "nothing was imported" in r.stderr
    assert "Traceback" not in r.stderr
    missing = _cli("initiatives", "import", str(tmp_path / "nope.csv"), db=db)
    assert missing.returncode == 2 and "no such file" in missing.stderr
