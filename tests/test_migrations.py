"""Schema migrations: an empty database, one made before migrations, and the models agree."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

import app.auth.models  # noqa: F401  (the curator tables belong to the models compared)
from app.catalogue import submissions  # noqa: F401  (so does the registrations table)
from app.catalogue.models import Initiative, dedupe_key
from app.core.db import init_db, make_engine
from app.migrations import (
    BASELINE_REVISION,
    SchemaError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from app.training import voting  # noqa: F401  (and the class voting rounds)
from tests.conftest import run_app, sqlite_url

REFERRAL_COLUMNS = {"phone", "email", "address", "last_verified"}
# Revision 0005: the curators and their audit log.
CURATOR_TABLES = {"curator_user", "audit_entry"}
CURATOR_INDEXES = {"ix_curator_user_email", "ix_audit_entry_at", "ix_audit_entry_record"}

# What `SQLModel.metadata.create_all` issued before migrations existed (commit ac8e7c8),
# per dialect: the database an existing installation has.
LEGACY_DDL = {
    "sqlite": """
CREATE TABLE initiative (
    name VARCHAR(300) NOT NULL, description VARCHAR, goal VARCHAR, website VARCHAR(500),
    municipality VARCHAR(100), postcode VARCHAR(10), geographic_level VARCHAR(20),
    primary_actor VARCHAR(40), partners VARCHAR, elements JSON NOT NULL,
    prevention_levels JSON NOT NULL, dimensions JSON NOT NULL, age_groups JSON NOT NULL,
    course JSON NOT NULL, risk_factors JSON NOT NULL, approach JSON NOT NULL,
    effect_ladder VARCHAR(10), evaluation VARCHAR, id INTEGER NOT NULL,
    created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (id));
