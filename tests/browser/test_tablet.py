"""Usable on a tablet: no horizontal scrolling, touch-sized controls, still accessible."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_accessibility import assert_accessible

RESULT = (
    "/advies?age_group=older&municipality=Gent&problem_nature=structural"
    "&wants_contact=false&coping=passive&crisis_signs=acute_crisis"
)
PAGES = ["/intake/context", "/intake/risks", "/intake/scale", RESULT, "/landschap/vraag"]


@pytest.fixture(params=[(768, 1024), (1024, 768)], ids=["portrait", "landscape"])
def tablet(request: pytest.FixtureRequest, new_context: Callable[..., BrowserContext]) -> Page:
    width, height = request.param
    context = new_context(
        viewport={"width": width, "height": height},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    return context.new_page()


@pytest.mark.parametrize("url", PAGES)
def test_fits_the_screen_and_is_accessible(tablet: Page, url: str) -> None:
    tablet.goto(url)
    expect(tablet.locator("h1")).to_be_visible()
    overflow = tablet.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{url} scrolls sideways by {overflow}px"
    assert_accessible(tablet)


def test_buttons_and_choices_are_big_enough_to_tap(tablet: Page) -> None:
    tablet.goto("/intake/questions?age_group=older")
    for selector in ["button.primary", "button.secondary"]:
        box = tablet.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 40, selector
    tablet.locator("label[for=coping-passive]").tap()
    expect(tablet.locator("#coping-passive")).to_be_checked()
