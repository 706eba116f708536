"""Imports are isolated from each other and from readers (issue 8, defect 4).

Two imports at once take turns: the catalogue ends up holding one file's initiatives, never
both; the count of rows a replace archived is the number the import really archived; a reader
during a long import sees the old catalogue until the new one is committed, not an error;
and the database itself refuses a second row for the same initiative.

The interleavings are forced, not hoped for: the first import stops after writing its rows
(before committing) until the second one has started (PostgreSQL: until it waits on a lock),
or for a moment on SQLite, where a waiting writer cannot be seen from outside.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.catalogue.csvio import ImportResult, import_initiatives
from app.catalogue.models import Initiative
from app.catalogue.service import count_initiatives
from app.core.db import init_db, make_engine
from tests import test_postgres
from tests.conftest import run_app, sqlite_url
from tests.test_migrations import assert_upgrade_removes_duplicates

pg_url = test_postgres.pg_url

# How long the first import holds its uncommitted rows on SQLite, where nothing outside
# shows that the second import is waiting. Not an assertion: with less, a broken import
# could go unnoticed; a correct one passes whatever the value.
SQLITE_HOLD_SECONDS = 1.5
PG_WAIT_LIMIT_SECONDS = 20


def catalogue_csv(names: int, prefix: str = "Initiatief") -> str:
    """A valid catalogue file of `names` initiatives in alternating municipalities."""
    rows = [
        f"{prefix} {n},{('Gent', 'Aalst', 'Brugge')[n % 3]},Beschrijving {n}" for n in range(names)
    ]
    return "name,municipality,description\n" + "\n".join(rows) + "\n"


def count(engine: Engine) -> int:
    """The initiatives in use (a replace archives the others, never deletes them)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT COUNT(*) FROM initiative WHERE archived_at IS NULL")
            ).scalar_one()
        )


def distinct_keys(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT name, municipality FROM initiative"
                    " WHERE archived_at IS NULL) k"
                )
            ).scalar_one()
        )


def import_file(engine: Engine, csv_text: str, replace: bool) -> ImportResult:
    with Session(engine) as session:
        return import_initiatives(session, csv_text, replace=replace)


def import_holding_before_commit(
    engine: Engine, csv_text: str, replace: bool, hold: Callable[[], None]
) -> ImportResult:
    """An import that calls `hold` after writing its rows, before committing them."""
    with Session(engine) as session:
        # before_commit, not after_flush: the import writes in bulk statements, no flush.
        event.listen(session, "before_commit", lambda *_: hold())
        return import_initiatives(session, csv_text, replace=replace)


def race(
    engine: Engine, first_text: str, second_text: str, replace: bool, hold: Callable[[], None]
) -> tuple[ImportResult, ImportResult]:
    """Run two imports; the second starts while the first holds its uncommitted rows."""
    flushed = threading.Event()

    def first_hold() -> None:
        flushed.set()
        hold()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(import_holding_before_commit, engine, first_text, replace, first_hold)
        assert flushed.wait(PG_WAIT_LIMIT_SECONDS)
        second = pool.submit(import_file, engine, second_text, replace)
        return first.result(), second.result()


def sqlite_hold() -> None:
    threading.Event().wait(SQLITE_HOLD_SECONDS)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(tmp_path / "iso.db"))
    init_db(engine)
    yield engine
    engine.dispose()


def assert_one_catalogue(engine: Engine, names: int) -> None:
    assert count(engine) == names
    assert distinct_keys(engine) == names


def test_two_replace_imports_on_sqlite_leave_one_catalogue(sqlite_engine: Engine) -> None:
    import_file(sqlite_engine, catalogue_csv(7, "Oud"), replace=False)
    new = catalogue_csv(133)
    first, second = race(sqlite_engine, new, new, replace=True, hold=sqlite_hold)
    assert_one_catalogue(sqlite_engine, 133)
    # Each worked on what was there when it ran: the first archived the old 7 and added
    # 133; the second found those 133 and updated them.
    assert (first.archived, first.created, first.updated) == (7, 133, 0)
    assert (second.archived, second.created, second.updated) == (0, 0, 133)


