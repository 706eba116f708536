"""End-to-end: the intake walked by three different people, with mouse and keyboard,
with and without JavaScript, and what the advice page then shows."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.wizard import (
    ADULT_CAREGIVER,
    OLDER_STRUCTURAL,
    YOUTH_IN_CRISIS,
    click_next,
    expect_private_url,
    expect_result,
    expect_step,
    fill_context,
    fill_questions,
    page_title,
    posted_fields,
    step_answers,
    walk_with_keyboard,
    walk_with_mouse,
)

WITH_AND_WITHOUT_JS = pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
MARKER = "window.__noReload = 'still here'"
MARKER_CHECK = "() => window.__noReload"
# What the error summary and the field say when question 2 is left open.
NO_WANTS_CONTACT = "Vraag 2: kies of de persoon nieuwe contacten wil opbouwen."


def result_answers(page: Page) -> dict[str, list[str]]:
    """The answers the result page posts with its downloads."""
    button = page.get_by_role("button", name="Download het plan (PDF)")
    return posted_fields(page.locator("form", has=button))


def element_ids(page: Page) -> list[str]:
    ids: list[str] = page.locator("ol#elements > li").evaluate_all("els => els.map(e => e.id)")
    return ids


def test_older_structural_person_gets_training_first_and_gent_offer(page: Page) -> None:
    walk_with_mouse(page, OLDER_STRUCTURAL)

    first = page.locator("ol#elements > li").first
    expect(first).to_have_id("el-social_cognitive_training")
    expect(first.locator("h3")).to_contain_text("Sociaal-cognitieve training")
    why = first.locator("details")
    expect(why.locator("summary")).to_contain_text("Waarom?")
    expect(why.locator(".reasons")).not_to_be_visible()
    why.locator("summary").click()
    expect(why.locator(".reasons li").first).to_be_visible()

    expect(page.locator("ul#discouraged > li#avoid-meeting")).to_be_visible()
    expect(page.locator(".signal-danger")).to_have_count(0)

    # No offer delivers an element of the plan; the Gent offers for the other elements that
    # fit are in the "Ook mogelijk" fold.
    expect(page.locator("#no-local-offer")).to_contain_text("Gent")
    page.locator("#more > summary").click()
    first_offer = page.locator("ul#other-initiatives > li").first
    where = first_offer.locator("dt", has_text="Waar").locator("xpath=following-sibling::dd[1]")
    expect(where).to_have_text("Gent")


def test_young_person_in_crisis_sees_helplines_before_the_elements_keyboard_only(
    page: Page,
) -> None:
    walk_with_keyboard(page, YOUTH_IN_CRISIS)

    danger = page.locator(".signal-danger")
    expect(danger.first).to_be_visible()
    expect(danger.first).to_have_attribute("role", "alert")
    texts = " ".join(danger.all_inner_texts())
    assert "1813" in texts, texts
    assert "102" in texts, texts
    awel = danger.filter(has_text="Awel")
    expect(awel.first).to_contain_text("102")
    signal_before_elements = page.evaluate(
        """() => {
            const signal = document.querySelector('.signal-danger');
            const list = document.querySelector('ol#elements');
            return !!(signal.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert signal_before_elements, "the crisis signal must come before the elements"
    assert result_answers(page)["crisis_signs"] == ["suicidal_thoughts"]
    expect_private_url(page)


def test_adult_caregiver_with_scale_gets_live_score_and_bloomup(page: Page) -> None:
    person = ADULT_CAREGIVER
    page.goto("/intake/context")
    page.evaluate(MARKER)
    fill_context(page, person)
    click_next(page, "questions")
    page.locator(f"#problem_nature-{person.problem_nature}").check()
    page.locator(f"#wants_contact-{person.wants_contact}").check()
    page.locator(f"#coping-{person.coping}").check()
    click_next(page, "course")
    click_next(page, "dimensions")
    click_next(page, "risks")
    page.get_by_label("Mantelzorger").check()
    expect(page.locator("#risk_factors-caregiver")).to_have_value("caregiver")
    click_next(page, "scale")

    score = page.locator("#djg6-score")
    expect(score).to_contain_text("De score verschijnt wanneer alle zes uitspraken")
    for n, answer in enumerate(person.djg6, start=1):
        page.locator(f"#djg6_{n}-{answer}").check()
        if n < 6:
            expect(score).not_to_contain_text("Score:")
    expect(score).to_contain_text("Score: 4 van 6")
    expect(score).to_contain_text("matig eenzaam")
    assert page.evaluate(MARKER_CHECK) == "still here", "the score must not reload the page"
    assert re.search(r"/intake/scale(\?|$)", page.url), "the score must not change the URL"

    click_next(page, "review")
    review = page.locator("table.review")
    expect(review.locator("tr", has_text="De Jong Gierveld-schaal")).to_contain_text(
        "score 4 van 6"
    )
    expect(review.locator("tr", has_text="Risicofactoren")).to_contain_text("Mantelzorger")
    expect(review.locator("tr", has_text="Gemeente")).to_contain_text("Antwerpen")
    page.get_by_role("button", name="Toon het advies").click()
    expect_result(page)
    assert page.evaluate(MARKER_CHECK) == "still here", "htmx must swap, not reload"

    expect(page.locator("ul#initiatives h3", has_text="Bloomup")).to_be_visible()
    expect(page.locator(".profile")).to_contain_text("4/6")


def test_missing_answer_shows_errors_and_keeps_the_given_answers(page: Page) -> None:
    page.goto("/intake/context")
    fill_context(page, OLDER_STRUCTURAL)
    click_next(page, "questions")
    page.locator("#problem_nature-structural").check()
    page.locator("#coping-passive").check()
    page.get_by_role("button", name="Volgende", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("Controleer deze antwoorden")
    expect(summary.get_by_role("link")).to_have_text([NO_WANTS_CONTACT])
    expect(summary).to_be_focused()
    expect(page.locator("#e-wants_contact")).to_contain_text(NO_WANTS_CONTACT)
    expect(page.locator("#f-wants_contact")).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.locator("#e-problem_nature")).to_have_count(0)
    expect_step(page, "questions")

    # What was given is still there: this step's radios and the earlier step's answers.
    expect(page.locator("#problem_nature-structural")).to_be_checked()
    expect(page.locator("#coping-passive")).to_be_checked()
    expect(page.locator("#wants_contact-true")).not_to_be_checked()
    expect(page.locator("#wants_contact-false")).not_to_be_checked()

    # The link in the summary leads to the question.
    summary.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"#f-wants_contact$"))

    page.locator("#wants_contact-false").check()
    page.get_by_role("button", name="Vorige").click()
    expect_step(page, "context")
    expect(page.locator("#age_group-older")).to_be_checked()
    expect(page.get_by_label("Gemeente (optioneel)")).to_have_value("Gent")

    click_next(page, "questions")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#problem_nature-structural")).to_be_checked()
    expect(page.locator("#wants_contact-false")).to_be_checked()
    expect(page.locator("#coping-passive")).to_be_checked()
    click_next(page, "course")


