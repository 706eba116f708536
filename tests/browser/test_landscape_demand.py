"""A local policy maker compares demand and supply for one municipality: types the
municipality, enters residents per age band, and reads the estimate and the band note;
then opens the intake statistics. At desktop and phone width, nothing wider than 360 px."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import SHOTS_DIR, keep_screenshot


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def sized(request: pytest.FixtureRequest, new_context: Callable[..., BrowserContext]) -> Page:
    width = request.param
    return new_context(viewport={"width": width, "height": 900}).new_page()


def _no_overflow(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert wide, "the page is wider than the screen"


def test_demand_for_one_municipality(sized: Page) -> None:
    page = sized
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.goto("/landschap/vraag")
    expect(page.locator("#f-res_65\\+")).to_have_value("1491651")
    page.locator("#f-municipality").fill("Geel")
    for field in ("children", "youth", "18-34", "35-49", "50-64"):
        page.locator(f"#f-res_{field}").fill("")
    page.locator("#f-res_18-34").click()
    page.locator("#f-res_18-34").press_sequentially("8000")
    page.locator("#f-res_65\\+").fill("")
    page.locator("#f-res_65\\+").press_sequentially("8500")
    page.get_by_role("button", name="Bereken").click()

    expect(page.locator("h1")).to_contain_text("Geel")
    row = page.locator("#row-65\\+")
    expect(row).to_contain_text("1.105")  # 13 % of 8 500
    expect(row).to_contain_text("vraag: 65-plussers; aanbod: initiatieven voor 60-plussers")
    expect(page.locator("#row-18-34")).to_contain_text("1.920")  # 24 % of 8 000
    expect(page.locator("#reach")).to_contain_text("inwoners van Geel")
    keep_screenshot(page, "issue9-demand", f"demand-geel-{width}.png", full_page=True)
    _no_overflow(page)

    page.get_by_role("link", name="Bekijk de bewaarde intakes voor Geel").click()
    expect(page.locator("h1")).to_contain_text("Bewaarde intakes in Geel")
    expect(page.locator("#what-these-are")).to_contain_text("geen meting")
    keep_screenshot(page, "issue9-demand", f"intakes-geel-{width}.png", full_page=True)
    _no_overflow(page)


def test_wrong_residents_keep_the_other_values(sized: Page) -> None:
    page = sized
    page.goto("/landschap/vraag?municipality=Geel")
    page.locator("#f-res_50-64").fill("veel")
    page.locator("#f-res_35-49").fill("6200")
    page.get_by_role("button", name="Bereken").click()
    expect(page.locator("#e-res_50-64")).to_contain_text("Geef een geheel aantal inwoners")
    expect(page.locator("#f-res_50-64")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-res_35-49")).to_have_value("6200")
    expect(page.locator("#f-municipality")).to_have_value("Geel")


def test_nothing_wider_than_a_small_phone(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    for url in ("/landschap/vraag?municipality=Geel&res_65%2B=8500", "/landschap/intakes"):
        page.goto(url)
        _no_overflow(page)
    if SHOTS_DIR:
        page.goto("/landschap/vraag?municipality=Geel&res_65%2B=8500")
        keep_screenshot(page, "issue9-demand", "demand-geel-360.png", full_page=True)


def test_demand_and_intake_pages_pass_axe(page: Page) -> None:
    from tests.browser.test_accessibility import assert_accessible

    page.goto("/landschap/vraag?municipality=Geel&res_65%2B=8500&res_18-34=veel&prev_50-64=abc")
    expect(page.locator("#supply-demand")).to_be_visible()
    assert_accessible(page)
    page.goto("/landschap/intakes?municipality=Geel&jaar=26")
    expect(page.locator("#e-jaar")).to_be_visible()
    assert_accessible(page)
