"""Issue 11's "Done when", walked by clicking in one Chromium session: an organisation
registers an initiative (after a mistake that keeps the draft); a curator logs in (after a
wrong password), exports the catalogue, previews a CSV with an error, then imports one with
a new and a changed row, approves the registration (claim first), edits a record and sees
the diff and the audit entry, confirms a stale record, and archives and restores one; the
public page, the advice and the landscape use the new data at once. axe checks every page
on the way, and the pages that hold tables also at 390 px."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LOCALE, TIMEOUT_MS
from tests.browser.test_accessibility import assert_accessible
from tests.browser.wizard import Person, walk_with_mouse
from tests.serving import Server, serving_with_curator

EMAIL = "redactie@gemeente.be"
PASSWORD = "een lang wachtwoord voor de redactie"
SECRET = "browser-test-secret-key-journey"
REGISTERED = "Soepbar De Ketel"
IMPORTED = "Praatcafé Heverlee"
CHANGED = "Telefoonster"
NEW_PHONE = "016 55 44 33"
# Someone in Leuven, 60+, recently lonely, who wants new contacts: the offers for
# meeting people in Leuven are the registered and the imported initiative.
LEUVEN = Person(
    age_group="older",
    municipality="Leuven",
    problem_nature="situational",
    wants_contact="true",
    coping="active",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server on its own database (the shipped catalogue), with one curator."""
    workdir: Path = tmp_path_factory.mktemp("journey-server")
    curator = (EMAIL, PASSWORD, SECRET, "Rik Redactie")
    with serving_with_curator(workdir, *curator) as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale=LOCALE, base_url=server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def on_a_phone_too(page: Page) -> None:
    """At 390 px nothing scrolls sideways; then back to the desktop."""
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert wide, f"{page.url} scrolls sideways at 390 px"


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def files_from_the_export(page: Page, folder: Path) -> tuple[Path, Path]:
    """The curator's spreadsheet work, done here in Python: the exported catalogue with one
    phone number changed and one new (stale) row; and a copy with an unknown element."""
    link = page.get_by_role("link", name="Actieve initiatieven (CSV)")
    export = page.request.get(str(link.get_attribute("href")))
    assert export.ok
    rows = list(csv.DictReader(io.StringIO(export.text())))
    (changed,) = [r for r in rows if r["name"] == CHANGED]
    changed["phone"] = NEW_PHONE
    rows.append(
        {
            **{column: "" for column in rows[0]},
            "name": IMPORTED,
            "description": "Elke dinsdag een praatcafé in het dienstencentrum.",
            "municipality": "Leuven",
            "geographic_level": "local",
            "elements": "meeting;social_activities",
            "age_groups": "older",
            "last_verified": "2024-01-15",
        }
    )

    def write(name: str, data: list[dict[str, str]]) -> Path:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(data)
        path = folder / name
        path.write_text(out.getvalue(), encoding="utf-8")
        return path

    bad = write("aanbod-fout.csv", [{**rows[-1], "elements": "meeting;vliegen"}])
    return bad, write("aanbod.csv", rows)