def test_what_if_toggle_changes_the_advice_without_reload(page: Page) -> None:
    person = OLDER_STRUCTURAL
    page.goto(f"/advies?{person.query().replace('course=chronic', 'course=')}")
    expect_result(page)
    page.locator("#whatif > summary").click()
    expect(page.locator("#wi-course-auto")).to_be_checked()
    page.evaluate(MARKER)
    first = page.locator("ol#elements > li").first
    expect(first).to_have_id("el-social_cognitive_training")
    expect(page.locator("#avoid-social_skills")).to_be_visible()
    chronic_elements = element_ids(page)

    page.locator("#wi-course-transient").check()
    result = page.locator("#whatif-result")
    left = result.locator("li", has_text="Sociaal-cognitieve training")
    expect(left).to_contain_text("niet meer in het plan")
    expect(page.locator("#wi-course-transient")).to_be_checked()
    # The real advice above the panel, and its plans to take away, stay as they were.
    assert element_ids(page) == chronic_elements
    expect(page.locator("#avoid-social_skills")).to_be_visible()
    assert page.evaluate(MARKER_CHECK) == "still here", "the what-if must not reload the page"
    query = result_answers(page)
    assert query["municipality"] == ["Gent"]
    assert query["age_group"] == ["older"]
    assert "wi_course" not in query
    expect_private_url(page)

    # Back to the course as derived with the keyboard: the radio keeps the focus across the swap.
    page.locator("#wi-course-transient").focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#wi-course-auto")).to_be_focused()
    expect(page.locator("#wi-course-auto")).to_be_checked()
    expect(result).to_have_count(0)
    expect_private_url(page)
    assert element_ids(page) == chronic_elements, "the real advice never changed"
    assert page.evaluate(MARKER_CHECK) == "still here"


def test_download_the_plan_as_pdf(page: Page) -> None:
    page.goto(OLDER_STRUCTURAL.result_url())
    link = page.get_by_role("button", name="Download het plan (PDF)")
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    with open(download.path(), "rb") as fh:
        content = fh.read()
    assert content.startswith(b"%PDF"), content[:20]
    assert len(content) > 1000
    expect_result(page)


def test_whole_walk_without_javascript(nojs_page: Page) -> None:
    page = nojs_page
    walk_with_mouse(page, OLDER_STRUCTURAL)
    expect_private_url(page)  # every step was a posted form
    expect(page.locator("ol#elements > li").first).to_have_id("el-social_cognitive_training")
    expect(page.locator("#avoid-meeting")).to_be_visible()
    # No script ran: the enhancements stay hidden, the what-if works with its button.
    expect(page.get_by_role("button", name="Afdrukken")).to_be_hidden()
    page.locator("#whatif > summary").click()
    page.locator("#wi-course-transient").check()
    expect_private_url(page)
    page.get_by_role("button", name="Toon wat verandert").click()
    expect_private_url(page)
    expect(page.locator("#whatif-result")).to_contain_text("niet meer in het plan")
    expect(page.locator("ol#elements > li").first).to_have_id("el-social_cognitive_training")


