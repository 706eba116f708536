"""Links a page makes never point at the host a client claims to be (issue 8, defect 7)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.html_forms import language_switch

PAGES = [
    "/",
    "/intake/context",
    "/landschap",
    "/advies?age_group=older&problem_nature=structural&wants_contact=false&coping=passive",
]


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


@pytest.mark.parametrize("path", PAGES)
def test_no_link_carries_the_host_header(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.text
    link = re.search(r'<p class="lang-switch">\s*<a href="([^"]+)"', response.text)
    form = re.search(r'<form class="lang-switch" method="post" action="([^"]+)"', response.text)
    button = language_switch(response.text)  # a form page's: a submit button of its form
    found = link or form
    target = button.action if button else found.group(1) if found else None
    assert target is not None
    assert target.startswith("/"), target
    assert "lang=en" in target


def test_the_language_switch_of_an_answer_page_posts_the_answers(client: TestClient) -> None:
    """Switching language keeps the answers, and keeps them out of the address."""
    html = client.get(PAGES[-1]).text
    form = re.search(r'<form class="lang-switch"(.*?)</form>', html, re.S)
    assert form is not None
    assert 'action="/advies?lang=en"' in form.group(1)
    pairs = re.findall(r'<input type="hidden" name="(\w+)" value="(\w+)">', form.group(1))
    assert ("coping", "passive") in pairs and ("age_group", "older") in pairs
    english = client.post("/advies?lang=en", data=dict(pairs))
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Advice" in english.text or "advice" in english.text
