"""A local government with its own survey: download the template, fill it in Dutch, upload
it by clicking the file field, and use the filters and crosstab on its own rows; read the
codebook. At 1280 and 390 px, and nothing wider than a 360 px screen."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import keep_screenshot

OWN_ROWS = [
    {
        "Naam": "Babbelbox Westerlo",
        "Gemeente": "Westerlo",
        "Leeftijdsgroepen": "Jongeren; jongvolwassenen",
        "Werkzame elementen": "Sociale steun verhogen",
        "Geografisch niveau": "lokaal",
    },
    {
        "Naam": "Huisbezoek aan ouderen",
        "Gemeente": "Westerlo",
        "Leeftijdsgroepen": "ouderen",
        "Werkzame elementen": "ontmoeten / sociaal contact; Praktisch ondersteunen",
        "Effectladder": "Niveau 1",
    },
]


def _no_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url}: {width} px wide on a {inner} px screen"


def _fill_template(template: str) -> str:
    """The downloaded template with two rows of a municipality's own added (as Excel with
    Belgian settings saves it: semicolons, a byte order mark, CRLF)."""
    rows = list(csv.reader(io.StringIO(template, newline=""), delimiter=";"))
    header = rows[0]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[row.get(h, "") for h in header] for row in OWN_ROWS])
    return out.getvalue()


def _own_bytes() -> bytes:
    header = list(dict.fromkeys(k for row in OWN_ROWS for k in row))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows([[row.get(h, "") for h in header] for row in OWN_ROWS])
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("width", [1280, 390])
def test_template_upload_and_analysis(
    new_context: Callable[..., BrowserContext], width: int, tmp_path: Path
) -> None:
    page = new_context(viewport={"width": width, "height": 900}, accept_downloads=True).new_page()
    page.goto("/landschap")
    with page.expect_download() as info:
        page.locator("#template-link").click()
    download = info.value
    assert download.suggested_filename == "eenzaamheidswijzer-sjabloon.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    template = raw.decode("utf-8-sig")
    assert template.startswith("Naam;Beschrijving;Doel;")

    filled = tmp_path / "westerlo.csv"
    filled.write_bytes(b"\xef\xbb\xbf" + _fill_template(template).encode("utf-8"))
    page.locator("#f-file").scroll_into_view_if_needed()
    with page.expect_file_chooser() as chooser:
        page.locator("#f-file").click()
    chooser.value.set_files(str(filled))
    page.get_by_role("button", name="Analyseer").click()

    status = page.get_by_role("status").filter(has_text="opgeladen bestand")
    expect(status).to_contain_text("westerlo.csv (2 initiatieven)")
    expect(page.locator(".summary")).to_contain_text("2 van 2 initiatieven")
    expect(page.locator("table.matrix")).to_contain_text("Huisbezoek aan ouderen")
    expect(page.locator("#gaps")).to_be_visible()
    keep_screenshot(page, "upload", f"analysis-{width}.png")

    # The filters work on the uploaded rows.
    page.locator("#f-age_groups").select_option("older")
    page.get_by_role("button", name="Toon", exact=True).click()
    expect(page.locator(".summary")).to_contain_text("1 van 2 initiatieven")
    expect(page.locator("table.matrix")).not_to_contain_text("Babbelbox")
    expect(page.locator("#f-age_groups")).to_have_value("older")

    # And so does the crosstab, on the filtered upload.
    page.locator("#f-row").select_option("elements:practical_support")
    page.locator("#f-col").select_option("age_groups:older")
    page.get_by_role("button", name="Bereken").click()
    expect(page.locator("#crosstab-summary")).to_be_visible()
    expect(page.locator("table.crosstab")).to_contain_text("1 (100,0%)")
    expect(page.locator(".summary")).to_contain_text("1 van 2 initiatieven")
    expect(page.locator("#crosstab")).to_be_visible()
    keep_screenshot(page.locator("#crosstab"), "upload", f"crosstab-{width}.png")
    _no_overflow(page)

    # The language switch posts the rows along: the same analysis, in English.
    page.locator(".lang-switch button").click()
    expect(page.locator(".summary")).to_contain_text("1 of 2 initiatives")
    expect(page.locator("#f-age_groups")).to_have_value("older")


@pytest.mark.parametrize("width", [1280, 390])
def test_codebook_from_the_upload_section(
    new_context: Callable[..., BrowserContext], width: int
) -> None:
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto("/landschap")
    page.locator("#codebook-link").click()
    expect(page.locator("h1")).to_have_text("Codeboek voor een eigen bevraging")
    expect(page.locator("#column-age_groups")).to_contain_text("Leeftijdsgroepen")
    expect(page.locator("#code-age_groups-older")).to_contain_text("Ouderen (60+)")
    keep_screenshot(page, "upload", f"codebook-{width}.png")
    from tests.browser.test_accessibility import assert_accessible

    assert_accessible(page)
    expect(page.locator("#codes-elements")).to_be_visible()
    keep_screenshot(page.locator("#codes-elements"), "upload", f"codebook-elements-{width}.png")
    _no_overflow(page)


def test_nothing_wider_than_a_small_phone_after_an_upload_error(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(viewport={"width": 360, "height": 800}).new_page()
    page.goto("/landschap")
    page.locator("#f-file").set_input_files(
        files=[
            {
                "name": "fout.csv",
                "mimeType": "text/csv",
                "buffer": b"Naam;Leeftijdsgroepen\nA;pubers\n",
            }
        ]
    )
    page.get_by_role("button", name="Analyseer").click()
    expect(page.locator("#upload-errors")).to_contain_text(
        "Rij 2, kolom ‘Leeftijdsgroepen’: ‘pubers’ is geen gekende waarde"
    )
    expect(page.locator("#upload")).to_be_visible()
    keep_screenshot(page.locator("#upload"), "upload", "error-360.png")
    _no_overflow(page)
    # The analysis of a good file is no wider either.
    page.locator("#f-file").set_input_files(
        files=[{"name": "goed.csv", "mimeType": "text/csv", "buffer": _own_bytes()}]
    )
    page.get_by_role("button", name="Analyseer").click()
    expect(page.locator(".summary")).to_contain_text("2 van 2 initiatieven")
    _no_overflow(page)
    page.goto("/landschap/codeboek")
    _no_overflow(page)
