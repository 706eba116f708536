"""Issue 8, defect 5 in Chromium: the share link on request, the language switch, and no
answer in any address the browser visits."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, Request, expect

from tests.browser.wizard import (
    OLDER_STRUCTURAL,
    YOUTH_IN_CRISIS,
    click_next,
    expect_private_url,
    expect_result,
    expect_step,
    fill_context,
    fill_questions,
    step_answers,
    walk_with_mouse,
)

ANSWER_KEYS = {"age_group", "municipality", "problem_nature", "coping", "crisis_signs"}


def test_no_request_of_a_whole_walk_carries_answers_in_its_address(page: Page) -> None:
    """Not the pages, not the live checks, not the downloads: bodies only."""
    addresses: list[str] = []

    def seen(request: Request) -> None:
        addresses.append(request.url)

    page.on("request", seen)
    walk_with_mouse(page, YOUTH_IN_CRISIS)
    page.locator("#whatif > summary").click()
    page.locator("#wi-coping-passive").check()
    expect(page.locator("#whatif-result")).to_be_visible()
    with page.expect_download():
        page.get_by_role("button", name="Download het plan (PDF)").click()
    assert len(addresses) > 10
    for address in addresses:
        keys = {k for k, _v in parse_qsl(urlsplit(address).query)}
        assert not keys & ANSWER_KEYS, address


def test_share_link_is_made_on_request_and_opens_the_same_advice(page: Page) -> None:
    walk_with_mouse(page, OLDER_STRUCTURAL)
    plan = page.locator("ol#elements > li").evaluate_all("els => els.map(e => e.id)")
    page.get_by_text("Link delen of bewaren").click()
    expect(page.locator("#share")).to_contain_text("alle antwoorden")
    expect(page.locator("#share-url")).to_have_count(0)
    page.get_by_role("button", name="Maak de link").click()
    field = page.locator("#share-url")
    # The page makes it absolute with its own origin (never the server's idea of its host).
    expect(field).to_have_value(re.compile(r"^https?://"))
    link = field.input_value()
    origin = page.evaluate("() => location.origin")
    assert link.startswith(f"{origin}/advies?"), link
    query = dict(parse_qsl(urlsplit(link).query))
    assert query["municipality"] == "Gent" and query["coping"] == "passive"
    expect_private_url(page)  # making the link does not put it in the address bar

    other = page.context.new_page()
    other.goto(link)
    expect_result(other)
    assert other.locator("ol#elements > li").evaluate_all("els => els.map(e => e.id)") == plan
    # The link's answers leave the address bar of the page it opened, too.
    expect_private_url(other)


def test_switching_language_keeps_every_answer_out_of_the_address(page: Page) -> None:
    page.goto("/intake/context")
    fill_context(page, OLDER_STRUCTURAL)
    click_next(page, "questions")
    fill_questions(page, OLDER_STRUCTURAL)  # typed on this step, not yet sent
    page.get_by_role("button", name="English").click()
    expect(page.locator("#step-title")).to_have_text("Three questions")
    expect(page.locator("#coping-passive")).to_be_checked()
    answers = step_answers(page)
    assert answers["municipality"] == ["Gent"] and answers["age_group"] == ["older"]
    assert "?" not in page.url.split("lang=en")[-1]
    assert not {k for k, _v in parse_qsl(urlsplit(page.url).query)} & ANSWER_KEYS
    page.get_by_role("button", name="Nederlands").click()
    expect_step(page, "questions")
    expect(page.locator("#problem_nature-structural")).to_be_checked()
