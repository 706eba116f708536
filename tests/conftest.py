"""Shared fixtures, and the collector that runs tests/scenarios/*.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.advice.knowledge import Knowledge, load_knowledge
from app.catalogue.csvio import parse_records
from app.catalogue.records import InitiativeRecord
from app.core.config import REPO_ROOT, Settings
from app.main import create_app
from tests.scenario_runner import ScenarioFile

RULES_DIR = REPO_ROOT / "rules"
CATALOGUE_CSV = REPO_ROOT / "data" / "initiatives.csv"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge(RULES_DIR)


def run_app(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` in a subprocess against `database_url`, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "DATABASE_URL": database_url},
        cwd=REPO_ROOT,
        timeout=60,
    )


def post_form(
    client: TestClient,
    url: str,
    pairs: Iterable[tuple[str, str]],
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """POST repeated form fields as a browser does (httpx's `data=` takes a mapping only)."""
    return client.post(
        url,
        content=urlencode(list(pairs)),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        **kwargs,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def shipped_records() -> tuple[InitiativeRecord, ...]:
    return parse_records(CATALOGUE_CSV.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def catalogue() -> tuple[InitiativeRecord, ...]:
    return shipped_records()


# The suite runs on SQLite; with TEST_DATABASE_URL set (a PostgreSQL server URL, e.g.
# postgresql+psycopg://postgres@127.0.0.1:5432/postgres; .ci/run sets it when a server
# answers), every test that takes `settings` or `client` gets a database of its own there.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
def _test_server() -> Iterator[Any]:
    """An AUTOCOMMIT engine on TEST_DATABASE_URL's server, to create and drop databases."""
    from sqlalchemy import create_engine

    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def database_for(request: pytest.FixtureRequest, folder: Path, prefix: str) -> Iterator[str]:
    """A new, empty database: a file in `folder` on SQLite, or on TEST_DATABASE_URL's server
    a schema of its own named `prefix_…` (search_path), far cheaper to make than a database."""
    if not TEST_DATABASE_URL:
        yield sqlite_url(folder / "test.db")
        return
    import uuid
    from urllib.parse import quote

    from sqlalchemy import text

    server = request.getfixturevalue("_test_server")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    try:
        yield f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={name}')}"
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for one test (database_for)."""
    with database_for(request, tmp_path, "ezw_t") as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@contextmanager
def _app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with _app_client(settings) as c:
        yield c


@pytest.fixture
def fresh_client(settings: Settings) -> Iterator[TestClient]:
    """What `client` is, under the name that modules whose `client` is `shared_client` use
    for the tests that write, or count what was written."""
    with _app_client(settings) as c:
        yield c


@pytest.fixture(scope="module")
def _module_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    with (
        database_for(request, tmp_path_factory.mktemp("shared"), "ezw_m") as url,
        _app_client(Settings(database_url=url)) as c,
    ):
        yield c


@pytest.fixture
def shared_client(_module_client: TestClient) -> TestClient:
    """One application and database for a module's tests that only read: migrating and
    seeding a database per test was most of the time of the page tests (on PostgreSQL
    ~0.15 s a test). Cookies are cleared before each test."""
    _module_client.cookies.clear()
    return _module_client


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None
