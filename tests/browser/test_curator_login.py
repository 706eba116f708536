"""A curator logs in by clicking, confirms a stale record and logs out, in Chromium, on a
desktop and a phone, with and without JavaScript; axe checks every page on the way."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.core.config import REPO_ROOT
from tests.browser.conftest import LOCALE, TIMEOUT_MS
from tests.browser.test_accessibility import assert_accessible
from tests.serving import Server, serving

EMAIL = "beheer@gemeente.be"
PASSWORD = "een lang beheerderswachtwoord"
SECRET = "browser-test-secret-key"


@dataclass
class Visit:
    page: Page
    javascript: bool


@pytest.fixture(scope="module")
def curator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server on its own database, with one admin made on the command line."""
    workdir = tmp_path_factory.mktemp("curator-server")
    url = f"sqlite:///{workdir / 'app.db'}"
    env = {"SECRET_KEY": SECRET, "SECRET_KEY_FILE": str(workdir / "secret_key")}
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "users",
            "create",
            "--admin",
            "--email",
            EMAIL,
            "--name",
            "Bea Beheer",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, **env, "DATABASE_URL": url},
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    with serving(url, workdir / "server.log", **env) as server:
        yield server


@pytest.fixture(
    params=[(1280, True), (390, True), (390, False)], ids=["desktop", "phone", "phone-nojs"]
)
def curator_page(
    request: pytest.FixtureRequest, browser: Browser, curator_server: Server
) -> Iterator[Visit]:
    width, javascript = request.param
    context: BrowserContext = browser.new_context(
        viewport={"width": width, "height": 900},
        locale=LOCALE,
        base_url=curator_server.url,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield Visit(context.new_page(), javascript)
    finally:
        context.close()


def fits_the_width(page: Page) -> bool:
    """Nothing makes the page scroll sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_curator_logs_in_verifies_a_stale_record_and_logs_out(curator_page: Visit) -> None:
    page = curator_page.page

    def check() -> None:
        # axe and the width need scripts: without them the same pages are checked at the
        # same width by the phone run.
        if curator_page.javascript:
            assert_accessible(page)
            assert fits_the_width(page), page.url

    page.goto("/beheer/nagekeken")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden voor beheer")
    check()

    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill("niet het goede wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("horen niet bij elkaar")
    check()

    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    # Back where the curator wanted to go.
    expect(page.get_by_role("heading", level=1)).to_have_text("Na te kijken initiatieven")
    expect(page.get_by_text("Aangemeld als Bea Beheer")).to_be_visible()
    check()

    first = page.locator(".record-list > li").first
    name = first.get_by_role("heading", level=2).inner_text()
    first.get_by_role("button", name="Nagekeken").click()
    expect(page.get_by_role("status")).to_contain_text(f"{name} is nagekeken op")
    expect(page.get_by_role("heading", level=2, name=name, exact=True)).to_have_count(0)
    check()

    page.get_by_role("link", name="Logboek").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logboek van wijzigingen")
    expect(page.locator(".audit-list > li").first).to_contain_text("Nagekeken")
    expect(page.locator(".audit-list > li").first).to_contain_text("Bea Beheer")
    check()

    for link, heading in (
        ("Overzicht", "Beheer van de catalogus"),
        ("Gebruikers", "Gebruikers"),
        ("Wachtwoord wijzigen", "Wachtwoord wijzigen"),
    ):
        page.get_by_role("navigation", name="Beheer").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check()

    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden voor beheer")
    expect(page.get_by_role("status")).to_have_text("U bent afgemeld.")
    page.goto("/beheer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden voor beheer")


def test_the_session_cookie_cannot_be_read_by_scripts(
    browser: Browser, curator_server: Server
) -> None:
    context = browser.new_context(base_url=curator_server.url, locale=LOCALE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/beheer/login")
        page.get_by_label("E-mailadres").fill(EMAIL)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Beheer van de catalogus")
        (cookie,) = [c for c in context.cookies() if c["name"] == "ezw_beheer"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/beheer"
        assert "ezw_beheer" not in page.evaluate("document.cookie")
    finally:
        context.close()
