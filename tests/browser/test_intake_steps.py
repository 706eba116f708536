"""The intake steps in a real browser: the crisis banner, the municipality list, the
risk-factor search with synonyms, and "Wijzig" on the overview, with and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import BrowserContext, Page, expect

from app.domain.places import load_places
from tests.browser.wizard import OLDER_STRUCTURAL, click_next, expect_step, step_answers
from tests.test_web import SEARCHES

WITH_AND_WITHOUT_JS = pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
MARKER = "window.__noReload = 'still here'"
MARKER_CHECK = "() => window.__noReload"


# --- crisis -----------------------------------------------------------------------------


def test_crisis_banner_appears_as_soon_as_a_sign_is_ticked(page: Page) -> None:
    page.goto("/intake/context")
    page.evaluate(MARKER)
    banner = page.locator("#crisis-banner .crisis-banner")
    expect(banner).to_have_count(0)

    page.get_by_label("Signalen van zelfmoordgedachten").check()
    expect(banner).to_be_visible()
    for number in ("1813", "106", "112", "1733", "0800 13 500"):
        expect(banner).to_contain_text(number)
    expect(banner).to_contain_text("Awel")  # the age is not known yet
    expect(banner.get_by_role("link", name="bel 1813")).to_have_attribute("href", "tel:1813")
    assert page.evaluate(MARKER_CHECK) == "still here", "ticking must not reload the page"
    assert re.search(r"/intake/context$", page.url), "ticking must not change the address"

    # An adult's banner leaves Awel out; unticking removes the banner.
    page.get_by_label("Volwassenen (26–59 jaar)").check()
    expect(banner).not_to_contain_text("Awel")
    page.get_by_label("Signalen van zelfmoordgedachten").uncheck()
    expect(banner).to_have_count(0)

    page.get_by_label("Acute crisis").check()
    expect(banner).to_contain_text("acute crisis")
    click_next(page, "questions")
    expect(page.locator(".crisis-banner")).to_contain_text("112")
    expect(page.locator(".crisis-banner")).to_contain_text("0800 13 500")


def test_crisis_banner_without_javascript_after_next(nojs_page: Page) -> None:
    page = nojs_page
    page.goto("/intake/context")
    page.get_by_label("Acute crisis").check()
    expect(page.locator(".crisis-banner")).to_have_count(0)  # no script: it comes on "Volgende"
    page.get_by_label("Jongeren (12–17 jaar)").check()
    click_next(page, "questions")
    banner = page.locator(".crisis-banner")
    expect(banner).to_contain_text("Awel")
    expect(banner).to_contain_text("1813")
    page.locator(".progress").get_by_role("button", name="Overzicht").click()
    expect_step(page, "review")
    expect(page.locator(".crisis-banner")).to_contain_text("Tele-Onthaal")


# --- municipality -----------------------------------------------------------------------


def test_municipality_field_offers_every_place(page: Page) -> None:
    page.goto("/intake/context")
    field = page.get_by_label("Gemeente (optioneel)")
    expect(field).to_have_attribute("list", "municipality-list")
    options = page.locator("#municipality-list option")
    expect(options).to_have_count(len(load_places()))
    expect(page.locator('#municipality-list option[value="Tessenderlo-Ham"]')).to_have_attribute(
        "label", re.compile("vroeger Tessenderlo, Ham")
    )


def test_former_name_is_normalised_while_typing_and_on_enter(page: Page) -> None:
    page.goto("/intake/context")
    page.get_by_label("Ouderen (60 jaar of ouder)").check()
    field = page.get_by_label("Gemeente (optioneel)")
    field.fill("ham")
    field.blur()
    # The note names the former municipality as it was spelled, whatever was typed.
    expect(page.locator("#n-municipality")).to_have_text(
        "Ham hoort sinds 2025 bij Tessenderlo-Ham."
    )
    expect(page.get_by_label("Gemeente (optioneel)")).to_have_value("Tessenderlo-Ham")
    page.get_by_label("Gemeente (optioneel)").fill("Borsbeek")
    page.get_by_label("Gemeente (optioneel)").press("Enter")
    expect_step(page, "questions")
    assert step_answers(page)["municipality"] == ["Antwerpen"]


@WITH_AND_WITHOUT_JS
def test_unknown_municipality_shows_suggestions_and_keeps_every_answer(
    new_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/intake/context")
    page.get_by_label("Acute crisis").check()
    page.get_by_label("Leeftijd in jaren (optioneel)").fill("67")
    page.get_by_label("Ouderen (60 jaar of ouder)").check()
    page.get_by_label("Gemeente (optioneel)").fill("Gnet")
    page.get_by_role("button", name="Volgende", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("“Gnet” staat niet in de lijst")
    expect(summary).to_contain_text("Bedoelt u Gent")
    expect_step(page, "context")
    expect(page.get_by_label("Gemeente (optioneel)")).to_have_value("Gnet")
    expect(page.get_by_label("Acute crisis")).to_be_checked()
    expect(page.get_by_label("Leeftijd in jaren (optioneel)")).to_have_value("67")
    expect(page.get_by_label("Ouderen (60 jaar of ouder)")).to_be_checked()
    expect(page.locator(".crisis-banner")).to_be_visible()

    suggestions = page.locator("ul.suggestions button")
    assert 1 <= suggestions.count() <= 5
    page.locator("ul.suggestions").get_by_role("button", name="Gent", exact=True).click()
    expect(page.get_by_label("Gemeente (optioneel)")).to_have_value("Gent")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.get_by_label("Leeftijd in jaren (optioneel)")).to_have_value("67")
    click_next(page, "questions")
    query = step_answers(page)
    assert query["municipality"] == ["Gent"] and query["age"] == ["67"]
    assert query["crisis_signs"] == ["acute_crisis"]


# --- risk-factor search -----------------------------------------------------------------


def test_synonym_search_finds_risk_factors_by_other_words(page: Page) -> None:
    page.goto(f"/intake/risks?{OLDER_STRUCTURAL.query()}")
    search = page.get_by_label("Zoek een risicofactor")
    search.fill("angst")
    expect(page.get_by_label("Psychische kwetsbaarheid")).to_be_visible()
    expect(page.get_by_label("Mantelzorger")).to_be_hidden()
    expect(page.locator("#risk-filter-status")).to_have_text("1 risicofactor gevonden")
    for query, factor in SEARCHES:
        search.fill(query)
        expect(page.locator(f"#risk_factors-{factor}")).to_be_visible()
    search.fill("werk")
    expect(page.locator("#risk_factors-small_network")).to_be_hidden()  # not "netwerk"
    search.fill("qqq")
    expect(page.locator("#risk-filter-status")).to_contain_text("Geen risicofactor gevonden")
    search.fill("")
    expect(page.locator("#f-risk_factors [data-filter-text]:visible")).to_have_count(20)


def test_search_keeps_ticked_factors_in_view(page: Page) -> None:
    page.goto(f"/intake/risks?{OLDER_STRUCTURAL.query()}&risk_factors=caregiver")
    page.get_by_label("Zoek een risicofactor").fill("rouw")
    expect(page.get_by_label("Overlijden partner")).to_be_visible()
    expect(page.get_by_label("Mantelzorger")).to_be_visible()
    expect(page.get_by_label("Mantelzorger")).to_be_checked()


# --- Wijzig on the overview -------------------------------------------------------------


@WITH_AND_WITHOUT_JS
def test_change_on_the_overview_returns_to_the_overview(
    new_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(f"/intake/review?{OLDER_STRUCTURAL.query()}")
    expect_step(page, "review")
    page.get_by_role("button", name="Wijzig – Duur", exact=True).click()
    expect_step(page, "course")
    expect(page.get_by_role("button", name="Volgende", exact=True)).to_have_count(0)
    back = page.get_by_role("button", name="Terug naar overzicht")
    expect(back).to_be_visible()

    # The step is validated first: a wrong duration stays on the step.
    page.get_by_label("Hoe lang voelt de persoon zich al eenzaam?").fill("twee jaar")
    back.click()
    expect(page.locator("#error-summary")).to_contain_text("geheel aantal maanden")
    expect_step(page, "course")
    page.get_by_label("Hoe lang voelt de persoon zich al eenzaam?").fill("6")
    page.get_by_role("button", name="Terug naar overzicht").click()
    expect_step(page, "review")
    row = page.locator("table.review tr", has_text="Duur")
    expect(row).to_contain_text("6 maanden")
    # Chronic for six months of a structural problem: a warning on the overview, not a stop.
    expect(page.locator(".course-warning")).to_contain_text("duurt pas 6 maanden")
    page.get_by_role("button", name="Toon het advies").click()
    expect(page.locator("h1")).to_have_text("Advies")


# --- accessibility of the new states ----------------------------------------------------

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def assert_accessible(page: Page) -> None:
    """No axe violation of WCAG 2.1 A/AA (as tests/browser/test_accessibility.py checks)."""
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    found = [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    assert not found, f"{page.url}: {found}"


def test_new_states_pass_axe(page: Page) -> None:
    page.goto("/intake/context")
    page.get_by_label("Acute crisis").check()
    expect(page.locator("#crisis-banner .crisis-banner")).to_be_visible()
    page.get_by_label("Gemeente (optioneel)").fill("Gnet")
    page.get_by_label("Gemeente (optioneel)").blur()
    expect(page.locator("#e-municipality")).to_contain_text("Bedoelt u")
    assert_accessible(page)
    query = f"{OLDER_STRUCTURAL.query()}&crisis_signs=suicidal_thoughts&age=80&duration_months=6"
    page.goto(f"/intake/course?back_to=review&{query}&course=transient")
    expect(page.locator(".course-warning")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/intake/risks?{query}")
    page.get_by_label("Zoek een risicofactor").fill("weduwe")
    assert_accessible(page)
