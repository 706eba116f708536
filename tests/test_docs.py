"""The API documentation is served from this host under the strict CSP (issue 8, defect 10)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def test_docs_page_is_local_and_strict(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "http" not in csp, "no other host in the policy"
    assert "<script>" not in response.text, "no inline script"
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.content.strip()


def test_openapi_schema_still_served(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "Eenzaamheidswijzer"


def test_api_is_not_in_the_main_menu(client: TestClient) -> None:
    page = client.get("/").text
    nav = page[page.index("<nav") : page.index("</nav>")]
    assert "/docs" not in nav
    assert 'href="/docs"' in page, "still linked, from the footer"
