"""Walking the intake wizard like a user does: with the mouse, or with the keyboard only.

The helpers work with and without JavaScript: with htmx a step is swapped into `#main`,
without it the browser loads the next page; either way the assertions wait for what the
user sees (the step heading and the address bar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

STEPS = ("context", "questions", "course", "dimensions", "risks", "scale", "review")
STEP_TITLES = {
    "context": "Context",
    "questions": "Drie vragen",
    "course": "Duur en verloop",
    "dimensions": "Dimensies",
    "risks": "Risicofactoren",
    "scale": "Schaal",
    "review": "Overzicht",
}
RESULT_TITLE = "Advies"
DJG6_FIELDS = tuple(f"djg6_{n}" for n in range(1, 7))


@dataclass(frozen=True)
class Person:
    """The answers of one intake, by the ids the forms use."""

    age_group: str  # may be "" when the age is given
    problem_nature: str
    wants_contact: str  # "true" or "false"
    coping: str
    municipality: str = ""
    age: str = ""
    course: str = ""
    dimensions: tuple[str, ...] = ()
    risk_factors: tuple[str, ...] = ()
    crisis_signs: tuple[str, ...] = ()
    djg6: tuple[str, ...] = ()  # six answers: "ja", "min_of_meer", "nee"

    def pairs(self) -> list[tuple[str, str]]:
        pairs = [("crisis_signs", c) for c in self.crisis_signs]
        pairs += [
            ("age", self.age),
            ("age_group", self.age_group),
            ("municipality", self.municipality),
            ("problem_nature", self.problem_nature),
            ("wants_contact", self.wants_contact),
            ("coping", self.coping),
            ("course", self.course),
        ]
        pairs += [("dimensions", d) for d in self.dimensions]
        pairs += [("risk_factors", r) for r in self.risk_factors]
        pairs += list(zip(DJG6_FIELDS, self.djg6, strict=False))
        return [(k, v) for k, v in pairs if v]

    def query(self) -> str:
        return urlencode(self.pairs())

    def result_url(self) -> str:
        return f"/advies?{self.query()}"


OLDER_STRUCTURAL = Person(
    age_group="older",
    age="81",  # 75+: older_age, so Gent's offers for older people fit (DOMAIN.md §6)
    municipality="Gent",
    problem_nature="structural",
    wants_contact="false",
    coping="passive",
    course="chronic",
)
YOUTH_IN_CRISIS = Person(
    age_group="youth",
    problem_nature="situational",
    wants_contact="true",
    coping="active",
    crisis_signs=("suicidal_thoughts",),
)
# Emotional items: "ja" counts; social items (4-6): "nee" counts → 2 + 2 = 4 of 6.
ADULT_CAREGIVER = Person(
    age_group="adults",
    municipality="Antwerpen",
    problem_nature="situational",
    wants_contact="true",
    coping="active",
    risk_factors=("caregiver",),
    djg6=("ja", "ja", "nee", "nee", "nee", "ja"),
)


def expect_step(page: Page, step: str) -> None:
    """The user sees the step: its heading, the step counter and its address."""
    expect(page.locator("#step-title")).to_have_text(STEP_TITLES[step])
    n = STEPS.index(step) + 1
    expect(page.locator(".progress-label")).to_have_text(f"Stap {n} van {len(STEPS)}")
    if _has_htmx(page):
        # With JavaScript the address names the step and never carries answers, also when
        # the page was opened from a shared link (app.js takes them out of the address).
        expect(page).to_have_url(re.compile(rf"/intake/{step}(#[\w-]*)?$"))
    else:
        # Without, it is the address of the posted form, or of the link the test opened.
        expect(page).to_have_url(re.compile(r"/intake/[a-z]+(\?|#|$)"))


def expect_private_url(page: Page) -> None:
    """The address carries no answers: no query string at all on an intake or result page."""
    expect(page).to_have_url(re.compile(r"/(intake/[a-z]+|advies)(#[\w-]*)?$"))


def _has_htmx(page: Page) -> bool:
    try:
        return bool(page.evaluate("() => !!window.htmx"))
    except Exception:  # JavaScript disabled for this context
        return False


def posted_fields(form: Locator) -> dict[str, list[str]]:
    """What a form posts from its hidden fields: the answers it carries."""
    fields: dict[str, list[str]] = {}
    for field in form.locator("input[type=hidden]").all():
        name, value = field.get_attribute("name"), field.get_attribute("value")
        if name:
            fields.setdefault(name, []).append(value or "")
    return fields


def step_answers(page: Page) -> dict[str, list[str]]:
    """The answers the step's form will post: hidden fields and what is filled in."""
    fields = posted_fields(page.locator("#step-form"))
    for field in page.locator("#step-form input:not([type=hidden])").all():
        name, kind = field.get_attribute("name"), field.get_attribute("type")
        if not name:
            continue
        if kind in ("radio", "checkbox"):
            if field.is_checked():
                fields.setdefault(name, []).append(field.get_attribute("value") or "")
        elif value := field.input_value():
            fields.setdefault(name, []).append(value)
    return fields


def page_title(step: str) -> str:
    return f"{STEP_TITLES[step]} – Intake – Eenzaamheidswijzer"


