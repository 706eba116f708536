"""Page weight: every wizard step and the result page, first visit with an empty cache,
must stay under 60 KB transferred (GZip-compressed), with no request to another host."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Request, expect

from tests.browser.wizard import ADULT_CAREGIVER, OLDER_STRUCTURAL, STEPS, YOUTH_IN_CRISIS

BUDGET = 60 * 1024
ALLOWED_HOST = "127.0.0.1"

PAGES: dict[str, str] = {
    "home": "/",
    **{
        f"step {n} {step}": f"/intake/{step}?{OLDER_STRUCTURAL.query()}"
        for n, step in enumerate(STEPS, start=1)
    },
    "result (structural)": OLDER_STRUCTURAL.result_url(),
    "result (crisis)": YOUTH_IN_CRISIS.result_url(),
    "result (scale, caregiver)": ADULT_CAREGIVER.result_url(),
}


@pytest.mark.parametrize(("name", "url"), list(PAGES.items()), ids=list(PAGES))
def test_first_load_is_light_and_local(
    new_context: Callable[..., BrowserContext], page_weights: dict[str, int], name: str, url: str
) -> None:
    page = new_context().new_page()  # a fresh context: nothing cached
    requests: list[Request] = []

    def remember(request: Request) -> None:
        requests.append(request)

    finished: list[str] = []
    page.on("request", remember)
    page.on("requestfinished", lambda request: finished.append(request.url))
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    expect(page.locator("h1")).to_be_visible()
    # The one request after `load` is the icon the page names: waiting for it, instead of
    # for "networkidle" (500 ms without a request), saves half a second a page.
    icon = page.locator("link[rel=icon]").first.get_attribute("href")
    while icon is not None and not any(address.endswith(icon) for address in finished):
        page.wait_for_event("requestfinished")

    foreign = [r.url for r in requests if urlsplit(r.url).hostname != ALLOWED_HOST]
    assert not foreign, f"{name}: requests to other hosts: {foreign}"

    rows: list[tuple[int, str, str]] = []
    for request in requests:
        r = request.response()
        assert r is not None, f"{name}: no response for {request.url}"
        r.finished()
        sizes = request.sizes()
        transferred = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        body = r.body()
        if len(body) >= 1024 and r.headers.get("content-type", "").startswith(("text/", "app")):
            assert r.headers.get("content-encoding") == "gzip", f"not compressed: {request.url}"
        rows.append((transferred, request.resource_type, urlsplit(request.url).path))
    total = sum(size for size, _kind, _path in rows)
    page_weights[name] = total

    detail = "\n".join(f"  {size:7d} B  {kind:10s} {path}" for size, kind, path in rows)
    print(f"\n{name}: {total} B ({total / 1024:.1f} KB) in {len(rows)} requests\n{detail}")
    assert total < BUDGET, f"{name} weighs {total} B, over the {BUDGET} B budget:\n{detail}"