CREATE INDEX ix_initiative_municipality ON initiative (municipality);
CREATE INDEX ix_initiative_name ON initiative (name);
CREATE TABLE saved_intake (
    id INTEGER NOT NULL, code VARCHAR(16) NOT NULL, month VARCHAR(7) NOT NULL,
    age_group VARCHAR(20) NOT NULL, profile VARCHAR(40) NOT NULL, course VARCHAR(12) NOT NULL,
    dimensions JSON NOT NULL, socially_isolated BOOLEAN, risk_factors JSON NOT NULL,
    djg6_band VARCHAR(12), municipality VARCHAR(80), advised JSON NOT NULL, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_saved_intake_code ON saved_intake (code)
""",
    "postgresql": """
CREATE TABLE initiative (
    name VARCHAR(300) NOT NULL, description VARCHAR, goal VARCHAR, website VARCHAR(500),
    municipality VARCHAR(100), postcode VARCHAR(10), geographic_level VARCHAR(20),
    primary_actor VARCHAR(40), partners VARCHAR, elements JSON NOT NULL,
    prevention_levels JSON NOT NULL, dimensions JSON NOT NULL, age_groups JSON NOT NULL,
    course JSON NOT NULL, risk_factors JSON NOT NULL, approach JSON NOT NULL,
    effect_ladder VARCHAR(10), evaluation VARCHAR, id SERIAL NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_initiative_municipality ON initiative (municipality);
CREATE INDEX ix_initiative_name ON initiative (name);
CREATE TABLE saved_intake (
    id SERIAL NOT NULL, code VARCHAR(16) NOT NULL, month VARCHAR(7) NOT NULL,
    age_group VARCHAR(20) NOT NULL, profile VARCHAR(40) NOT NULL, course VARCHAR(12) NOT NULL,
    dimensions JSON NOT NULL, socially_isolated BOOLEAN, risk_factors JSON NOT NULL,
    djg6_band VARCHAR(12), municipality VARCHAR(80), advised JSON NOT NULL, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix_saved_intake_code ON saved_intake (code)
""",
}
LEGACY_ROW = """
INSERT INTO initiative (name, municipality, elements, prevention_levels, dimensions, age_groups,
    course, risk_factors, approach, created_at, updated_at)
VALUES ('Oud initiatief', 'Gent', '["meeting"]', '[]', '[]', '["older"]', '[]', '[]', '[]',
    '2026-01-02 03:04:05+00:00', '2026-01-02 03:04:05+00:00')
"""


def schema_differences(engine: Engine, metadata: MetaData | None = None) -> list[Any]:
    """What autogenerate would change to make the database match the models (or metadata)."""
    with engine.connect() as conn:
        diff: list[Any] = compare_metadata(
            MigrationContext.configure(conn), metadata or SQLModel.metadata
        )
        return diff


def create_legacy_schema(engine: Engine, with_row: bool = True) -> None:
    """The tables as the code before migrations made them, optionally with one initiative."""
    with engine.begin() as conn:
        for statement in LEGACY_DDL[engine.dialect.name].split(";"):
            conn.execute(text(statement))
        if with_row:
            conn.execute(text(LEGACY_ROW))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision(conn)


def migrate_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as conn:
        config = alembic_config(conn)
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def assert_legacy_database_is_upgraded(engine: Engine) -> None:
    """Shared by the SQLite and PostgreSQL tests: stamp at the baseline, upgrade, keep data."""
    create_legacy_schema(engine)
    assert revision_of(engine) is None
    assert upgrade(engine) == BASELINE_REVISION
    assert revision_of(engine) == head_revision()
    assert schema_differences(engine) == []
    with Session(engine) as session:
        (row,) = session.exec(select(Initiative)).all()
    assert (row.name, row.municipality, row.elements) == ("Oud initiatief", "Gent", ["meeting"])
    assert (row.phone, row.email, row.address, row.last_verified) == (None, None, None, None)


def assert_upgrade_matches_models(engine: Engine) -> None:
    """Shared by the SQLite and PostgreSQL tests: the migrations build what the models say."""
    assert upgrade(engine) is None
    assert revision_of(engine) == head_revision()
    assert schema_differences(engine) == []
    # A second start-up has nothing to do.
    assert upgrade(engine) == head_revision()


def test_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]
    ids = [s.revision for s in script.walk_revisions("base", "heads")]
    assert ids == [
        "0009",
        "0008",
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        BASELINE_REVISION,
    ]


def test_upgrade_on_empty_in_memory_sqlite_matches_models() -> None:
    assert_upgrade_matches_models(make_engine("sqlite://"))


def test_upgrade_on_empty_sqlite_file_matches_models(tmp_path: Path) -> None:
    assert_upgrade_matches_models(make_engine(f"sqlite:///{tmp_path / 'm.db'}"))


def test_comparison_sees_a_missing_column() -> None:
    """The comparison the other tests rely on does notice the columns of revisions 0002-3 and 0007
    and the tables of revisions 0004 and 0005."""
    engine = make_engine("sqlite://")
    migrate_to(engine, BASELINE_REVISION)
    diff = schema_differences(engine)
    assert {d[0] for d in diff} == {"add_column", "add_index", "add_table"}
    assert {d[1].name for d in diff if d[0] == "add_table"} == {
        "catalogue_version",
        *CURATOR_TABLES,
        "submission",
        "training_round",
        "training_vote",
        "login_throttle",
    }
    assert {d[3].name for d in diff if d[0] == "add_column"} == REFERRAL_COLUMNS | {
        "dedupe_key",
        "archived_at",
    }
    assert {d[1].name for d in diff if d[0] == "add_index"} == {
        "ix_initiative_dedupe_key",
        "ix_initiative_archived_at",
        *CURATOR_INDEXES,
        "ix_submission_reference",
        "ix_submission_status",
        "ix_training_round_code",
        "ix_training_round_expires_at",
        "ix_training_vote_participant",
        "ix_login_throttle_updated_at",
    }


# Rows a database at revision 0002 may hold: imports that ran at once left duplicates.
# (id, name, municipality); rows 1, 2 and 6 are kept, the others repeat one of them.
DUPLICATE_ROWS = [
    (1, "Buurtkoor", "Gent"),
    (2, "Buurtkoor", "Aalst"),
    (3, "buurtkoor", "GENT"),
    (4, "  Buurtkoor ", " Gent"),
    (5, "BUURTKOOR", "aalst"),
    (6, "Praatcafé", None),
    (7, "praatcafé", ""),
]


def assert_upgrade_removes_duplicates(engine: Engine) -> None:
    """Shared by the SQLite and PostgreSQL tests: 0003 keeps the lowest id of each
    initiative, fills every key and then refuses a new duplicate; a downgrade works."""
    migrate_to(engine, "0002")
    with engine.begin() as conn:
        for row_id, name, municipality in DUPLICATE_ROWS:
            conn.execute(
                text(
                    "INSERT INTO initiative (id, name, municipality, elements, prevention_levels,"
                    " dimensions, age_groups, course, risk_factors, approach, created_at,"
                    " updated_at) VALUES (:id, :name, :m, '[]', '[]', '[]', '[]', '[]', '[]',"
                    " '[]', '2026-01-02 03:04:05+00:00', '2026-01-02 03:04:05+00:00')"
                ),
                {"id": row_id, "name": name, "m": municipality},
            )
        if engine.dialect.name == "postgresql":  # explicit ids leave the sequence behind
            conn.execute(text("SELECT setval(pg_get_serial_sequence('initiative', 'id'), 7)"))
    assert upgrade(engine) == "0002"
    assert schema_differences(engine) == []
    with Session(engine) as session:
        rows = session.exec(select(Initiative).order_by(Initiative.id)).all()  # type: ignore[arg-type]
        assert [(r.id, r.name, r.municipality) for r in rows] == [
            (1, "Buurtkoor", "Gent"),
            (2, "Buurtkoor", "Aalst"),
            (6, "Praatcafé", None),
        ]
        assert [r.dedupe_key for r in rows] == [dedupe_key(r.name, r.municipality) for r in rows]
        session.add(Initiative(name="PRAATCAFÉ"))
        with pytest.raises(IntegrityError, match="dedupe_key"):
            session.commit()
    migrate_to(engine, "0002", down=True)
    assert "dedupe_key" not in {c["name"] for c in inspect(engine).get_columns("initiative")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM initiative")).scalar_one() == 3


def test_upgrade_removes_duplicate_initiatives(tmp_path: Path) -> None:
    assert_upgrade_removes_duplicates(make_engine(f"sqlite:///{tmp_path / 'dupes.db'}"))


def test_baseline_is_the_schema_before_migrations(tmp_path: Path) -> None:
    """Revision 0001 builds exactly what create_all built before migrations existed."""
    legacy = make_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    create_legacy_schema(legacy, with_row=False)
    reflected = MetaData()
    reflected.reflect(legacy)
    baseline = make_engine(f"sqlite:///{tmp_path / 'baseline.db'}")
    migrate_to(baseline, BASELINE_REVISION)
    assert schema_differences(baseline, reflected) == []


def test_database_made_before_migrations_is_stamped_and_upgraded(tmp_path: Path) -> None:
    assert_legacy_database_is_upgraded(make_engine(f"sqlite:///{tmp_path / 'old.db'}"))


def test_partial_schema_without_version_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'partial.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE initiative (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError, match="initiative"):
        init_db(engine)


def test_downgrade_and_upgrade_keep_the_data(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    init_db(engine)
    with Session(engine) as session:
        session.add(Initiative(name="A", phone="09 123 45 67", last_verified=date(2026, 1, 5)))
        session.commit()
    migrate_to(engine, BASELINE_REVISION, down=True)
    assert REFERRAL_COLUMNS.isdisjoint(c["name"] for c in inspect(engine).get_columns("initiative"))
    init_db(engine)
    with Session(engine) as session:
        (row,) = session.exec(select(Initiative)).all()
    assert (row.name, row.phone) == ("A", None)


def assert_curator_revision_keeps_the_catalogue(engine: Engine) -> None:
    """Shared by the SQLite and PostgreSQL tests: a database at 0004 with an initiative
    gets the curator tables (empty) and keeps the initiative; a downgrade drops them only."""
    migrate_to(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO initiative (name, municipality, elements, prevention_levels,"
                " dimensions, age_groups, course, risk_factors, approach, created_at,"
                " updated_at, dedupe_key, last_verified) VALUES ('Praatcafé', 'Gent',"
                " '[\"meeting\"]', '[]', '[]', '[\"older\"]', '[]', '[]', '[]',"
                " '2026-01-02 03:04:05+00:00', '2026-01-02 03:04:05+00:00', :key, '2025-06-30')"
            ),
            {"key": dedupe_key("Praatcafé", "Gent")},
        )
    assert CURATOR_TABLES.isdisjoint(inspect(engine).get_table_names())
    assert upgrade(engine) == "0004"
    assert revision_of(engine) == head_revision()
    assert schema_differences(engine) == []
    assert set(inspect(engine).get_table_names()) >= CURATOR_TABLES
    with Session(engine) as session:
        (row,) = session.exec(select(Initiative)).all()
        assert (row.name, row.municipality, row.elements, row.last_verified) == (
            "Praatcafé",
            "Gent",
            ["meeting"],
            date(2025, 6, 30),
        )
    with engine.connect() as conn:
        for table in sorted(CURATOR_TABLES):
            assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0
        version = conn.execute(text("SELECT version FROM catalogue_version")).scalar_one()
    assert version == 1
    migrate_to(engine, "0004", down=True)
    assert CURATOR_TABLES.isdisjoint(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM initiative")).scalar_one() == "Praatcafé"


def test_curator_revision_keeps_the_catalogue(tmp_path: Path) -> None:
    assert_curator_revision_keeps_the_catalogue(make_engine(f"sqlite:///{tmp_path / 'c.db'}"))


def test_cli_upgrade_and_current(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    r = run_app("db", "current", database_url=sqlite_url(db))
    assert r.returncode == 0, r.stderr
    assert "no revision" in r.stdout
    r = run_app("db", "upgrade", database_url=sqlite_url(db))
    assert r.returncode == 0, r.stderr
    assert f"upgraded from an empty database to revision {head_revision()}" in r.stdout
    r = run_app("db", "upgrade", database_url=sqlite_url(db))
    assert "already at the newest revision" in r.stdout
    r = run_app("db", "current", database_url=sqlite_url(db))
    assert f"revision {head_revision()} (the newest)" in r.stdout
    help_text = run_app("db", "--help", database_url=sqlite_url(db)).stdout
    assert "upgrade" in help_text and "current" in help_text


def test_cli_upgrades_a_database_made_before_migrations(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    create_legacy_schema(make_engine(f"sqlite:///{db}"))
    r = run_app("db", "upgrade", database_url=sqlite_url(db))
    assert r.returncode == 0, r.stderr
    assert f"upgraded from {BASELINE_REVISION} to revision {head_revision()}" in r.stdout


def test_cli_refuses_a_revision_it_does_not_know(tmp_path: Path) -> None:
    db = tmp_path / "newer.db"
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    r = run_app("db", "upgrade", database_url=sqlite_url(db))
    assert r.returncode == 1
    assert "9999" in r.stderr and "Traceback" not in r.stderr