def test_two_plain_imports_on_sqlite_update_instead_of_duplicating(
    sqlite_engine: Engine,
) -> None:
    text_ = catalogue_csv(155)
    first, second = race(sqlite_engine, text_, text_, replace=False, hold=sqlite_hold)
    assert_one_catalogue(sqlite_engine, 155)
    assert (first.created, first.updated) == (155, 0)
    assert (second.created, second.updated) == (0, 155)


def test_archived_count_is_what_the_import_archived(sqlite_engine: Engine) -> None:
    import_file(sqlite_engine, catalogue_csv(12, "Oud"), replace=False)
    result = import_file(sqlite_engine, catalogue_csv(5), replace=True)
    assert (result.archived, result.created) == (12, 5)
    assert count(sqlite_engine) == 5
    # Archived, not deleted; the same file again restores them.
    with Session(sqlite_engine) as session:
        assert count_initiatives(session) == 17
    result = import_file(sqlite_engine, catalogue_csv(12, "Oud"), replace=True)
    assert (result.archived, result.created, result.updated) == (5, 0, 12)
    assert count(sqlite_engine) == 12


def test_the_database_refuses_a_second_row_for_the_same_initiative(
    sqlite_engine: Engine,
) -> None:
    with Session(sqlite_engine) as session:
        session.add(Initiative(name="Buurtkoor", municipality="Gent"))
        session.commit()
        # The same initiative written differently: case and spacing do not make it another.
        session.add(Initiative(name="  buurtKOOR ", municipality="GENT"))
        with pytest.raises(IntegrityError, match="dedupe_key"):
            session.commit()
    assert count(sqlite_engine) == 1


def test_reader_sees_the_old_catalogue_during_a_long_sqlite_import(
    sqlite_engine: Engine,
) -> None:
    old, new = 10, 10_000  # enough to outgrow SQLite's page cache, which the old code locked
    import_file(sqlite_engine, catalogue_csv(old, "Oud"), replace=False)
    flushed = threading.Event()  # the import has written its rows, not committed them
    read_while_writing = threading.Event()
    done = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []
    during: list[int] = []

    def hold() -> None:
        flushed.set()
        read_while_writing.wait(PG_WAIT_LIMIT_SECONDS)

    def reader() -> None:
        while not done.is_set():
            writing = flushed.is_set()
            try:
                n = count(sqlite_engine)
            except Exception as exc:  # what a web request would turn into a 500
                errors.append(exc)
                read_while_writing.set()
                return
            seen.append(n)
            if writing and not read_while_writing.is_set():
                during.append(n)
                read_while_writing.set()
            # Requests come and go; a loop without a pause would starve the import of the
            # GIL (the test took 40 s instead of about one).
            time.sleep(0.002)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        result = import_holding_before_commit(
            sqlite_engine, catalogue_csv(new), replace=True, hold=hold
        )
    finally:
        done.set()
        thread.join()
    assert errors == []
    assert during == [old]
    assert set(seen) <= {old, new}
    assert (result.archived, result.created) == (old, new)
    assert count(sqlite_engine) == new


def assert_cli_imports_at_once_leave_one_catalogue(db: str, tmp_path: Path) -> None:
    """Two `initiatives import --replace` processes at once (as the probe ran them): the
    catalogue holds the file of the one that finished last, which says it archived the
    other's rows; the first says it archived none."""
    sizes = (133, 155)
    files = []
    for n, names in enumerate(sizes):
        path = tmp_path / f"f{n}.csv"
        path.write_text(catalogue_csv(names, f"Bestand{n}"), encoding="utf-8")
        files.append(path)
    assert run_app("db", "upgrade", database_url=db).returncode == 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(
            pool.map(
                lambda f: run_app("initiatives", "import", str(f), "--replace", database_url=db),
                files,
            )
        )
    for r in runs:
        assert r.returncode == 0, r.stderr
    engine = make_engine(db)
    try:
        final = count(engine)
        assert final in sizes
        assert distinct_keys(engine) == final
    finally:
        engine.dispose()
    last = sizes.index(final)
    archived = f"{sizes[1 - last]} archived (not in the file)"
    assert f"{final} added, 0 updated, {archived}" in runs[last].stdout
    assert f"{sizes[1 - last]} added, 0 updated, 0 archived" in runs[1 - last].stdout


