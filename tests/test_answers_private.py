"""Issue 8, defect 5: intake answers stay out of addresses, histories and caches.

Every page that shows answers is walked the way a browser reaches it (posted forms) and the
way a shared link reaches it (a query string). Whatever the route, no link, form action or
htmx request built by the page may carry an answer in its address, every form that carries
answers posts them, and no cache may keep the page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.web.intake_form import ALL_FIELDS
from tests.conftest import post_form

HX = {"HX-Request": "true"}
STEPS = ["context", "questions", "course", "dimensions", "risks", "scale", "review"]
# A person whose answers touch every kind of field, a crisis sign included.
PERSON: list[tuple[str, str]] = [
    ("crisis_signs", "suicidal_thoughts"),
    ("age", "82"),
    ("age_group", "older"),
    ("municipality", "Geel"),
    ("problem_nature", "situational"),
    ("wants_contact", "true"),
    ("coping", "passive"),
    ("duration_months", "8"),
    ("course", "transient"),
    ("dimensions", "emotional"),
    ("dimensions", "social"),
    ("socially_isolated", "true"),
    ("risk_factors", "partner_loss"),
    ("risk_factors", "living_alone"),
    *[(f"djg6_{n}", "ja") for n in range(1, 7)],
]
ANSWER_FIELDS = set(ALL_FIELDS)


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


class _Page(HTMLParser):
    """The addresses a page can send a browser to, and its forms with their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[tuple[str, str]] = []  # (attribute, value)
        self.forms: list[dict[str, object]] = []
        self._form: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in ("href", "src", "action", "formaction", "hx-get", "hx-post", "data-history"):
            if name in a:
                self.addresses.append((name, a[name]))
        if tag == "form":
            self._form = {"attrs": a, "fields": []}
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None:
            fields = self._form["fields"]
            assert isinstance(fields, list)
            fields.append(a.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _assert_private(html: str, where: str) -> None:
    page = _parse(html)
    for attr, address in page.addresses:
        keys = {k for k, _v in parse_qsl(urlsplit(address).query)}
        assert not keys & ANSWER_FIELDS, f"{where}: {attr}={address} carries answers"
    for form in page.forms:
        fields = set(form["fields"])  # type: ignore[arg-type]
        attrs = form["attrs"]
        assert isinstance(attrs, dict)
        if fields & ANSWER_FIELDS:
            assert attrs.get("method") == "post", f"{where}: a form with answers uses GET"
    # htmx requests that include the step's answers must post them too.
    assert not re.search(r'hx-get="[^"]*"[^>]*hx-include="#step-form"', html), where


def _walk(client: TestClient) -> list[tuple[str, object]]:
    """Every answer page as a browser reaches it, with and without htmx."""
    responses: list[tuple[str, object]] = []
    for step in STEPS:
        for headers in ({}, HX):
            for go in ("", "next", "back"):
                r = post_form(client, f"/intake/{step}", [*PERSON, ("go", go)], headers)
                responses.append((f"POST {step} go={go} {headers}", r))
        responses.append((f"GET {step}", client.get(f"/intake/{step}", params=PERSON)))
    for headers in ({}, HX, {**HX, "HX-Target": "whatif"}):
        r = post_form(client, "/advies", [*PERSON, ("wi_coping", "active")], headers)
        responses.append((f"POST /advies {headers}", r))
    responses.append(("GET /advies", client.get("/advies", params=PERSON)))
    responses.append(("share", post_form(client, "/advies", [*PERSON, ("share", "1")])))
    return responses


def test_no_answer_page_puts_answers_in_an_address(client: TestClient) -> None:
    for where, r in _walk(client):
        assert r.status_code == 200, where  # type: ignore[attr-defined]
        assert "location" not in r.headers, where  # type: ignore[attr-defined]
        push = r.headers.get("hx-push-url", "")  # type: ignore[attr-defined]
        assert "?" not in push, f"{where}: HX-Push-Url {push}"
        _assert_private(r.text, where)  # type: ignore[attr-defined]


def test_every_answer_response_forbids_caching(client: TestClient) -> None:
    for where, r in _walk(client):
        assert r.headers["cache-control"] == "no-store", where  # type: ignore[attr-defined]
    for r in (
        post_form(client, "/advies/plan.pdf", PERSON),
        client.get("/advies/plan-dossier.pdf", params=PERSON),
        client.get("/advies", params=[("age_group", "older")], follow_redirects=False),
        client.post(
            "/api/v1/advice",
            json={
                "age_group": "older",
                "problem_nature": "structural",
                "wants_contact": False,
                "coping": "passive",
            },
        ),
        post_form(client, "/intake/context/crisis", PERSON),
    ):
        assert r.headers["cache-control"] == "no-store", r.url
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_posted_navigation_keeps_every_answer(client: TestClient) -> None:
    """Next, back and the progress bar carry every answer on, as hidden fields."""
    r = post_form(client, "/intake/context", [*PERSON, ("go", "next")])
    assert '<h1 id="step-title" tabindex="-1">Drie vragen</h1>' in r.text
    for name, value in PERSON:
        if name not in ("problem_nature", "wants_contact", "coping"):
            assert f'name="{name}" value="{value}"' in r.text, name
    back = post_form(client, "/intake/scale", [*PERSON, ("go", "back")])
    assert '<h1 id="step-title" tabindex="-1">Risicofactoren</h1>' in back.text
    assert 'value="partner_loss" checked' in back.text


def test_the_review_posts_to_the_result_and_the_result_posts_its_downloads(
    client: TestClient,
) -> None:
    review = client.get("/intake/review", params=PERSON).text
    assert re.search(r'<form id="step-form" method="post" action="/advies"', review)
    result = post_form(client, "/advies", PERSON)
    assert result.status_code == 200 and 'id="elements"' in result.text
    pdf = post_form(client, "/advies/plan.pdf", PERSON)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


def test_a_posted_result_with_missing_answers_shows_the_step_in_place(
    client: TestClient,
) -> None:
    r = post_form(client, "/advies", [("age_group", "older")], follow_redirects=False)
    assert r.status_code == 200 and "Vraag 1: kies" in r.text
    assert '<h1 id="step-title" tabindex="-1">Drie vragen</h1>' in r.text


def test_the_share_link_is_made_on_request_with_a_warning(client: TestClient) -> None:
    plain = post_form(client, "/advies", PERSON).text
    assert "Link delen of bewaren" in plain and 'id="share-url"' not in plain
    assert "alle antwoorden" in plain  # the warning comes before the link is made
    made = post_form(client, "/advies", [*PERSON, ("share", "1")], {**HX, "HX-Target": "share"})
    assert made.text.lstrip().startswith('<details class="share" id="share" open>')
    url = re.search(r'id="share-url"[^>]*value="([^"]+)"', made.text)
    assert url is not None
    link = url.group(1).replace("&amp;", "&")
    assert link.startswith("/advies?")  # relative: the page adds its own origin
    assert sorted(parse_qsl(urlsplit(link).query)) == sorted(PERSON)
    # The link shows the same advice as the posted form.
    plan = re.compile(r'<li class="element" id="el-([a-z_]+)"')
    assert len(plan.findall(plain)) >= 3
    assert plan.findall(client.get(link).text) == plan.findall(plain)


def test_a_reload_of_the_result_address_starts_a_clean_intake(client: TestClient) -> None:
    """/advies without answers (a reload, a bookmark) is the first step, not an error."""
    r = client.get("/advies", follow_redirects=False)
    assert r.status_code == 200
    assert '<h1 id="step-title" tabindex="-1">Context</h1>' in r.text
    assert 'id="error-summary"' not in r.text


@pytest.mark.parametrize("path", ["/", "/privacy", "/intake/context"])
def test_the_privacy_text_says_what_is_kept_where(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert 'href="/privacy"' in html
    assert "adresbalk" not in html.split('id="main"')[1].split("</main>")[0] or path == "/privacy"
    if path == "/privacy":
        for words in ("tabblad", "no-store", "logbestanden", "Link delen", "code", "taal"):
            assert words in html, words