def test_register_import_approve_edit_verify_and_the_advice_uses_it(
    page: Page, tmp_path: Path
) -> None:
    # --- an organisation registers, after a mistake that keeps the draft --------------
    page.goto("/aanbod")
    page.get_by_role("link", name="Meld een initiatief aan").click()
    heading(page, "Een initiatief aanmelden")
    assert_accessible(page)
    page.get_by_label("Naam van het initiatief").fill(REGISTERED)
    page.get_by_label("Website").fill("ketel punt be")
    page.get_by_label("In welke gemeente?").fill("Leuven")
    page.get_by_label("Ouderen (60+)").check()
    page.get_by_label("Ontmoeten / sociaal contact").check()
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.locator("#e-website")).to_contain_text("geen webadres")
    expect(page.get_by_label("Naam van het initiatief")).to_have_value(REGISTERED)
    expect(page.get_by_label("Ontmoeten / sociaal contact")).to_be_checked()
    assert_accessible(page)
    page.get_by_label("Website").fill("https://ketel.example.be")
    page.get_by_role("button", name="Aanmelding versturen").click()
    heading(page, "Aanmelding ontvangen")
    reference = page.locator("#reference").inner_text()
    assert_accessible(page)

    # --- a curator logs in, after a wrong password -------------------------------------
    page.goto("/beheer")
    heading(page, "Aanmelden voor beheer")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill("niet het wachtwoord")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("horen niet bij elkaar")
    assert_accessible(page)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    heading(page, "Beheer van de catalogus")
    assert_accessible(page)

    # --- exports, previews a file with an error, then imports the good one -------------
    nav = page.get_by_role("navigation", name="Beheer")
    nav.get_by_role("link", name="Import en export").click()
    heading(page, "Initiatieven importeren")
    assert_accessible(page)
    page.get_by_role("link", name="Naar de export van de catalogus").click()
    heading(page, "Catalogus exporteren")
    assert_accessible(page)
    bad, good = files_from_the_export(page, tmp_path)
    page.get_by_role("link", name="Naar de import").click()
    page.get_by_label("Bestand").set_input_files(bad)
    page.get_by_role("button", name="Toon wat er zou veranderen").click()
    heading(page, "Voorbeeld van de import")
    expect(page.get_by_role("alert")).to_contain_text("1 fout")
    error = page.locator("table.import-errors tbody tr").first
    expect(error).to_contain_text("elements")
    expect(error).to_contain_text("‘vliegen’ is geen gekende waarde")
    expect(page.get_by_role("button", name="Importeer")).to_have_count(0)
    assert_accessible(page)
    on_a_phone_too(page)
    page.get_by_role("link", name="Een ander bestand opladen").click()
    page.get_by_label("Bestand").set_input_files(good)
    page.get_by_role("button", name="Toon wat er zou veranderen").click()
    expect(page.get_by_text(f"{IMPORTED} · Leuven")).to_be_visible()
    change = page.locator(".import-group table.changes tbody tr").first
    expect(change).to_contain_text(NEW_PHONE)
    assert_accessible(page)
    on_a_phone_too(page)
    page.get_by_role("button", name="Importeer").click()
    heading(page, "Import voltooid")
    expect(page.get_by_role("status")).to_contain_text("aanbod.csv is geïmporteerd")
    assert_accessible(page)

    # --- approves the registration, after claiming it ----------------------------------
    nav.get_by_role("link", name="Overzicht").click()
    page.get_by_role("link", name=re.compile("1 aanmelding wacht op nazicht")).click()
    expect(page.get_by_text(reference)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=REGISTERED).click()
    page.get_by_role("button", name="Ik neem deze aanmelding op mij").click()
    expect(page.locator("#claim")).to_contain_text("uzelf")
    assert_accessible(page)
    on_a_phone_too(page)
    page.get_by_role("button", name="Goedkeuren en publiceren").click()
    expect(page.locator("#status")).to_have_text("goedgekeurd")

    # --- edits a record: the diff, then the audit entry ---------------------------------
    nav.get_by_role("link", name="Initiatieven").click()
    page.get_by_label("Naam of gemeente").fill(REGISTERED)
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name=REGISTERED).click()
    heading(page, REGISTERED)
    assert_accessible(page)
    page.get_by_role("link", name="Bewerken", exact=True).click()
    heading(page, f"{REGISTERED} bewerken")
    assert_accessible(page)
    page.get_by_label("Telefoonnummer").fill("016 12 34 56")
    page.get_by_role("checkbox", name="Mindfulness").check()
    page.get_by_role("button", name="Wijzigingen bekijken").click()
    heading(page, "Wijzigingen nakijken")
    diff = page.locator("#diff")
    expect(diff.get_by_role("row", name="Telefoon")).to_contain_text("016 12 34 56")
    expect(diff.get_by_role("row", name="Werkzame elementen")).to_contain_text("erbij: Mindfulness")
    assert_accessible(page)
    page.get_by_role("button", name="Opslaan", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("De wijzigingen zijn opgeslagen.")
    page.get_by_role("link", name="Alle wijzigingen in het logboek").click()
    entry = page.locator(".audit-list > li").first
    expect(entry).to_contain_text("Gewijzigd")
    expect(entry).to_contain_text("Rik Redactie")
    expect(entry.get_by_role("row", name="Telefoon")).to_contain_text("016 12 34 56")
    assert_accessible(page)

    # --- confirms the stale imported record; the public page stops flagging it ---------
    nav.get_by_role("link", name="Na te kijken").click()
    heading(page, "Na te kijken initiatieven")
    assert_accessible(page)
    page.get_by_role("link", name=IMPORTED).click()
    expect(page.locator("#verified")).to_contain_text("15 januari 2024 · niet recent nagekeken")
    record = page.url
    public = record.replace("/beheer/aanbod/", "/aanbod/")
    page.goto(public)
    expect(page.locator("#freshness")).to_contain_text("Niet recent nagekeken.")
    assert_accessible(page)
    page.goto(record)
    page.get_by_role("button", name="Nagekeken").click()
    expect(page.get_by_role("status")).to_have_text(
        "Het initiatief is nagekeken: vandaag bevestigd."
    )
    expect(page.locator("#verified")).not_to_contain_text("niet recent")
    page.goto(public)
    expect(page.locator("#freshness.stale")).to_have_count(0)

    # --- the advice and the landscape use the new data at once --------------------------
    walk_with_mouse(page, LEUVEN)
    imported_id = public.rsplit("/", 1)[1]
    expect(page.locator(f'main a[href="/aanbod/{imported_id}"]').first).to_have_text(IMPORTED)
    # The registered one may sit in a folded section ("Ook mogelijk"): present, not shown.
    expect(page.locator("main a", has_text=REGISTERED)).to_have_count(1)
    assert_accessible(page)
    page.goto("/landschap?municipality=Leuven")
    expect(page.locator("main")).to_contain_text("In Leuven zelf: 2")
    expect(page.locator("main")).to_contain_text(IMPORTED)
    expect(page.locator("main")).to_contain_text(REGISTERED)

    # --- archives a record with a reason (it leaves the catalogue), restores it, logs out
    page.goto(record)
    page.get_by_label("Reden van archiveren").fill("Het praatcafé stopt.")
    page.get_by_role("button", name="Archiveren").click()
    expect(page.get_by_role("status")).to_contain_text("Het initiatief is gearchiveerd")
    expect(page.locator("#archive-reason")).to_have_text("Het praatcafé stopt.")
    gone = page.request.get(public)
    assert gone.status == 410 and "Niet meer in het aanbod" in gone.text()
    page.get_by_role("button", name="Terugzetten").click()
    expect(page.get_by_role("status")).to_have_text("Het initiatief staat weer in het aanbod.")
    assert page.request.get(public).ok
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("status")).to_have_text("U bent afgemeld.")
