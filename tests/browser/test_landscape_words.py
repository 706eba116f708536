"""The landscape's gaps and crosstab in plain words, in a real browser at desktop and
phone widths: two labelled groups of gaps, the crosstab sentence first and the statistics
folded. Set SHOTS_DIR to keep screenshots of both sections."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

URL = "/landschap?row=elements:meeting&col=age_groups:older&lang=nl"


@pytest.mark.parametrize("width", [1280, 390, 360])
def test_gaps_and_crosstab_words(new_context: Callable[..., BrowserContext], width: int) -> None:
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(URL)
    missing, unknown = page.locator("#gaps-missing"), page.locator("#gaps-unknown")
    expect(missing.get_by_role("heading", name="Wat ontbreekt")).to_be_visible()
    expect(unknown.get_by_role("heading", name="Wat we niet weten")).to_be_visible()
    expect(missing.locator(".gap-action").first).to_contain_text("Wat u kunt doen:")
    expect(unknown).to_contain_text("geen gekend effectniveau")

    summary = page.locator("#crosstab-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("komt bij initiatieven voor ouderen (60+)")
    expect(page.locator("table.crosstab")).to_be_visible()
    details = page.locator("#crosstab-details")
    expect(details.locator("dl.glossary")).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator("dl.glossary")).to_be_visible()
    expect(details).to_contain_text("χ²")

    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"wider than the screen at {width} px"

    shots = os.environ.get("SHOTS_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.locator("#gaps").screenshot(path=f"{shots}/gaps-{width}.png")
        page.locator("#crosstab").screenshot(path=f"{shots}/crosstab-{width}.png")
