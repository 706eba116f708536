"""A local-government employee looks up one municipality on /landschap, on a desktop and on a
phone, with and without JavaScript: the real form is filled in and submitted by clicking."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
VIEWPORTS = {"1280": DESKTOP, "390": PHONE}
# Smallest rendered font size of the chart texts: font size × the SVG's scale on screen.
SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg.chart text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def form(page: Page) -> Locator:
    return page.get_by_role("form", name="Filters")


def _page(new_context: Callable[..., BrowserContext], width: str, js: bool) -> Page:
    return new_context(viewport=VIEWPORTS[width], java_script_enabled=js).new_page()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("width", ["1280", "390"])
def test_filter_westerlo_and_older_by_clicking(
    new_context: Callable[..., BrowserContext], width: str, js: bool
) -> None:
    page = _page(new_context, width, js)
    page.goto("/landschap")
    expect(page.locator(".summary")).to_contain_text("19 van 19 initiatieven")
    form(page).get_by_label("Gemeente", exact=True).fill("Westerlo")
    form(page).get_by_label("Leeftijdsgroepen", exact=True).select_option(label="Ouderen (60+)")
    page.get_by_role("button", name="Toon", exact=True).click()

    expect(page.locator(".summary")).to_contain_text("1 van 19 initiatieven")
    expect(page).to_have_url(re.compile(r"municipality=Westerlo"))
    expect(form(page).get_by_label("Gemeente", exact=True)).to_have_value("Westerlo")
    expect(form(page).get_by_label("Leeftijdsgroepen", exact=True)).to_have_value("older")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("table.matrix")).to_contain_text("Cultuurbuddy")
    municipality = page.locator("#municipality")
    expect(municipality.get_by_role("heading", name="Het aanbod voor Westerlo")).to_be_visible()
    expect(municipality.get_by_role("heading", name="In Westerlo zelf: 1")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_wrong_count_is_shown_at_its_field_and_the_rest_applies(
    new_context: Callable[..., BrowserContext], js: bool
) -> None:
    page = _page(new_context, "390", js)
    page.goto("/landschap")
    form(page).get_by_label("Gemeente", exact=True).fill("Westerlo")
    form(page).get_by_label("Leeftijdsgroepen", exact=True).select_option("older")
    form(page).get_by_label("Minstens … elementen").fill("twee")
    page.get_by_role("button", name="Toon", exact=True).click()

    box = form(page).get_by_label("Minstens … elementen")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_value("twee")
    expect(box).to_have_accessible_description(re.compile("Geef een geheel getal"))
    expect(page.locator(".summary")).to_contain_text("1 van 19 initiatieven")
    expect(form(page).get_by_label("Gemeente", exact=True)).to_have_value("Westerlo")
    expect(form(page).get_by_label("Leeftijdsgroepen", exact=True)).to_have_value("older")


@pytest.mark.parametrize("width", ["1280", "390"])
def test_geel_by_postcode_shows_reach_and_the_flemish_picture(
    new_context: Callable[..., BrowserContext], width: str
) -> None:
    page = _page(new_context, width, True)
    page.goto("/landschap")
    form(page).get_by_label("Gemeente", exact=True).fill("2440")
    page.get_by_role("button", name="Toon", exact=True).click()

    expect(form(page).get_by_label("Gemeente", exact=True)).to_have_value("Geel")
    section = page.locator("#municipality")
    expect(section).to_contain_text("In Geel zelf is geen initiatief gevestigd.")
    expect(section.locator("#count-regional")).to_have_text("4")
    expect(section.locator("#count-flanders")).to_have_text("7")
    meeting = section.locator("#bench-elements-meeting")
    expect(meeting).to_be_visible()
    expect(meeting.locator("td").first).to_have_text("71,4%")
    assert page.evaluate(OVERFLOW) <= 0


@pytest.mark.parametrize(
    "url", ["/landschap", "/landschap?municipality=Geel", "/landschap?municipality=Westerlo"]
)
@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE], ids=["360", "390"])
def test_nothing_is_wider_than_a_phone(
    new_context: Callable[..., BrowserContext], url: str, viewport: dict[str, int]
) -> None:
    page = new_context(viewport=viewport).new_page()
    page.goto(url)
    page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")
    assert page.evaluate(OVERFLOW) <= 0
    # Tables scroll inside their own labelled, focusable box.
    for region in page.locator(".table-scroll").all():
        expect(region).to_have_attribute("role", "region")
        expect(region).to_have_attribute("tabindex", "0")
        assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE], ids=["360", "390"])
def test_chart_labels_stay_readable_on_a_phone(
    new_context: Callable[..., BrowserContext], viewport: dict[str, int]
) -> None:
    page = new_context(viewport=viewport).new_page()
    page.goto("/landschap")
    chart = page.locator("#chart-elements")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 12
    # The long label is wrapped onto two lines, both inside the chart.
    expect(chart.locator("text", has_text="Sociaal-cognitieve training")).to_have_count(1)
    expect(chart.locator("text", has_text="sociale cognitie)")).to_have_count(1)


def test_chart_download_still_works(page: Page) -> None:
    page.goto("/landschap?municipality=Westerlo")
    with page.expect_download() as info:
        page.locator("#facet-elements").get_by_role("link", name="SVG").click()
    download = info.value
    assert download.suggested_filename == "landschap-elements.svg"
    svg = Path(download.path()).read_text(encoding="utf-8")
    assert 'role="img"' in svg and "viewBox" in svg and 'width="100%"' in svg
