"""A trainer in the browser: open the persona library, click through to a persona and its
advice, open the worksheet and print it; axe on every page, and no sideways scrolling on
a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.training.personas import load_personas
from tests.browser.test_accessibility import assert_accessible


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px window"


def test_library_persona_and_worksheet(page: Page) -> None:
    persona = next(p for p in load_personas() if p.id == "maria-persona-75-plus")
    page.goto("/")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Vorming").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vorming: personabibliotheek")
    expect(page.locator(".persona-card")).to_have_count(len(load_personas()))
    assert_accessible(page)

    # Filter on the older people: fewer cards, Maria among them.
    page.get_by_label("Leeftijdsgroep").select_option("older")
    page.get_by_role("button", name="Toon").click()
    expect(page.locator(f"#persona-{persona.id}")).to_be_visible()
    expect(page.locator("#persona-yonas-nieuwkomer")).to_have_count(0)

    card = page.locator(f"#persona-{persona.id}")
    card.get_by_role("link", name=persona.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(persona.name)
    expect(page.get_by_role("heading", name="Het verhaal", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Het plan", exact=True)).to_be_visible()
    expect(page.locator("#elements > li").first).to_be_visible()
    expect(page.get_by_role("button", name="Stemronde starten")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 800})
    _fits(page)
    page.set_viewport_size({"width": 1100, "height": 900})

    page.get_by_role("link", name="Werkblad").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Werkblad")
    expect(page.locator("#questions > li")).to_have_count(2 + len(persona.questions))
    expect(page.locator("#answer-plan")).to_have_count(0)
    # app.js shows the print button; printing hides it, the menu and the footer.
    expect(page.get_by_role("button", name="Afdrukken")).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Afdrukken")).to_be_hidden()
    expect(page.get_by_role("heading", name="Het verhaal", exact=True)).to_be_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 800})
    _fits(page)

    # The answer key, reached from the persona page: the plan with its reasons.
    page.go_back()
    page.set_viewport_size({"width": 1100, "height": 900})
    page.get_by_role("link", name="Antwoordsleutel").click()
    expect(page.locator("#answer-plan li.element").first).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 1100, "height": 900})

    # On A4, every persona's worksheet is two sheets: the case, then the assignments with
    # their writing space (it was three, the first half blank, the last a lone question).
    page.emulate_media(media="print")
    for other in load_personas():
        page.goto(f"/training/persona/{other.id}/werkblad")
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
        assert pages == 2, f"{other.id}: the worksheet prints on {pages} pages"
    page.emulate_media(media="screen")
