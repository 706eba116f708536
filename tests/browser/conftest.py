"""Fixtures for the browser tests: the real server in a subprocess and one Chromium.

The server and the browser are started once for the browser tests; every test gets a fresh
browser context (empty cache, no cookies), so tests do not influence each other.
Chromium is Debian's (/usr/bin/chromium): Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Request,
    expect,
    sync_playwright,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 900}
LOCALE = "nl-BE"
SERVER_START_TIMEOUT = 30.0
TIMEOUT_MS = 10_000
# Assertions wait as long as actions do (Playwright's own default is 5 s): `make test` runs
# the tests on both CPUs of a small machine, beside the server and Chromium, and a page
# that is merely slow then must not count as wrong.
expect.set_options(timeout=TIMEOUT_MS)


_PAGE_WEIGHTS: dict[str, int] = {}
# Screenshots for a person to look at are kept only where SHOTS_DIR names a folder: nothing
# asserts on them, and a full-page one costs a few tenths of a second.
SHOTS_DIR = os.environ.get("SHOTS_DIR", "")


def keep_screenshot(target: Page | Locator, folder: str, name: str, **options: Any) -> None:
    """Save a screenshot of a page or an element as SHOTS_DIR/folder/name, if SHOTS_DIR is set."""
    if not SHOTS_DIR:
        return
    path = Path(SHOTS_DIR) / folder
    path.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(path / name), **options)


def chromium_available() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: end-to-end test in a real Chromium against the real server"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = None
    if not chromium_available() and not os.environ.get("CI"):
        skip = pytest.mark.skip(
            reason=f"browser tests need Chromium at {CHROMIUM} (run `make browser-deps`); "
            "skipped outside CI only, in CI a missing Chromium fails"
        )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the server exited with code {proc.returncode} before it was healthy:\n"
                + log_path.read_text(encoding="utf-8", errors="replace")
            )
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(
        f"the server did not answer /healthz within {SERVER_START_TIMEOUT:.0f}s:\n"
        + log_path.read_text(encoding="utf-8", errors="replace")
    )


# Package scope: both end with the last browser test. Playwright's sync API keeps an asyncio
# loop marked as running in the main thread while it is open, and the tests after this
# package that start a loop of their own (asyncio.run, anyio.run) would find it.
@pytest.fixture(scope="package")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real application (`python -m app serve`) on a free port."""
    workdir = tmp_path_factory.mktemp("browser-server")
    log_path = workdir / "server.log"
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'app.db'}"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, proc, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for all the browser tests."""
    if not chromium_available():
        message = f"Chromium is missing at {CHROMIUM}: run `make browser-deps`"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this fails instead of skipping)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Browser, server_url: str) -> Iterator[Callable[..., BrowserContext]]:
    """Factory of fresh browser contexts (empty cache), closed after the test.

    Every request of every page is watched: none may leave 127.0.0.1.
    """
    contexts: list[BrowserContext] = []
    foreign: list[str] = []

    def watch(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            foreign.append(request.url)

    def make(**options: Any) -> BrowserContext:
        settings: dict[str, Any] = {"viewport": VIEWPORT, "locale": LOCALE, "base_url": server_url}
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not foreign, f"the pages made requests to other hosts: {foreign}"


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh context: 1100×900, locale nl-BE, relative URLs go to the server."""
    return new_context().new_page()


@pytest.fixture
def nojs_page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page with JavaScript disabled: everything must work with full page loads."""
    return new_context(java_script_enabled=False).new_page()


@pytest.fixture(scope="session")
def page_weights() -> dict[str, int]:
    """Bytes transferred per page, filled by test_weight.py and printed at the end."""
    return _PAGE_WEIGHTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _PAGE_WEIGHTS:
        return
    terminalreporter.section("page weight, first load, empty cache (gzip)")
    for name, size in _PAGE_WEIGHTS.items():
        terminalreporter.write_line(f"{name:28s} {size:7d} B  {size / 1024:5.1f} KB")
