"""A policy maker in the browser: filter on a municipality, read the gaps, open the
meeting × 60+ crosstab, download a chart."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect


def test_filter_crosstab_and_download(page: Page) -> None:
    page.goto("/landschap")
    page.locator("#f-municipality").fill("Gent")
    page.get_by_role("button", name="Toon", exact=True).click()
    expect(page).to_have_url(re.compile(r"municipality=Gent"))
    expect(page.locator(".summary")).to_contain_text("5 van 19 initiatieven")
    expect(page.locator("#gaps")).to_be_visible()
    expect(page.locator("table.matrix")).to_contain_text("Telefoonster")

    page.locator("#f-row").select_option("elements:meeting")
    page.locator("#f-col").select_option("age_groups:older")
    page.get_by_role("button", name="Bereken").click()
    expect(page.locator("table.crosstab")).to_be_visible()
    expect(page.locator("#crosstab")).to_contain_text("χ²")

    with page.expect_download() as info:
        page.locator("#facet-elements").get_by_role("link", name="SVG").click()
    download = info.value
    assert download.suggested_filename == "landschap-elements.svg"
    assert "<svg" in Path(download.path()).read_text(encoding="utf-8")
