"""A class vote end to end: the trainer starts a round from a persona page on a projector
(1280 px), three phones (390 px) join by typing the code and tick three elements, the
trainer's screen counts them without a reload, and the reveal sets the advice beside the
class's choices. axe checks the trainer's screen, the join page and the voting page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from app.training.personas import load_personas
from tests.browser.test_accessibility import assert_accessible

PERSONA = load_personas()[0]
PROJECTOR = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CHOICES = [
    ["meeting", "befriending", "practical_support"],
    ["meeting", "befriending", "leisure"],
    ["meeting", "psychoeducation", "leisure"],
]


def test_a_class_votes_and_the_trainer_reveals_the_advice(
    new_context: Callable[..., BrowserContext],
) -> None:
    trainer = new_context(viewport=PROJECTOR).new_page()
    trainer.goto(f"/training/persona/{PERSONA.id}")
    trainer.get_by_role("button", name="Stemronde starten").click()
    trainer.wait_for_url("**/training/stemmen/*/beheer")
    code = trainer.locator("#round-code").inner_text().strip()
    assert len(code) == 5
    expect(trainer.locator("#participants")).to_have_text("0 deelnemers hebben gestemd")
    expect(trainer.locator(".qr-code svg title")).to_have_text(
        f"QR-code naar {trainer.url.split('/training')[0]}/stem/{code}"
    )
    assert_accessible(trainer)

    phones = []
    for n, elements in enumerate(CHOICES):
        phone = new_context(viewport=PHONE).new_page()
        phones.append(phone)
        phone.goto("/stem")
        if n == 0:
            assert_accessible(phone)
        # Typed as people do: lower case, with a space.
        phone.get_by_label("Code van de stemronde").fill(f"{code[:2].lower()} {code[2:].lower()}")
        phone.get_by_role("button", name="Meedoen").click()
        phone.wait_for_url(f"**/stem/{code}")
        expect(phone.locator("h1")).to_contain_text(PERSONA.name)
        for element in elements:
            phone.locator(f"label[for='el-{element}']").click()
        expect(phone.locator(".chosen-count")).to_have_text("3 van 3 gekozen")
        # The button and the count stay in sight at the foot of the long list.
        expect(phone.get_by_role("button", name="Stem versturen")).to_be_in_viewport()
        expect(phone.locator(".chosen-tally")).to_have_text("3 van 3 gekozen")
        if n == 0:
            assert_accessible(phone)
        phone.get_by_role("button", name="Stem versturen").click()
        expect(phone.get_by_role("status")).to_contain_text("Uw stem is geteld.")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The trainer's screen polls: no reload needed to see the three votes.
    expect(trainer.locator("#participants")).to_have_text(
        "3 deelnemers hebben gestemd", timeout=8000
    )
    meeting = trainer.locator(".bar-row", has_text="Ontmoeten / sociaal contact")
    expect(meeting.locator(".bar-count")).to_have_text("3")

    trainer.get_by_role("button", name="Advies tonen").click()
    expect(
        trainer.get_by_role("heading", name="Het advies naast de keuzes van de klas")
    ).to_be_visible()
    expect(trainer.get_by_role("heading", name="Het plan van het advies")).to_be_visible()
    expect(trainer.get_by_role("button", name="Advies tonen")).to_have_count(0)
    assert trainer.locator("[hx-trigger]").count() == 0
    assert_accessible(trainer)
    # A phone that voted reloads itself once the advice is shown.
    expect(
        phones[0].get_by_role("heading", name="Het advies naast de keuzes van de klas")
    ).to_be_visible(timeout=8000)
