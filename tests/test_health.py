"""/livez and /readyz: alive without touching anything; ready when the database answers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

import app.web.health as health
from app.core.config import Settings
from app.main import create_app

UNAVAILABLE = {"status": "unavailable", "detail": "database"}


def test_livez(client: TestClient) -> None:
    r = client.get("/livez")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert client.get("/healthz").json() == {"status": "ok"}


def test_livez_does_not_touch_the_database(client: TestClient) -> None:
    client.app.state.engine.dispose()  # type: ignore[attr-defined]
    del client.app.state.engine  # type: ignore[attr-defined]
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.get("/readyz").json() == UNAVAILABLE


def test_readyz_when_the_database_answers(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    # the catalogue this worker serves: its version and size, as the list counts it
    catalogue = r.json()["catalogue"]
    assert catalogue["version"] >= 1
    assert catalogue["initiatives"] == client.get("/api/v1/initiatives").json()["total"]


def test_readyz_when_the_database_is_gone(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'ok.db'}"))
    with TestClient(app) as client:
        # A database that cannot be opened (its folder does not exist).
        app.state.engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
        r = client.get("/readyz")
    assert r.status_code == 503 and r.json() == UNAVAILABLE
    assert str(tmp_path) not in r.text


def test_readyz_with_an_unreachable_postgres(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'ok.db'}"))
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:1/postgres?connect_timeout=1"
    with TestClient(app) as client:
        app.state.engine = create_engine(url)
        r = client.get("/readyz")
    assert r.status_code == 503 and r.json() == UNAVAILABLE
    assert "secret" not in r.text and "127.0.0.1" not in r.text


def test_readyz_gives_up_on_a_database_that_hangs(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hang(_engine: object) -> bool:
        release.wait(10)
        return True

    monkeypatch.setattr(health, "_ping", hang)
    monkeypatch.setattr(health, "READY_TIMEOUT_SECONDS", 0.05)
    try:
        r = client.get("/readyz")
    finally:
        release.set()
    assert r.status_code == 503 and r.json() == UNAVAILABLE


def test_probes_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/livez", "/readyz", "/healthz"} & set(paths)
