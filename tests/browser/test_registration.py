"""An organisation registers an initiative by clicking, on a phone (390 px); a curator
approves it. axe checks the form, the form with errors, the confirmation and the review
pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LOCALE, TIMEOUT_MS
from tests.browser.test_accessibility import assert_accessible
from tests.serving import Server, serving_with_curator

EMAIL = "curator@gemeente.be"
PASSWORD = "een lang curatorwachtwoord"
SECRET = "browser-test-secret-key-registration"
NAME = "Wandelclub Proefstap"
# The module's server keeps what each run approved: each run registers its own name.
RUNS = iter(range(1, 100))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server on its own database, with one curator made by the app's service."""
    workdir: Path = tmp_path_factory.mktemp("registration-server")
    with serving_with_curator(workdir, EMAIL, PASSWORD, SECRET) as running:
        yield running


@dataclass
class Visit:
    page: Page
    javascript: bool

    def check(self) -> None:
        """axe runs as a script: only where the page runs scripts."""
        if self.javascript:
            assert_accessible(self.page)


@pytest.fixture(params=[True, False], ids=["phone", "phone-nojs"])
def phone(request: pytest.FixtureRequest, browser: Browser, server: Server) -> Iterator[Visit]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale=LOCALE,
        base_url=server.url,
        java_script_enabled=request.param,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield Visit(context.new_page(), request.param)
    finally:
        context.close()


def test_register_on_a_phone_and_a_curator_approves(phone: Visit) -> None:
    page = phone.page
    name = f"{NAME} {next(RUNS)}"
    page.goto("/aanbod")
    page.get_by_role("link", name="Meld een initiatief aan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Een initiatief aanmelden")
    phone.check()

    # First a mistake: the page names it beside the field and keeps what was typed.
    page.get_by_label("Naam van het initiatief").fill(name)
    page.get_by_label("Website").fill("proefstap punt be")
    page.get_by_label("In welke gemeente?").fill("Geel")
    page.get_by_label("Ontmoeten / sociaal contact").check()
    page.get_by_label("Sociale activiteiten stimuleren").check()
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.locator("#e-website")).to_contain_text("geen webadres")
    expect(page.get_by_label("Naam van het initiatief")).to_have_value(name)
    expect(page.get_by_label("Ontmoeten / sociaal contact")).to_be_checked()
    phone.check()

    page.get_by_label("Website").fill("https://www.proefstap.be")
    page.get_by_label("Wat wil het initiatief bereiken?").fill("Samen wandelen in de buurt.")
    page.get_by_label("Telefoonnummer").fill("014 12 34 56")
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelding ontvangen")
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", reference)
    phone.check()

    # The submitter follows it up with the reference: first mistyped, then as typed from
    # paper. The "not found" answer (404) shows, with or without JavaScript.
    page.get_by_role("link", name="Aanmelding opvolgen").click()
    page.get_by_label("Referentie van de aanmelding").fill("ZZZZ-ZZZZ-ZZ")
    page.get_by_role("button", name="Stand bekijken").click()
    expect(page.get_by_role("alert")).to_contain_text("Geen aanmelding met die referentie")
    expect(page.get_by_label("Referentie van de aanmelding")).to_have_value("ZZZZ-ZZZZ-ZZ")
    page.get_by_label("Referentie van de aanmelding").fill(reference.lower().replace("-", " "))
    page.get_by_role("button", name="Stand bekijken").click()
    expect(page.locator("#registration-status")).to_contain_text(
        "uw aanmelding wacht op een beheerder"
    )
    phone.check()

    # The curator logs in, finds it in the queue and approves it.
    page.goto("/beheer/login")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name=re.compile("1 aanmelding wacht op nazicht")).click()
    expect(page.get_by_text(reference)).to_be_visible()
    phone.check()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_text("Alle velden doorstaan de controles van de import.")).to_be_visible()
    phone.check()
    page.get_by_role("button", name="Goedkeuren en publiceren").click()
    expect(page.locator("#status")).to_have_text("goedgekeurd")
    page.get_by_role("link", name="Bekijk het initiatief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