def test_browser_back_forward_and_reload_keep_the_answers_out_of_the_address(
    page: Page,
) -> None:
    """Back, Forward and reload bring a step back as it was filled in, from the tab's
    history state: the addresses never carry answers, and nothing lands in storage."""
    page.goto("/intake/context")
    fill_context(page, OLDER_STRUCTURAL)
    click_next(page, "questions")
    page.locator("#problem_nature-structural").check()
    page.locator("#wants_contact-false").check()
    page.locator("#coping-passive").check()
    click_next(page, "course")

    page.go_back()
    expect_step(page, "questions")
    expect(page.locator("#problem_nature-structural")).to_be_checked()
    expect(page.locator("#wants_contact-false")).to_be_checked()
    expect(page.locator("#coping-passive")).to_be_checked()
    page.go_back()
    expect_step(page, "context")
    expect(page.locator("#age_group-older")).to_be_checked()
    expect(page.get_by_label("Gemeente (optioneel)")).to_have_value("Gent")
    page.go_forward()
    expect_step(page, "questions")
    expect(page.locator("#coping-passive")).to_be_checked()
    page.reload()
    expect_step(page, "questions")
    expect(page.locator("#coping-passive")).to_be_checked()
    click_next(page, "course")
    answers = step_answers(page)
    assert answers["age_group"] == ["older"]
    assert answers["municipality"] == ["Gent"]
    assert answers["problem_nature"] == ["structural"]
    # Through to the advice, then Back to the overview and Forward to the advice again.
    for step in ("dimensions", "risks", "scale", "review"):
        click_next(page, step)
    page.get_by_role("button", name="Toon het advies").click()
    expect_result(page)
    page.go_back()
    expect_step(page, "review")
    page.go_forward()
    expect_result(page)
    page.reload()
    expect_result(page)
    assert result_answers(page)["coping"] == ["passive"]
    # No answer in the browser's storage or cookies: htmx's history cache is off, and
    # htmx keeps only the current path (no query) in sessionStorage.
    stored = page.evaluate(
        """() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),
                                 document.cookie])"""
    )
    for value in ("older", "Gent", "structural", "passive", "chronic"):
        assert value not in stored, stored


def test_a_click_before_the_page_settles_still_leaves_a_history_entry(page: Page) -> None:
    """A quick user clicks on before htmx has settled the new step; Back must still
    show each step once, in order (it once skipped a step whose entry was never pushed)."""
    page.goto("/intake/context")
    # A long settle delay makes the quick click certain instead of a matter of load.
    page.evaluate("htmx.config.defaultSettleDelay = 1500")
    fill_context(page, OLDER_STRUCTURAL)
    click_next(page, "questions")
    fill_questions(page, OLDER_STRUCTURAL)
    click_next(page, "course")
    for step in ("dimensions", "risks"):
        click_next(page, step)
    page.go_back()
    expect_step(page, "dimensions")
    page.go_back()
    expect_step(page, "course")
    page.go_back()
    expect_step(page, "questions")
    expect(page.locator("#coping-passive")).to_be_checked()
    page.go_forward()
    expect_step(page, "course")


def test_without_javascript_the_back_button_of_the_step_keeps_the_answers(
    nojs_page: Page,
) -> None:
    """Without JavaScript, the browser's Back would resend a form; "Vorige" goes back."""
    page = nojs_page
    page.goto("/intake/context")
    fill_context(page, OLDER_STRUCTURAL)
    click_next(page, "questions")
    fill_questions(page, OLDER_STRUCTURAL)
    click_next(page, "course")
    page.get_by_role("button", name="Vorige").click()
    expect_step(page, "questions")
    expect(page.locator("#coping-passive")).to_be_checked()
    page.get_by_role("button", name="Vorige").click()
    expect_step(page, "context")
    expect(page.get_by_label("Gemeente (optioneel)")).to_have_value("Gent")


@WITH_AND_WITHOUT_JS
def test_enter_in_a_text_field_goes_to_the_next_step(
    new_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    """Enter submits the form's default button: that must be "Volgende", not the first
    button of the progress bar (which would jump back to step 1)."""
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(f"/intake/course?{OLDER_STRUCTURAL.query()}")
    duration = page.get_by_label("Hoe lang voelt de persoon zich al eenzaam?")
    duration.fill("36")
    duration.press("Enter")
    expect_step(page, "dimensions")
    assert step_answers(page)["duration_months"] == ["36"]


@WITH_AND_WITHOUT_JS
def test_progress_bar_on_the_review_step_opens_that_step(
    new_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    """The review form submits to /advies; its progress bar must still open the step."""
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(f"/intake/review?{OLDER_STRUCTURAL.query()}")
    expect_step(page, "review")
    page.locator(".progress").get_by_role("button", name="Context").click()
    expect_step(page, "context")
    expect(page.locator("#age_group-older")).to_be_checked()


@WITH_AND_WITHOUT_JS
def test_document_title_names_the_current_step(
    new_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/intake/context")
    expect(page).to_have_title(page_title("context"))
    fill_context(page, OLDER_STRUCTURAL)
    click_next(page, "questions")
    expect(page).to_have_title(page_title("questions"))
    assert page.locator("body title").count() == 0, "a <title> element ended up in <body>"
