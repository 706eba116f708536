"""The language switch of a form keeps what was typed, in Chromium: the registration, the
demand page and a curator's edit form. With JavaScript what is typed now goes along; without
it, what the server last showed (after a refused post)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LOCALE, TIMEOUT_MS
from tests.serving import Server, serving_with_curator

EMAIL = "curator@gemeente.be"
PASSWORD = "een lang curatorwachtwoord"
SECRET = "browser-test-secret-key-form-language"
NAME = "Buurtsoep Proefpot"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server on its own database (the shipped catalogue), with one curator."""
    workdir: Path = tmp_path_factory.mktemp("form-language-server")
    with serving_with_curator(workdir, EMAIL, PASSWORD, SECRET) as running:
        yield running


def visit(browser: Browser, server: Server, javascript: bool) -> Iterator[Page]:
    context = browser.new_context(
        locale=LOCALE, base_url=server.url, java_script_enabled=javascript
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    yield from visit(browser, server, True)


@pytest.fixture
def nojs_page(browser: Browser, server: Server) -> Iterator[Page]:
    yield from visit(browser, server, False)


def switch(page: Page, to: str) -> None:
    page.locator(".lang-switch").get_by_role("button", name=to).click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if to == "English" else "nl")


def test_the_registration_keeps_what_is_typed_in_both_languages(page: Page) -> None:
    page.goto("/aanbod/aanmelden")
    page.get_by_label("Naam van het initiatief").fill(NAME)
    page.get_by_label("Wat wil het initiatief bereiken?").fill("Samen soep eten.")
    page.get_by_label("Ontmoeten / sociaal contact").check()
    switch(page, "English")
    expect(page.locator("#f-name")).to_have_value(NAME)
    expect(page.locator("#f-goal")).to_have_value("Samen soep eten.")
    expect(page.locator("#c-elements-meeting")).to_be_checked()
    expect(page.locator("#error-summary")).to_have_count(0)
    page.locator("#f-partners").fill("Typed in English")
    switch(page, "Nederlands")
    expect(page.locator("#f-name")).to_have_value(NAME)
    expect(page.locator("#f-partners")).to_have_value("Typed in English")


def test_without_javascript_a_refused_registration_switches_with_its_answers(
    nojs_page: Page,
) -> None:
    page = nojs_page
    page.goto("/aanbod/aanmelden")
    page.get_by_label("Naam van het initiatief").fill(NAME)
    page.get_by_label("Postcode").fill("-1")
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.locator("#e-postcode")).to_contain_text("vier cijfers")
    switch(page, "English")
    expect(page.locator("#f-name")).to_have_value(NAME)
    expect(page.locator("#f-postcode")).to_have_value("-1")


def test_the_demand_page_keeps_the_typed_figures(page: Page) -> None:
    page.goto("/landschap/vraag")
    page.locator("#f-municipality").fill("Gent")
    page.locator("#f-res_children").fill("1234")
    switch(page, "English")
    expect(page.locator("#f-municipality")).to_have_value("Gent")
    expect(page.locator("#f-res_children")).to_have_value("1234")
    expect(page.locator("#upload-errors")).to_have_count(0)


def log_in_and_edit_a_record(page: Page) -> None:
    page.goto("/beheer/login")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.goto("/beheer/aanbod")
    page.locator(".record-list a").first.click()
    page.get_by_role("link", name="Bewerken").first.click()


def test_a_curators_edit_keeps_the_draft(page: Page) -> None:
    log_in_and_edit_a_record(page)
    page.locator("#f-goal").fill("Een nieuw doel, nog niet bewaard")
    switch(page, "English")
    expect(page.locator("#f-goal")).to_have_value("Een nieuw doel, nog niet bewaard")
    # the draft goes on to the diff in English: the carried token and version are good
    page.locator("#edit-form button[type=submit]").click()
    expect(page.get_by_text("Een nieuw doel, nog niet bewaard").first).to_be_visible()


# --- The switch is a button of the form: what is typed goes along, JavaScript or not ------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_every_form_switches_with_what_was_typed_since_it_was_shown(
    browser: Browser, server: Server, javascript: bool
) -> None:
    """Without JavaScript the switch had posted what the server last showed: text typed
    since then was lost. Now it submits the form itself, in both cases."""
    for page in visit(browser, server, javascript):
        # an intake step (htmx-boosted with JavaScript: the switch still loads a whole page)
        page.goto("/intake/context")
        page.locator("#f-municipality").fill("Brugge")
        page.locator("#age_group-older").check()
        switch(page, "English")
        expect(page.locator("#f-municipality")).to_have_value("Brugge")
        expect(page.locator("#age_group-older")).to_be_checked()
        expect(page.locator("#error-summary")).to_have_count(0)
        page.locator("#f-municipality").fill("Oostende")
        switch(page, "Nederlands")
        expect(page.locator("#f-municipality")).to_have_value("Oostende")
        # the registration
        page.goto("/aanbod/aanmelden")
        page.get_by_label("Naam van het initiatief").fill(NAME)
        page.get_by_label("Ontmoeten / sociaal contact").check()
        switch(page, "English")
        expect(page.locator("#f-name")).to_have_value(NAME)
        expect(page.locator("#c-elements-meeting")).to_be_checked()
        expect(page.locator("#error-summary")).to_have_count(0)
        # the demand page
        page.goto("/landschap/vraag?lang=nl")
        page.locator("#f-res_children").fill("4321")
        page.locator("#f-prev_children").fill("")  # a cleared figure stays cleared
        switch(page, "English")
        expect(page.locator("#f-res_children")).to_have_value("4321")
        expect(page.locator("#f-prev_children")).to_have_value("")
        # a curator's edit form
        page.goto("/aanbod?lang=nl")
        log_in_and_edit_a_record(page)
        page.locator("#f-goal").fill("Getypt, nog niet bewaard")
        switch(page, "English")
        expect(page.locator("#f-goal")).to_have_value("Getypt, nog niet bewaard")


def test_enter_in_a_field_sends_the_form_not_the_language_switch(page: Page) -> None:
    """The switch is a submit button of the form placed before it; Enter in a field must
    still do what the form's own main button does."""
    page.goto("/aanbod/aanmelden")
    page.get_by_label("Naam van het initiatief").fill(NAME)
    page.get_by_label("Naam van het initiatief").press("Enter")
    expect(page.locator("#error-summary")).to_be_visible()  # the registration was checked
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    log_in_and_edit_a_record(page)
    page.locator("#f-name").fill("Een nieuwe naam")
    page.locator("#f-name").press("Enter")
    expect(page.get_by_role("heading", name="Wijzigingen nakijken")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_an_archive_reason_being_typed_survives_the_switch(
    browser: Browser, server: Server, javascript: bool
) -> None:
    for page in visit(browser, server, javascript):
        log_in_and_edit_a_record(page)
        page.get_by_role("link", name="Terug naar het initiatief (zonder op te slaan)").click()
        page.locator("#f-reason").fill("Nog aan het typen")
        switch(page, "English")
        expect(page.locator("#f-reason")).to_have_value("Nog aan het typen")
        expect(page.get_by_role("heading", name="Archive")).to_be_visible()
        expect(page.locator("#e-reason")).to_have_count(0)  # checked nothing
