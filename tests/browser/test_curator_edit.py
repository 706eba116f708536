"""A curator edits a published record in Chromium: the form, the diff, the save and its
audit entry; then archives it with a reason. axe checks the edit form and the diff page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LOCALE, TIMEOUT_MS
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_curator_login import EMAIL, PASSWORD, curator_server, fits_the_width
from tests.serving import Server

__all__ = ["curator_server"]  # the module's server: an admin made on the command line


@pytest.fixture
def page(browser: Browser, curator_server: Server) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale=LOCALE, base_url=curator_server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_curator_edits_a_record_sees_the_diff_saves_and_archives(page: Page) -> None:
    page.goto("/beheer/aanbod")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Initiatieven bewerken")

    page.get_by_label("Naam of gemeente").fill("telefoonster")
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name="Telefoonster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Telefoonster")

    page.get_by_role("link", name="Bewerken", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Telefoonster bewerken")
    assert_accessible(page)
    assert fits_the_width(page)
    page.get_by_label("Telefoonnummer").fill("09 222 33 44")
    page.get_by_role("checkbox", name="Mindfulness").check()
    page.get_by_role("button", name="Wijzigingen bekijken").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Wijzigingen nakijken")
    diff = page.locator("#diff")
    expect(diff.get_by_role("row", name="Telefoon")).to_contain_text("09 222 33 44")
    expect(diff.get_by_role("row", name="Werkzame elementen")).to_contain_text("erbij: Mindfulness")
    assert_accessible(page)
    page.get_by_role("button", name="Opslaan", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("De wijzigingen zijn opgeslagen.")
    expect(page.locator("#history li").first).to_contain_text("Gewijzigd")
    expect(page.locator("#history li").first).to_contain_text("Bea Beheer")
    page.get_by_role("link", name="Alle wijzigingen in het logboek").click()
    entry = page.locator(".audit-list > li").first
    expect(entry).to_contain_text("Gewijzigd")
    expect(entry.get_by_role("row", name="Telefoon")).to_contain_text("09 222 33 44")

    page.go_back()
    page.get_by_label("Reden van archiveren").fill("Het initiatief is gestopt.")
    page.get_by_role("button", name="Archiveren").click()
    expect(page.get_by_role("status")).to_contain_text("Het initiatief is gearchiveerd")
    expect(page.locator("#archive-reason")).to_have_text("Het initiatief is gestopt.")
    found = re.search(r"/beheer/aanbod/([0-9]+)", page.url)
    assert found is not None
    gone = page.request.get(f"/aanbod/{found.group(1)}")
    assert gone.status == 410 and "Niet meer in het aanbod" in gone.text()