def test_cli_imports_at_once_on_sqlite(tmp_path: Path) -> None:
    assert_cli_imports_at_once_leave_one_catalogue(sqlite_url(tmp_path / "cli.db"), tmp_path)


@pytest.mark.postgres
def test_cli_imports_at_once_on_postgres(pg_url: str, tmp_path: Path) -> None:
    assert_cli_imports_at_once_leave_one_catalogue(pg_url, tmp_path)


# PostgreSQL: the second import's wait is visible in pg_stat_activity, so the first one
# holds its rows exactly until the second is blocked (or has finished, when nothing stops it).


def pg_hold(engine: Engine, second_done: Callable[[], bool]) -> Callable[[], None]:
    def hold() -> None:
        with engine.connect() as conn:
            for _ in range(PG_WAIT_LIMIT_SECONDS * 20):
                waiting = conn.execute(
                    text(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                conn.rollback()  # pg_stat_activity is read once per transaction
                if waiting or second_done():
                    return
                threading.Event().wait(0.05)

    return hold


@pytest.mark.postgres
def test_two_replace_imports_on_postgres_leave_one_catalogue(pg_url: str) -> None:
    engine = make_engine(pg_url)
    init_db(engine)
    import_file(engine, catalogue_csv(7, "Oud"), replace=False)
    new = catalogue_csv(133)
    results: dict[str, Any] = {}

    def second_done() -> bool:
        return "second" in results

    flushed = threading.Event()
    hold = pg_hold(engine, second_done)

    def first_hold() -> None:
        flushed.set()
        hold()

    def second() -> None:
        results["second"] = import_file(engine, new, replace=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(import_holding_before_commit, engine, new, True, first_hold)
        assert flushed.wait(PG_WAIT_LIMIT_SECONDS)
        b = pool.submit(second)
        first = a.result()
        b.result()
    assert_one_catalogue(engine, 133)
    assert (first.archived, first.created, first.updated) == (7, 133, 0)
    second_result = results["second"]
    assert (second_result.archived, second_result.created, second_result.updated) == (0, 0, 133)
    engine.dispose()


@pytest.mark.postgres
def test_two_plain_imports_on_postgres_update_instead_of_duplicating(pg_url: str) -> None:
    engine = make_engine(pg_url)
    init_db(engine)
    text_ = catalogue_csv(155)
    results: dict[str, Any] = {}
    flushed = threading.Event()
    hold = pg_hold(engine, lambda: "second" in results)

    def first_hold() -> None:
        flushed.set()
        hold()

    def second() -> None:
        results["second"] = import_file(engine, text_, replace=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(import_holding_before_commit, engine, text_, False, first_hold)
        assert flushed.wait(PG_WAIT_LIMIT_SECONDS)
        b = pool.submit(second)
        first = a.result()
        b.result()
    assert_one_catalogue(engine, 155)
    assert (first.created, results["second"].updated) == (155, 155)
    engine.dispose()


@pytest.mark.postgres
def test_postgres_refuses_a_second_row_for_the_same_initiative(pg_url: str) -> None:
    engine = make_engine(pg_url)
    init_db(engine)
    with Session(engine) as session:
        session.add(Initiative(name="Buurtkoor", municipality="Gent"))
        session.commit()
        session.add(Initiative(name="BUURTKOOR", municipality=" gent"))
        with pytest.raises(IntegrityError, match="dedupe_key"):
            session.commit()
    assert count(engine) == 1
    engine.dispose()


@pytest.mark.postgres
def test_postgres_upgrade_removes_duplicate_initiatives(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_upgrade_removes_duplicates(engine)
    finally:
        engine.dispose()
