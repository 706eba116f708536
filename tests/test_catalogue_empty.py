"""An empty catalogue (everything removed, or nothing imported yet) is a normal state:
every page and API that reads it answers, and says there is nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.catalogue.version import bump_version
from app.core.config import Settings
from app.main import create_app


def test_pages_and_apis_answer_on_an_empty_catalogue(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        with Session(app.state.engine) as session:
            session.connection().execute(text("DELETE FROM initiative"))
            bump_version(session)
            session.commit()
        app.state.catalogue.refresh()
        assert app.state.catalogue.get() == ()

        for path in ("/aanbod", "/aanbod?q=buurt", "/aanbod?gemeente=Gent&leeftijd=older"):
            r = client.get(path)
            assert r.status_code == 200, path
            assert "0 initiatieven" in r.text, path
        r = client.get("/api/v1/initiatives/search", params={"q": "buurt"})
        assert r.status_code == 200
        assert r.json()["total"] == 0
        assert client.get("/landschap").status_code == 200
        assert client.get("/api/v1/landscape").json()["n"] == 0
        r = client.post(
            "/api/v1/advice",
            json={"age_group": "older", "problem_nature": "structural",
                  "wants_contact": False, "coping": "passive"},
        )  # fmt: skip
        assert r.status_code == 200
        assert r.json()["initiatives"] == []
