"""An import never moves a record's last_verified back: importing an older export again (or
any file whose date for a record is older than the stored one, or empty) keeps the stored
date, on every path that writes imported rows (csvio.import_initiatives for the CLI and the
seed; import_preview.apply for /beheer/import, CSV and HSDS alike). The preview lists those
records, and their changes and audit entries leave the field out.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (the database_url fixture)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from app.auth.models import AuditEntry
from app.catalogue import hsds, import_preview
from app.catalogue.csvio import import_initiatives
from app.catalogue.freshness import later_verification
from app.catalogue.import_preview import Upload, read_upload
from app.catalogue.models import Initiative
from app.core.db import init_db, make_engine
from tests.conftest import run_app, sqlite_url

# Dates an import accepts: none in the future.
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date.today() - timedelta(days=1))
MAYBE_DAYS = st.none() | DAYS
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
HEADER = "name,municipality,description,last_verified"
_TABLE = Initiative.__table__  # type: ignore[attr-defined]


def latest(*days: date | None) -> date | None:
    """The expected result, worked out apart from the code: the latest date, if any."""
    known = [d for d in days if d is not None]
    return max(known) if known else None


def cell(day: date | None) -> str:
    return "" if day is None else day.isoformat()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    with Session(engine) as session:
        import_initiatives(session, f"{HEADER}\nKoor,Gent,Zingen,\n")
    yield engine
    engine.dispose()


@pytest.fixture
def service(engine: Engine) -> dict[str, Any]:
    """The record as an HSDS export writes it."""
    with Session(engine) as session:
        (found,) = hsds.iter_services(session)
        return found


def store(engine: Engine, day: date | None, archived: bool = False) -> int:
    """Set the record's stored last_verified (and archive it) directly, as a curator's
    confirmation would have; its id."""
    with Session(engine) as session:
        row = session.exec(select(Initiative)).one()
        assert row.id is not None
        session.connection().execute(
            update(_TABLE)
            .where(_TABLE.c.id == row.id)
            .values(
                last_verified=day,
                description="Zingen",
                archived_at=row.created_at if archived else None,
            )
        )
        session.execute(delete(AuditEntry))
        session.commit()
        return row.id


def stored(engine: Engine) -> date | None:
    with Session(engine) as session:
        return session.exec(select(Initiative.last_verified)).one()


@given(a=MAYBE_DAYS, b=MAYBE_DAYS)
def test_the_later_date_is_kept_and_an_empty_one_is_the_earliest(
    a: date | None, b: date | None
) -> None:
    kept = later_verification(a, b)
    assert kept == latest(a, b)
    assert kept in (a, b)
    assert kept == later_verification(b, a)


@PROPERTY
@given(before=MAYBE_DAYS, rows=st.lists(MAYBE_DAYS, min_size=1, max_size=3))
def test_a_bulk_import_keeps_the_latest_of_stored_and_imported(
    engine: Engine, before: date | None, rows: list[date | None]
) -> None:
    store(engine, before)
    # Rows for the same initiative in one file count as imported one after the other.
    text = HEADER + "\n" + "".join(f"Koor,Gent,Zingen,{cell(d)}\n" for d in rows)
    with Session(engine) as session:
        result = import_initiatives(session, text)
    assert stored(engine) == latest(before, *rows)
    assert result.kept_verified == (latest(*rows) != latest(before, *rows))


@PROPERTY
@given(
    before=MAYBE_DAYS,
    in_file=MAYBE_DAYS,
    archived=st.booleans(),
    new_text=st.booleans(),
    source=st.sampled_from(["csv", "hsds"]),
)
def test_a_curator_import_keeps_the_later_date_and_says_so(
    engine: Engine,
    service: dict[str, Any],
    before: date | None,
    in_file: date | None,
    archived: bool,
    new_text: bool,
    source: str,
) -> None:
    id_ = store(engine, before, archived)
    text = "Samen zingen" if new_text else "Zingen"
    if source == "csv":
        upload = Upload("lijst.csv", "csv", f"{HEADER}\nKoor,Gent,{text},{cell(in_file)}\n")
    else:
        # The record as an HSDS JSON upload gives it (assured_date is last_verified).
        changed = {**service, "description": text}
        changed.pop("assured_date", None)
        if in_file is not None:
            changed["assured_date"] = in_file.isoformat()
        upload = read_upload("diensten.json", json.dumps([changed]).encode("utf-8"))
    with Session(engine) as session:
        plan = import_preview.preview(session, upload)
    assert plan.ok, plan.problems
    expected = latest(before, in_file)
    moves = expected != before
    keeps = expected != in_file
    (entry,) = [e for kind in import_preview.KINDS for e in plan.samples[kind]]
    assert ("last_verified" in [d.column for d in entry.diffs]) == moves
    assert (plan.kept, entry.kept_verified) == ((1, before) if keeps else (0, None))
    assert entry.file_verified == (in_file if keeps else None)
    assert [e.id for e in plan.kept_samples] == ([id_] if keeps else [])
    with Session(engine) as session:
        done = import_preview.apply(
            session, upload, replace=False, version=plan.version, user_id=None
        )
    assert stored(engine) == expected
    assert done.kept == plan.kept
    # The record's audit entry holds what changed, and only that.
    with Session(engine) as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.table_name) == "initiative")
        ).all()
    fields = {c["field"] for e in entries for c in e.changes}
    assert ("last_verified" in fields) == moves
    if moves:
        assert {
            "field": "last_verified",
            "before": cell(before) or None,
            "after": cell(expected),
        } in [c for e in entries for c in e.changes]


def test_an_older_hsds_export_imported_again_keeps_the_newer_date(engine: Engine) -> None:
    last_month = date.today() - timedelta(days=30)
    store(engine, last_month)
    with Session(engine) as session:
        out = io.StringIO()
        hsds.write_json(session, out)
    old_export = out.getvalue().encode("utf-8")
    today = date.today()
    store(engine, today)
    upload = read_upload("hsds-diensten.json", old_export)
    with Session(engine) as session:
        plan = import_preview.preview(session, upload)
    assert plan.ok, plan.problems
    assert plan.counts["unchanged"] == 1 and plan.writes == 0
    assert (plan.kept_samples[0].kept_verified, plan.kept_samples[0].file_verified) == (
        today,
        last_month,
    )


def test_the_cli_keeps_a_later_date(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "cli.db")
    newer, older = tmp_path / "newer.csv", tmp_path / "older.csv"
    newer.write_text(f"{HEADER}\nKoor,Gent,Zingen,2026-03-01\n", encoding="utf-8")
    older.write_text(f"{HEADER}\nKoor,Gent,Samen zingen,2025-03-01\n", encoding="utf-8")
    for path in (newer, older):
        r = run_app("initiatives", "import", str(path), database_url=url)
        assert r.returncode == 0, r.stderr
    engine = make_engine(url)
    with Session(engine) as session:
        row = session.exec(select(Initiative)).one()
    engine.dispose()
    # The other columns are the file's; the date is the later one.
    assert (row.description, row.last_verified) == ("Samen zingen", date(2026, 3, 1))
