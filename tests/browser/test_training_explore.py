"""A trainer projects the profiles, compares two personas and presents one (issue 12)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.training.personas import load_personas
from tests.browser.test_accessibility import assert_accessible


def _no_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width} px wide"


def test_profiles_compare_and_presentation(page: Page) -> None:
    personas = load_personas()
    first, second = personas[0], personas[1]

    # The profiles: the tree, then a tile of the grid to its persona.
    page.goto("/training/profielen")
    expect(page.get_by_role("heading", level=1)).to_have_text("De acht profielen in één oogopslag")
    expect(page.locator("#tree .tree-leaf")).to_have_count(8)
    assert_accessible(page)
    # Projected at 1280x720 in large type, the decision tree fits one screen with its title
    # (its two halves side by side; it was a column twice the screen's height).
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/training/profielen?weergave=groot")
    tree = page.locator("#tree").bounding_box()
    title = page.locator("#tree-title").bounding_box()
    assert tree and title and tree["y"] + tree["height"] - title["y"] <= 720
    _no_overflow(page)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto("/training/profielen")
    tile = page.locator(f"#tile-{first.profile_id}")
    tile.get_by_role("link", name=first.name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/training/persona/{first.id}$"))

    # Compare by clicking: two personas, the second chronic.
    page.goto("/training/vergelijk")
    page.get_by_label("Persona").nth(0).select_option(first.id)
    page.get_by_label("Persona").nth(1).select_option(second.id)
    page.locator("#b_course").select_option("chronic")
    page.get_by_role("button", name="Vergelijk", exact=True).click()
    expect(page).to_have_url(re.compile(rf"a={first.id}&b={second.id}&b_course=chronic$"))
    expect(page.locator("#col-a h2")).to_contain_text(first.name)
    expect(page.locator("#col-b h2")).to_contain_text(second.name)
    marked = page.locator("#col-b .entered, #col-b del").count()
    assert marked > 0
    assert_accessible(page)
    page.reload()
    expect(page.locator("#col-b h2")).to_contain_text(second.name)
    expect(page.locator("#col-b .changed-answers")).to_contain_text("chronische")
    assert page.locator("#col-b .entered, #col-b del").count() == marked

    # The projector view from the persona page (a boosted link: it loads as a whole page,
    # with its script): one slide at a time, keys as a clicker sends them.
    page.goto(f"/training/persona/{first.id}")
    page.locator(f"a[href='/training/persona/{first.id}/presentatie']").first.click()
    expect(page).to_have_url(re.compile(rf"/training/persona/{first.id}/presentatie"))
    slides = page.locator("section.slide")
    total = slides.count()
    expect(page.locator("#dia-1")).to_be_visible()
    expect(page.locator("#dia-2")).to_be_hidden()
    assert_accessible(page)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#dia-2")).to_be_visible()
    expect(page.locator("#dia-1")).to_be_hidden()
    expect(page.locator("#dia-2 .slide-number")).to_have_text(f"Dia 2 van {total}")
    page.keyboard.press("PageDown")
    expect(page.locator("#dia-3")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#dia-1")).to_be_visible()
    # Every slide fits a 1280x720 projector without scrolling (Maria: the longest story).
    page.set_viewport_size({"width": 1280, "height": 720})
    maria = "maria-persona-75-plus"
    page.goto(f"/training/persona/{maria}/presentatie")
    for n in range(1, page.locator("section.slide").count() + 1):
        expect(page.locator(f"#dia-{n}")).to_be_visible()
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 720, f"slide {n} of {maria} is {height} px high"
        page.keyboard.press("ArrowRight")
    # On a 1920x1080 projector the type grows with the screen (it stayed at 24 px).
    size = "parseFloat(getComputedStyle(document.querySelector('main')).fontSize)"
    small = page.evaluate(size)
    page.set_viewport_size({"width": 1920, "height": 1080})
    assert page.evaluate(size) >= 1.4 * small
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"/training/persona/{first.id}/presentatie")
    # B blacks the screen out, as clickers and PowerPoint do; the next key brings it back.
    expect(page.locator("#deck-help")).to_contain_text("B: zwart scherm")
    page.keyboard.press("b")
    expect(page.locator("body")).to_have_class(re.compile(r"\bblanked\b"))
    page.keyboard.press("ArrowRight")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bblanked\b"))
    expect(page.locator("#dia-1")).to_be_visible()
    page.keyboard.press("End")
    expect(page.locator(f"#dia-{total}")).to_be_visible()
    expect(page.locator(f"#dia-{total} h2")).to_have_text("Bronnen")
    page.locator(f"#dia-{total}").get_by_role("link", name="Vorige").click()
    expect(page.locator(f"#dia-{total - 1}")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(rf"/training/persona/{first.id}$"))


def test_compare_and_slides_without_javascript_on_a_phone(nojs_page: Page) -> None:
    page = nojs_page
    page.set_viewport_size({"width": 390, "height": 844})
    first = load_personas()[0]
    page.goto("/training/vergelijk")
    page.locator("#a").select_option(first.id)
    page.locator("#b").select_option(first.id)
    page.locator("#b_wants_contact").select_option("no_need")
    page.get_by_role("button", name="Vergelijk", exact=True).click()
    expect(page).to_have_url(re.compile(r"b_wants_contact=no_need"))
    expect(page.locator("#col-b")).to_be_visible()
    _no_overflow(page)
    page.goto("/training/profielen")
    _no_overflow(page)
    # Without the script every slide shows, with anchor links between them.
    page.goto(f"/training/persona/{first.id}/presentatie")
    expect(page.locator("#dia-2")).to_be_visible()
    # The keys do nothing without it, so their explanation is not shown.
    expect(page.locator("#deck-help")).to_be_hidden()
    page.locator("#dia-1").get_by_role("link", name="Volgende").click()
    expect(page).to_have_url(re.compile(r"#dia-2$"))
    _no_overflow(page)
