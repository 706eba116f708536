"""The catalogue and the API on PostgreSQL (DATABASE_URL), when a server is reachable.

CI machines of this project run PostgreSQL locally; set TEST_POSTGRES_URL to point
elsewhere, or to an empty string to skip.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.catalogue.csvio import export_initiatives, parse_csv
from app.core.config import Settings
from app.core.db import make_engine
from app.main import create_app
from app.migrations import head_revision, upgrade
from tests.conftest import CATALOGUE_CSV
from tests.test_migrations import assert_legacy_database_is_upgraded, assert_upgrade_matches_models

BASE_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

pytestmark = pytest.mark.postgres


@contextmanager
def _scratch(kind: str, prefix: str, url_for: Callable[[str], str]) -> Iterator[str]:
    """A new PostgreSQL DATABASE or SCHEMA on BASE_URL's server, dropped afterwards; the test
    is skipped when no server answers (or TEST_POSTGRES_URL is empty)."""
    if not BASE_URL:
        pytest.skip("TEST_POSTGRES_URL is empty")
    admin = create_engine(BASE_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    drop = f'DROP {kind} IF EXISTS "{name}" ' + (
        "WITH (FORCE)" if kind == "DATABASE" else "CASCADE"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE {kind} "{name}"'))
    except Exception as exc:  # no server here
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    try:
        yield url_for(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(drop))
        admin.dispose()


def scratch_database(prefix: str = "ezw_test") -> AbstractContextManager[str]:
    """The URL of a new database on BASE_URL's server, dropped afterwards."""
    return _scratch("DATABASE", prefix, lambda name: BASE_URL.rsplit("/", 1)[0] + f"/{name}")


def scratch_schema(prefix: str = "ezw_test") -> AbstractContextManager[str]:
    """As scratch_database, but a new schema (search_path) in BASE_URL's database: a tenth
    of the cost of CREATE DATABASE, for tests that need no database of their own."""
    separator = "&" if "?" in BASE_URL else "?"
    return _scratch(
        "SCHEMA",
        prefix,
        lambda name: f"{BASE_URL}{separator}options={quote(f'-csearch_path={name}')}",
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    with scratch_database() as url:
        yield url


def test_seed_advice_and_export_on_postgres(pg_url: str) -> None:
    app = create_app(Settings(database_url=pg_url))
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/advice",
            json={
                "age": 80,  # 75+: older_age, so Gent's offers for older people fit (§6)
                "problem_nature": "situational",
                "wants_contact": True,
                "coping": "passive",
                "municipality": "Gent",
            },
        )
        assert r.status_code == 200
        assert r.json()["initiatives"][0]["municipality"] == "Gent"
        shipped = parse_csv(CATALOGUE_CSV.read_text(encoding="utf-8"))
        assert client.get("/api/v1/initiatives").json()["total"] == len(shipped)
        with Session(app.state.engine) as session:
            out = io.StringIO()
            export_initiatives(session, out)
    assert parse_csv(out.getvalue()) == shipped


def test_migrations_on_empty_postgres_match_models(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_upgrade_matches_models(engine)
    finally:
        engine.dispose()


def test_postgres_database_made_before_migrations_is_stamped_and_upgraded(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_legacy_database_is_upgraded(engine)
    finally:
        engine.dispose()


def test_workers_starting_at_once_migrate_once(pg_url: str) -> None:
    """Two processes (here: threads with their own engines) take turns on the advisory lock."""
    engines = [make_engine(pg_url) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            before = sorted(pool.map(upgrade, engines), key=str)
    finally:
        for engine in engines:
            engine.dispose()
    assert before == [head_revision(), None]
