"""A curator imports a CSV by clicking, in Chromium: a file with an error gets a preview that
names the row and column and offers no import; the fixed file is previewed, confirmed and
imported. axe checks the pages; at 390 px nothing scrolls sideways."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LOCALE, TIMEOUT_MS
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_curator_login import (
    EMAIL,
    PASSWORD,
    curator_server,  # noqa: F401  (fixture)
    fits_the_width,
)
from tests.serving import Server

HEADER = "naam,gemeente,website,werkzame elementen\n"
BAD = HEADER + "Buurtkoor Oost,Gent,https://koor.example.be,Mindfulness;vliegen\n"
GOOD = HEADER + "Buurtkoor Oost,Gent,https://koor.example.be,Mindfulness\n"
# Screenshots for a person to look at, when asked: SCREENSHOTS=/some/folder
SHOTS = os.environ.get("SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def check(page: Page, name: str) -> None:
    assert_accessible(page)
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    assert fits_the_width(page), page.url
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_curator_previews_a_bad_file_then_imports_the_fixed_one(
    browser: Browser,
    curator_server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale=LOCALE, base_url=curator_server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/beheer/import")
        page.get_by_label("E-mailadres").fill(EMAIL)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Initiatieven importeren")
        check(page, "import-form")

        bad = tmp_path / "aanbod.csv"
        bad.write_text(BAD, encoding="utf-8")
        page.get_by_label("Bestand").set_input_files(bad)
        page.get_by_role("button", name="Toon wat er zou veranderen").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Voorbeeld van de import")
        expect(page.get_by_role("alert")).to_contain_text("1 fout")
        row = page.locator("table.import-errors tbody tr").first
        expect(row).to_contain_text("2")
        expect(row).to_contain_text("werkzame elementen")
        expect(row).to_contain_text("‘vliegen’ is geen gekende waarde")
        expect(page.get_by_role("button", name="Importeer")).to_have_count(0)
        check(page, "import-preview-error")

        page.get_by_role("link", name="Een ander bestand opladen").click()
        good = tmp_path / "aanbod-verbeterd.csv"
        good.write_text(GOOD, encoding="utf-8")
        page.get_by_label("Bestand").set_input_files(good)
        page.get_by_role("button", name="Toon wat er zou veranderen").click()
        expect(page.locator(".import-counts")).to_contain_text("Nieuw")
        expect(page.get_by_text("Buurtkoor Oost · Gent")).to_be_visible()
        check(page, "import-preview")

        page.get_by_role("button", name="Importeer").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import voltooid")
        expect(page.get_by_role("status")).to_contain_text("aanbod-verbeterd.csv is geïmporteerd")
        check(page, "import-done")

        # A change is shown field by field, before and after.
        page.goto("/beheer/import")
        changed = tmp_path / "aanbod-gewijzigd.csv"
        changed.write_text(GOOD.replace("koor.example.be", "buurtkoor-oost.example.be"))
        page.get_by_label("Bestand").set_input_files(changed)
        page.get_by_role("button", name="Toon wat er zou veranderen").click()
        diff = page.locator(".import-group table.changes tbody tr").first
        expect(diff).to_contain_text("https://koor.example.be")
        expect(diff).to_contain_text("https://buurtkoor-oost.example.be")
        check(page, "import-preview-changed")

        page.goto("/beheer/export")
        expect(page.get_by_role("heading", level=1)).to_have_text("Catalogus exporteren")
        check(page, "export")
        page.goto("/aanbod?q=Buurtkoor+Oost")
        expect(page.locator("main")).to_contain_text("Buurtkoor Oost")
    finally:
        context.close()
