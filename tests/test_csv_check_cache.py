"""An import checks each distinct cell text once per column (csvio.CHECK_CACHE_LIMIT) and
reuses the answer: the errors must still name the row and column of every cell at fault,
and no two rows may share a value that one of them could change."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.catalogue import csvio
from app.catalogue.csvio import CsvImportError, import_initiatives, parse_csv
from app.catalogue.models import Initiative, dedupe_key
from app.core.db import init_db, make_engine
from tests.conftest import sqlite_url


def errors(text: str) -> list[str]:
    with pytest.raises(CsvImportError) as exc:
        parse_csv(text)
    return exc.value.errors


def test_a_text_valid_in_one_column_is_still_wrong_in_another() -> None:
    # "older" is an age group, not an element: the same text in both columns of one row
    # and of the next must be judged per column.
    text = "name,age_groups,elements\nA,older,meeting\nB,older,older\nC,meeting,older\n"
    assert errors(text) == [
        "row 3, column 'elements': unknown value 'older'",
        "row 4, column 'age_groups': unknown value 'meeting'",
        "row 4, column 'elements': unknown value 'older'",
    ]


def test_a_wrong_text_seen_before_is_reported_again_in_its_own_row() -> None:
    text = (
        "name,elements,phone,last_verified,website\n"
        "A,meeting;meetin,bel ons,31/02/2026,www.x.be\n"
        "B,meeting,09 123 45 67,2026-01-05,https://www.x.be\n"
        "C,meeting;meetin,bel ons,31/02/2026,www.x.be\n"
    )
    expected = [
        "column 'elements': unknown value 'meetin'",
        "column 'phone': 'bel ons' is not a phone number (digits, spaces and + . / ( ) - only)",
        "column 'last_verified': '31/02/2026' is not a date written as YYYY-MM-DD (or DD/MM/YYYY)",
        "column 'website': 'www.x.be' is not a public http(s) web address",
    ]
    assert errors(text) == [f"row {n}, {e}" for n in (2, 4) for e in expected]


def test_rows_with_the_same_cells_get_values_of_their_own() -> None:
    a, b = parse_csv("name,elements,age_groups\nA,meeting;leisure,older\nB,meeting;leisure,older\n")
    assert a.elements == b.elements == ["meeting", "leisure"]
    a.elements.append("befriending")
    assert b.elements == ["meeting", "leisure"]


def test_beyond_the_cache_limit_cells_are_checked_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elements = ("meeting", "leisure;meeting", "ONTMOETEN / sociaal contact", "mindfulness")
    rows = [
        f"I{n},{elements[n % 4]},"
        f"{('older', 'youth')[n % 2]},2025-0{n % 9 + 1}-01,https://www.i{n % 3}.be"
        for n in range(40)
    ]
    text = "name,elements,age_groups,last_verified,website\n" + "\n".join(rows) + "\n"
    cached = parse_csv(text)
    monkeypatch.setattr(csvio, "CHECK_CACHE_LIMIT", 1)
    assert parse_csv(text) == cached
    bad = text + "X,meetin,older,2025-01-01,www.x.be\nY,meetin,older,2025-01-01,www.x.be\n"
    assert [e.split(",")[0] for e in errors(bad)] == ["row 42", "row 42", "row 43", "row 43"]


def test_errors_stop_after_the_limit_as_before() -> None:
    # Rows with the wrong number of cells, then a good row: the good row ends the file's
    # check once 50 problems are known (as it did before the import was made faster).
    text = "name,municipality\n" + "A,b,c\n" * 50 + "Goed,Gent\n" + "B,c,d\n"
    found = errors(text)
    assert len(found) == 51 and found[-1] == "stopped after 50 errors"
    assert found[0] == "row 2: expected 2 cells, found 3"


def test_a_cell_to_clean_in_an_otherwise_clean_file(tmp_path: Path) -> None:
    # One control character anywhere makes every cell go through clean_text; a quote that
    # neutralised a formula comes off in both kinds of file.
    for extra in ("", "\u202e"):
        (item,) = parse_csv(f"name,description\nA{extra},'=1+2\n")
        assert (item.name, item.description) == ("A", "=1+2")


def test_imported_rows_carry_the_dedupe_key_the_model_gives(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "k.db"))
    init_db(engine)
    try:
        with Session(engine) as session:
            import_initiatives(
                session,
                "name,municipality\n  Buurt  Koor ,GENT\nPraatcafé,\nÉén,Sint-Niklaas\n",
            )
            import_initiatives(session, "name\nbuurt koor\nNieuw\n")
        with engine.connect() as conn:
            table = Initiative.__table__  # type: ignore[attr-defined]
            rows = conn.execute(select(table.c.name, table.c.municipality, table.c.dedupe_key))
            stored = [(name, town, key) for name, town, key in rows]
    finally:
        engine.dispose()
    assert len(stored) == 5
    assert all(key == dedupe_key(name, town) for name, town, key in stored)
