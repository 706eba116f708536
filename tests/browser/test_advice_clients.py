"""Three clients walked through the wizard like a social worker does, and what the advice
page then shows them: a short plan, each reason once, offers or a plain no-local-offer
notice, a what-if that never touches the plans to take away, and a page that stays short."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.wizard import (
    DJG6_FIELDS,
    Person,
    click_next,
    expect_private_url,
    expect_result,
    expect_step,
    fill_context,
    fill_questions,
    posted_fields,
)

MARIA = Person(
    age_group="",
    age="82",
    municipality="Geel",
    problem_nature="situational",
    wants_contact="true",
    coping="passive",
    dimensions=("emotional",),
    risk_factors=("partner_loss", "living_alone"),
)
STUDENT = Person(
    age_group="",
    age="20",
    municipality="Leuven",
    problem_nature="situational",
    wants_contact="true",
    coping="active",
    dimensions=("social",),
)
JOS = Person(
    age_group="",
    age="58",
    municipality="Antwerpen",
    problem_nature="structural",
    wants_contact="false",
    coping="passive",
)
DURATION = {"82": "8", "58": "60"}  # months, by the person's age
ISOLATED = {"58": "true"}
HELPLINES = ("1813", "106", "102")
NETWORK_ELEMENTS = {"meeting", "social_networks", "social_activities"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Measured with every fold closed: before the plan layout these pages were 3,900-5,900 px
# high on a 1280 px desktop and 6,700-10,500 px on a 390 px phone; with it about 2,800-3,400
# and 4,800-5,900. The bounds leave room for a longer text, not for a longer page.
MAX_HEIGHT_DESKTOP = 3_600
MAX_HEIGHT_PHONE = 6_000
MARKER = "window.__noReload = 'still here'"
MARKER_CHECK = "() => window.__noReload"


def walk(page: Page, person: Person) -> None:
    """From the home page to the advice, clicking, with the duration and isolation typed in."""
    page.goto("/")
    page.get_by_role("link", name="Start een intake").click()
    expect_step(page, "context")
    fill_context(page, person)
    click_next(page, "questions")
    fill_questions(page, person)
    click_next(page, "course")
    if person.age in DURATION:
        page.locator("#f-duration_months").fill(DURATION[person.age])
    click_next(page, "dimensions")
    for dimension in person.dimensions:
        page.locator(f"#dimensions-{dimension}").check()
    if person.age in ISOLATED:
        page.locator(f"#socially_isolated-{ISOLATED[person.age]}").check()
    click_next(page, "risks")
    for risk in person.risk_factors:
        page.locator(f"#risk_factors-{risk}").check()
    click_next(page, "scale")
    for field, answer in zip(DJG6_FIELDS, person.djg6, strict=False):
        page.locator(f"#{field}-{answer}").check()
    click_next(page, "review")
    page.get_by_role("button", name="Toon het advies").click()
    expect_result(page)


def plan_ids(page: Page) -> list[str]:
    ids: list[str] = page.locator("ol#elements > li").evaluate_all(
        "els => els.map(e => e.id.replace(/^el-/, ''))"
    )
    return ids


def repeated_reasons(page: Page) -> list[str]:
    """Reason texts that the page says more than once (plan lines, own reasons, shared)."""
    texts: list[str] = page.evaluate(
        """() => {
            const strip = el => {
                const c = el.cloneNode(true);
                c.querySelectorAll('.badge, .source, .applies').forEach(x => x.remove());
                return c.textContent.replace(/\\s+/g, ' ').trim();
            };
            const nodes = document.querySelectorAll(
                'li.element p.why, li.element li.reason, ol.shared-list > li');
            return Array.from(nodes, strip);
        }"""
    )
    seen: set[str] = set()
    return [t for t in texts if t in seen or seen.add(t)]  # type: ignore[func-returns-value]


def offer_texts(page: Page) -> str:
    return " ".join(page.locator("li.initiative").all_inner_texts())


def height(page: Page) -> int:
    value: int = page.evaluate("document.documentElement.scrollHeight")
    return value


def test_maria_widowed_in_geel_gets_a_short_plan_and_cultuurbuddy(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(viewport=PHONE).new_page()
    walk(page, MARIA)
    ids = plan_ids(page)
    assert 3 <= len(ids) <= 5, ids
    assert not repeated_reasons(page)
    offers = page.locator("ul#initiatives > li")
    cultuurbuddy = offers.filter(has=page.locator("h3", has_text="Cultuurbuddy"))
    expect(cultuurbuddy).to_be_visible()
    expect(cultuurbuddy).to_contain_text("Westerlo")
    texts = offer_texts(page)
    for number in HELPLINES:
        assert not re.search(rf"\b{number}\b", texts), number
    expect(page.locator(".signal-danger")).to_have_count(0)
    # The legend explains the badges; the folds are closed.
    expect(page.locator("#legend")).to_contain_text("meerdere reviews of meta-analyses")
    for fold in ("#more", "#how", "#whatif"):
        expect(page.locator(fold)).not_to_have_attribute("open", "")
    assert height(page) < MAX_HEIGHT_PHONE, height(page)
    # The plan for Maria to take home: the button posts her real answers.
    link = page.get_by_role("button", name="Download het plan (PDF)")
    query = posted_fields(page.locator("form", has=link))
    assert query["municipality"] == ["Geel"] and query["coping"] == ["passive"]
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"


def test_student_in_leuven_is_told_plainly_there_is_no_local_offer(page: Page) -> None:
    walk(page, STUDENT)
    notice = page.locator("#no-local-offer")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Geen aanbod gevonden in Leuven")
    links = notice.locator("#services a")
    assert links.count() >= 2
    for href in links.evaluate_all("els => els.map(a => a.href)"):
        assert "desocialekaart.be" in href and "Leuven" in href, href
    expect(notice.locator("#services")).to_contain_text("JAC")
    assert 3 <= len(plan_ids(page)) <= 5
    assert not repeated_reasons(page)


def test_jos_gets_no_network_building_and_no_offer_he_should_avoid(page: Page) -> None:
    walk(page, JOS)
    ids = plan_ids(page)
    assert 3 <= len(ids) <= 5, ids
    assert not NETWORK_ELEMENTS & set(ids), ids
    avoid: list[str] = page.locator("ul#discouraged > li").evaluate_all(
        "els => els.map(e => e.id.replace(/^avoid-/, ''))"
    )
    assert NETWORK_ELEMENTS & set(avoid), avoid
    avoided_labels = set(page.locator("ul#discouraged > li > strong").all_inner_texts())
    for offer in page.locator("li.initiative").all():
        offered = offer.locator("dt", has_text="Biedt").locator("xpath=following-sibling::dd[1]")
        labels = {x.strip() for x in offered.inner_text().split(",")}
        assert not labels <= avoided_labels, labels
    assert not repeated_reasons(page)


@pytest.mark.parametrize("person", [MARIA, STUDENT, JOS], ids=["maria", "student", "jos"])
def test_page_stays_short_on_desktop_and_phone(
    new_context: Callable[..., BrowserContext], person: Person
) -> None:
    query = person.query() + (
        f"&duration_months={DURATION[person.age]}" if person.age in DURATION else ""
    )
    for viewport, limit in ((DESKTOP, MAX_HEIGHT_DESKTOP), (PHONE, MAX_HEIGHT_PHONE)):
        page = new_context(viewport=viewport).new_page()
        page.goto(f"/advies?{query}")
        expect_result(page)
        assert height(page) < limit, (viewport, height(page))
        # Nothing is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_what_if_shows_the_change_in_place_and_keeps_the_real_plan(page: Page) -> None:
    page.goto(f"/advies?{MARIA.query()}&duration_months=8")
    expect_result(page)
    page.evaluate(MARKER)
    real_plan = plan_ids(page)
    download = page.locator("form", has=page.get_by_role("button", name="Download het plan (PDF)"))
    real_fields = posted_fields(download)
    page.locator("#whatif > summary").click()
    page.locator("#wi-course-chronic").check()
    result = page.locator("#whatif-result")
    expect(result).to_be_visible()
    expect(result).to_contain_text(re.compile("nieuw in het plan|niet meer in het plan"))
    expect(page.locator("#whatif fieldset.changed")).to_contain_text("gewijzigd")
    expect_private_url(page)
    assert page.evaluate(MARKER_CHECK) == "still here", "the what-if must not reload the page"
    # The real advice and every plan to take away stay as the intake gave them.
    assert plan_ids(page) == real_plan
    assert posted_fields(download) == real_fields
    assert "course" not in real_fields
    expect(page.locator("#wi-course-chronic")).to_be_checked()

    page.get_by_role("button", name="Terug naar het echte advies").click()
    expect(result).to_have_count(0)
    expect(page.locator("#wi-course-auto")).to_be_checked()
    expect_private_url(page)
    assert page.evaluate(MARKER_CHECK) == "still here"


def test_what_if_without_javascript(nojs_page: Page) -> None:
    page = nojs_page
    page.goto(f"/advies?{JOS.query()}&duration_months=60")
    expect_result(page)
    real_plan = plan_ids(page)
    page.locator("#whatif > summary").click()
    page.locator("#wi-wants_contact-true").check()
    page.get_by_role("button", name="Toon wat verandert").click()
    expect_private_url(page)  # the what-if was posted
    expect(page.locator("#whatif-result")).to_be_visible()
    assert plan_ids(page) == real_plan
    button = page.get_by_role("button", name="Download het dossierplan (PDF)")
    fields = posted_fields(page.locator("form", has=button))
    assert fields["wants_contact"] == ["false"] and not any(k.startswith("wi_") for k in fields)
