"""axe-core (WCAG 2.0/2.1 A and AA) on every page and state a user can reach."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.wizard import (
    OLDER_STRUCTURAL,
    STEPS,
    YOUTH_IN_CRISIS,
    Person,
    expect_result,
    expect_step,
)

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
_axe = Axe()

# Signals of every kind (danger and attention) next to the what-if form.
WITH_SIGNALS = Person(
    age_group="youth",
    problem_nature="situational",
    wants_contact="true",
    coping="active",
    municipality="Gent",
    dimensions=("social", "emotional"),
    risk_factors=("caregiver",),
    crisis_signs=("suicidal_thoughts", "acute_crisis"),
    djg6=("ja", "ja", "nee", "nee", "nee", "ja"),
)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} axe violation(s):"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}  [{v.get('helpUrl', '')}]")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    target: {target}")
            lines.append(f"      html: {node.get('html', '').strip()[:200]}")
            summary = node.get("failureSummary", "").replace("\n", " / ")
            lines.append(f"      {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    results = _axe.run(page, options=AXE_OPTIONS)
    violations: list[dict[str, Any]] = results.response["violations"]
    if violations:
        report = describe(violations)
        print(f"\n{page.url}\n{report}")
        pytest.fail(f"{page.url}\n{report}", pytrace=False)


def test_home(page: Page) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("step", STEPS)
def test_empty_step(page: Page, step: str) -> None:
    page.goto(f"/intake/{step}")
    expect_step(page, step)
    assert_accessible(page)


def test_questions_step_with_errors(page: Page) -> None:
    page.goto(f"/intake/questions?age_group={OLDER_STRUCTURAL.age_group}")
    page.locator("#coping-passive").check()
    page.get_by_role("button", name="Volgende", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#e-problem_nature")).to_be_visible()
    assert_accessible(page)


def test_scale_step_with_live_score_and_errors(page: Page) -> None:
    page.goto(f"/intake/scale?{OLDER_STRUCTURAL.query()}")
    for n, answer in enumerate(WITH_SIGNALS.djg6, start=1):
        page.locator(f"#djg6_{n}-{answer}").check()
    expect(page.locator("#djg6-score")).to_contain_text("Score: 4 van 6")
    assert_accessible(page)
    page.goto(f"/intake/scale?{OLDER_STRUCTURAL.query()}&djg6_1=ja&go=next")
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)


def test_risks_step_with_filter_in_use(page: Page) -> None:
    page.goto(f"/intake/risks?{OLDER_STRUCTURAL.query()}")
    page.get_by_label("Zoek een risicofactor").fill("mantel")
    expect(page.get_by_label("Mantelzorger")).to_be_visible()
    assert_accessible(page)


def test_review_step_with_answers(page: Page) -> None:
    page.goto(f"/intake/review?{WITH_SIGNALS.query()}")
    expect_step(page, "review")
    expect(page.locator("table.review")).to_contain_text("Mantelzorger")
    assert_accessible(page)


def test_result_with_signals_and_what_if(page: Page) -> None:
    page.goto(WITH_SIGNALS.result_url())
    expect_result(page)
    expect(page.locator(".signal-danger").first).to_be_visible()
    page.locator("#whatif > summary").click()
    expect(page.locator("#whatif form")).to_be_visible()
    page.locator("ol#elements > li details summary").first.click()
    assert_accessible(page)


def test_result_after_what_if_toggle(page: Page) -> None:
    page.goto(OLDER_STRUCTURAL.result_url())
    expect_result(page)
    page.locator("#whatif > summary").click()
    page.locator("#wi-course-transient").check()
    expect(page.locator("#whatif-result")).to_contain_text("niet meer in het plan")
    assert_accessible(page)


def test_result_with_every_fold_open(page: Page) -> None:
    page.goto(f"{OLDER_STRUCTURAL.result_url()}&wi_coping=active")
    expect_result(page)
    page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
    expect(page.locator("#more-elements")).to_be_visible()
    expect(page.locator("#whatif-result")).to_be_visible()
    assert_accessible(page)


def test_anonymous_save_without_consent(page: Page) -> None:
    page.goto(YOUTH_IN_CRISIS.result_url())
    save = page.locator("#save")
    save.get_by_role("button", name="Bewaar anoniem").click()
    expect(save.locator("#e-consent")).to_contain_text("Vink aan")
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_not_found_page(page: Page) -> None:
    response = page.goto("/deze-pagina-bestaat-niet")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Pagina niet gevonden")
    assert_accessible(page)


def test_english_step(page: Page) -> None:
    page.goto(f"/intake/questions?lang=en&age_group={OLDER_STRUCTURAL.age_group}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#step-title")).to_have_text("Three questions")
    expect(page.get_by_role("button", name="Next", exact=True)).to_be_visible()
    assert_accessible(page)


def test_live_score_region_stays_in_place(page: Page) -> None:
    page.goto(f"/intake/scale?{OLDER_STRUCTURAL.query()}")
    score = page.locator("#djg6-score")
    expect(score).to_have_attribute("aria-live", "polite")
    page.evaluate("window.__scoreRegion = document.getElementById('djg6-score')")
    for n, answer in enumerate(WITH_SIGNALS.djg6, start=1):
        page.locator(f"#djg6_{n}-{answer}").check()
    expect(score).to_contain_text("Score: 4 van 6")
    same = page.evaluate("window.__scoreRegion === document.getElementById('djg6-score')")
    assert same, "the aria-live region must stay in the page; only its content may change"


def test_keyboard_focus_stays_in_the_save_form(page: Page) -> None:
    page.goto(OLDER_STRUCTURAL.result_url())
    page.locator("#save").get_by_role("button", name="Bewaar anoniem").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#e-consent")).to_be_visible()
    expect(page.locator("#save :focus")).to_have_count(1)


def test_landscape_dashboard(page: Page) -> None:
    page.goto("/landschap?municipality=Gent")
    expect(page.locator("#gaps")).to_be_visible()
    page.locator("details").first.evaluate("d => d.open = true")
    assert_accessible(page)


def test_landscape_with_unknown_filter_and_upload_error(page: Page) -> None:
    page.goto("/landschap?elements=magic")
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("#f-file").set_input_files(
        files=[{"name": "x.csv", "mimeType": "text/csv", "buffer": b"name,colour\nA,red\n"}]
    )
    page.get_by_role("button", name="Analyseer").click()
    expect(page.locator("#error-summary")).to_contain_text("onbekende kolom")
    assert_accessible(page)


def test_landscape_demand(page: Page) -> None:
    page.goto("/landschap/vraag?res_65%2B=20000&prev_18-34=abc")
    expect(page.locator("#supply-demand")).to_be_visible()
    assert_accessible(page)
