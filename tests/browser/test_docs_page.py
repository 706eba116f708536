"""The API documentation renders in Chromium with no request to another host."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_swagger_ui_renders_offline(page: Page) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Eenzaamheidswijzer")
    expect(page.get_by_text("/api/v1/advice").first).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
