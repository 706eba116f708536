"""Someone looking for an offer in the browser: search by word, tick a filter, open an
initiative; on a desktop and on a phone, with an axe check of both pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_accessibility import assert_accessible


def _no_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"


@pytest.mark.parametrize("width", [1280, 390])
def test_search_filter_and_open_an_initiative(
    new_context: Callable[..., BrowserContext], width: int
) -> None:
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto("/")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Aanbod").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanbod zoeken")
    expect(page.locator("#result-count")).to_contain_text("19 initiatieven")
    assert_accessible(page)

    # Words without their accent: "patienten" finds "patiënten".
    page.get_by_label("Zoek op naam, beschrijving of doel").fill("patienten")
    page.get_by_role("button", name="Zoek", exact=True).click()
    expect(page).to_have_url(re.compile(r"q=patienten"))
    expect(page.locator(".search-hit h3")).to_have_count(1)
    expect(page.locator(".search-hit h3")).to_contain_text("ZOL Genk")

    # A filter by clicking: everything again, then only what offers befriending.
    page.get_by_role("link", name="Wis alles").click()
    expect(page.locator("#result-count")).to_contain_text("19 initiatieven")
    page.locator("#facet-elements > summary").click()
    page.get_by_label(re.compile(r"^Vriendschaps-/buddy-interventies")).check()
    page.get_by_role("button", name="Pas filters toe").click()
    expect(page).to_have_url(re.compile(r"elements=befriending"))
    hits = page.locator(".search-hit h3")
    expect(hits.first).to_be_visible()
    count = hits.count()
    assert 0 < count < 19
    expect(page.locator("#result-count")).to_contain_text(f"{count} initiatie")
    _no_overflow(page)

    # Open the first one: its own page, with the freshness line and the way back.
    name = hits.first.inner_text()
    hits.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#freshness")).to_contain_text("Niet recent nagekeken")
    expect(
        page.get_by_role("heading", name="Wat het biedt, volgens de matrix van het rapport")
    ).to_be_visible()
    _no_overflow(page)
    assert_accessible(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"elements=befriending"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanbod zoeken")


def test_without_javascript(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/aanbod")
    page.get_by_label("Gemeente", exact=True).fill("Gent")
    page.get_by_role("button", name="Zoek", exact=True).click()
    expect(page).to_have_url(re.compile(r"municipality=Gent"))
    own = page.locator(".search-hit").filter(has_text="Start to talk")
    expect(own).to_contain_text("Gent (eigen gemeente)")
