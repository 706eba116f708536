"""Refusals on pages are pages: in the site's layout and the user's language, saying what to
do; the API keeps its JSON. Every kind of refusal the app makes before or around a route
(QA of the HTML side: a 413 told people to "choose a smaller file" on a text form, in Dutch
only; a chunked body too large, a cross-site form, an id that is no number and a multipart
body without a boundary got technical JSON or Dutch-only pages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import test_curators
from tests.test_curators import CURATOR, logged_in, make_settings, token_of

cheap_hashing = test_curators.cheap_hashing  # the fixture, for curator_client

LAYOUT = '<main id="main"'

# (language, a phrase of the 413 page for a text form, one for an upload, the 403 page,
# the unreadable-request page)
WORDS = {
    "nl": ("Wat u verstuurde is te lang", "de grens is 2 MB", "Verzoek geweigerd",
           "kon niet gelezen worden"),
    "en": ("What you sent is too long", "the limit is 2 MB", "Request refused",
           "could not be read"),
}  # fmt: skip


@pytest.fixture
def pages(shared_client: TestClient) -> Iterator[TestClient]:
    shared_client.cookies.clear()
    yield shared_client
    shared_client.cookies.clear()


def _page(r: object, status: int, lang: str) -> str:
    text: str = r.text  # type: ignore[attr-defined]
    assert r.status_code == status, text[:300]  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert LAYOUT in text and f'<html lang="{lang}"' in text
    assert "detail" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("path", ["/intake/context", "/advies", "/aanbod/aanmelden"])
def test_a_text_form_too_long_gets_a_page_in_the_language_that_says_go_back(
    pages: TestClient, lang: str, path: str
) -> None:
    pages.cookies.set("lang", lang)
    body = {"municipality": "x" * 70_000, "name": "y"}
    text = _page(pages.post(path, data=body), 413, lang)
    assert WORDS[lang][0] in text
    assert "MB" not in text and "kB" not in text  # a text form is no file


UPLOAD_PAGES = [("/landschap/upload", "/landschap"), ("/landschap/vraag", "/landschap/vraag")]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(("path", "back"), UPLOAD_PAGES)
def test_an_upload_too_large_names_the_limit_and_leads_back_to_its_form(
    pages: TestClient, lang: str, path: str, back: str
) -> None:
    pages.cookies.set("lang", lang)
    files = {"file": ("groot.csv", b"a;b\n" * (800 * 1024), "text/csv")}
    text = _page(pages.post(path, files=files), 413, lang)
    assert WORDS[lang][1] in text  # not 2112 kB, the limit plus the form's slack
    assert f'<a class="button primary" href="{back}">' in text  # to choose another file


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_chunked_body_too_large_gets_the_page_not_json(pages: TestClient, lang: str) -> None:
    pages.cookies.set("lang", lang)

    def chunks() -> Iterator[bytes]:
        yield b"municipality="
        for _ in range(80):
            yield b"x" * 1024

    headers = {"content-type": "application/x-www-form-urlencoded"}
    r = pages.post("/intake/context", content=chunks(), headers=headers)
    assert "content-length" not in r.request.headers
    assert WORDS[lang][0] in _page(r, 413, lang)
    # The API keeps its JSON.
    r = pages.post("/api/v1/advice", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_cross_site_form_is_refused_in_the_language_of_the_user(
    pages: TestClient, lang: str
) -> None:
    pages.cookies.set("lang", lang)
    r = pages.post("/intake/context", data={"age": "40"}, headers={"Sec-Fetch-Site": "cross-site"})
    text = _page(r, 403, lang)
    assert WORDS[lang][2] in text
    assert "content-security-policy" in r.headers and r.headers["x-frame-options"] == "DENY"
    r = pages.post("/api/v1/advice?lang=" + lang, json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and r.json()["detail"].startswith("Cross-site")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_multipart_body_without_boundary_gets_a_page(pages: TestClient, lang: str) -> None:
    pages.cookies.set("lang", lang)
    r = pages.post(
        "/intake/context", content=b"age=40", headers={"content-type": "multipart/form-data"}
    )
    assert WORDS[lang][3] in _page(r, 400, lang)


@pytest.fixture
def curator_client(tmp_path: Path, cheap_hashing: None) -> Iterator[TestClient]:
    from sqlmodel import Session

    from app.auth.models import Role
    from app.auth.service import create_user
    from app.main import create_app
    from tests.conftest import sqlite_url

    app = create_app(make_settings(sqlite_url(tmp_path / "e.db"), tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        with Session(app.state.engine) as session:
            create_user(session, email=CURATOR[0], password=CURATOR[1], role=Role.CURATOR)
        yield logged_in(client, CURATOR)
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/beheer/aanbod/abc"),
        ("GET", "/beheer/aanbod/abc/bewerken"),
        ("POST", "/beheer/aanbod/abc/archiveren"),
        ("POST", "/beheer/nagekeken/abc"),
    ],
)
def test_an_id_that_is_no_number_is_a_missing_page(
    curator_client: TestClient, method: str, path: str
) -> None:
    data = {"csrf": token_of(curator_client, "/beheer/aanbod")} if method == "POST" else None
    r = curator_client.request(method, path, data=data)
    assert "Pagina niet gevonden" in _page(r, 404, "nl")


def test_the_hsds_feed_keeps_json_refusals(pages: TestClient) -> None:
    # The HSDS feed is an API outside /api/: its clients read JSON, never a page.
    r = pages.get("/hsds/services", params={"per_page": "abc"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "per_page"
    r = pages.get("/hsds/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