def expect_result(page: Page) -> None:
    expect(page.locator("h1")).to_have_text(RESULT_TITLE)
    if _has_htmx(page):  # app.js also takes the answers out of a shared link's address
        expect_private_url(page)
    expect(page.locator("ol#elements > li").first).to_be_visible()


# --- mouse ---------------------------------------------------------------------------


def click_next(page: Page, expected_step: str) -> None:
    page.get_by_role("button", name="Volgende", exact=True).click()
    expect_step(page, expected_step)


def fill_context(page: Page, person: Person) -> None:
    """Crisis signs first (the banner appears at once with htmx), then age and place."""
    for sign in person.crisis_signs:
        page.locator(f"#crisis_signs-{sign}").check()
    if person.age:
        page.get_by_label("Leeftijd in jaren (optioneel)").fill(person.age)
    if person.age_group:
        page.locator(f"#age_group-{person.age_group}").check()
    if person.municipality:
        page.get_by_label("Gemeente (optioneel)").fill(person.municipality)


def fill_questions(page: Page, person: Person) -> None:
    page.locator(f"#problem_nature-{person.problem_nature}").check()
    page.locator(f"#wants_contact-{person.wants_contact}").check()
    page.locator(f"#coping-{person.coping}").check()


def walk_with_mouse(page: Page, person: Person) -> None:
    """From the home page through all seven steps to the advice, clicking."""
    page.goto("/")
    page.get_by_role("link", name="Start een intake").click()
    expect_step(page, "context")
    fill_context(page, person)
    click_next(page, "questions")
    fill_questions(page, person)
    click_next(page, "course")
    if person.course:
        page.locator(f"#course-{person.course}").check()
    click_next(page, "dimensions")
    for dimension in person.dimensions:
        page.locator(f"#dimensions-{dimension}").check()
    click_next(page, "risks")
    for risk in person.risk_factors:
        page.locator(f"#risk_factors-{risk}").check()
    click_next(page, "scale")
    for field, answer in zip(DJG6_FIELDS, person.djg6, strict=False):
        page.locator(f"#{field}-{answer}").check()
    click_next(page, "review")
    page.get_by_role("button", name="Toon het advies").click()
    expect_result(page)


# --- keyboard ------------------------------------------------------------------------


def focused_matches(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            return
    raise AssertionError(f"pressing Tab {limit} times never reached {selector}")


def choose_radio(page: Page, name: str, value: str) -> None:
    """Tab into the radio group, arrow to the option, press Space."""
    tab_to(page, f"input[type=radio][name={name}]")
    target = f"#{name}-{value}"
    for _ in range(10):
        if focused_matches(page, target):
            break
        page.keyboard.press("ArrowDown")
    else:
        raise AssertionError(f"the arrow keys never reached {target}")
    page.keyboard.press("Space")
    expect(page.locator(target)).to_be_checked()


def tick_checkbox(page: Page, element_id: str) -> None:
    tab_to(page, f"#{element_id}")
    page.keyboard.press("Space")
    expect(page.locator(f"#{element_id}")).to_be_checked()


def press_next(page: Page, expected_step: str) -> None:
    """Tab to "Volgende", press Enter; focus must land on the new step's heading."""
    tab_to(page, "#step-form button[name=go][value=next]")
    page.keyboard.press("Enter")
    expect_step(page, expected_step)
    expect(page.locator("#step-title")).to_be_focused()


def walk_with_keyboard(page: Page, person: Person) -> None:
    """The whole intake with Tab, the arrow keys, Space and Enter only."""
    page.goto("/")
    tab_to(page, "main a[href='/intake/context']")
    page.keyboard.press("Enter")
    expect_step(page, "context")
    expect(page.locator("#step-title")).to_be_focused()
    for sign in person.crisis_signs:
        tick_checkbox(page, f"crisis_signs-{sign}")
    if person.age:
        tab_to(page, "#f-age")
        page.keyboard.type(person.age)
    if person.age_group:
        choose_radio(page, "age_group", person.age_group)
    if person.municipality:
        tab_to(page, "#f-municipality")
        page.keyboard.type(person.municipality)
    press_next(page, "questions")
    choose_radio(page, "problem_nature", person.problem_nature)
    choose_radio(page, "wants_contact", person.wants_contact)
    choose_radio(page, "coping", person.coping)
    press_next(page, "course")
    if person.course:
        choose_radio(page, "course", person.course)
    press_next(page, "dimensions")
    for dimension in person.dimensions:
        tick_checkbox(page, f"dimensions-{dimension}")
    press_next(page, "risks")
    for risk in person.risk_factors:
        tick_checkbox(page, f"risk_factors-{risk}")
    press_next(page, "scale")
    for field, answer in zip(DJG6_FIELDS, person.djg6, strict=False):
        choose_radio(page, field, answer)
    press_next(page, "review")
    tab_to(page, "#step-form button[type=submit]:not([name])")
    expect(page.locator(":focus")).to_have_text("Toon het advies")
    page.keyboard.press("Enter")
    expect_result(page)
    expect(page.locator("#step-title")).to_be_focused()
