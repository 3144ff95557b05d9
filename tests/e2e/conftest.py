"""End-to-end fixtures: Debian's chromium driven through Playwright's sync API.

The browser is launched once per session; every test gets fresh contexts
(separate cookie jars, so separate people) that record console messages so
tests can assert that no page broke the Content Security Policy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

# Playwright's sync API runs an asyncio loop in the test thread; Django refuses ORM
# calls from a thread with a running loop unless told otherwise. Test-only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            raise RuntimeError(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Console:
    """Console messages (and page errors) seen by every page of a context."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda msg: self.messages.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "content security policy" in m.lower()]


@pytest.fixture
def new_page(browser, live_server, transactional_db) -> Iterator[Callable[..., object]]:
    """Factory: a page in a fresh browser context (a different person), console recorded.

    At teardown, asserts that no page in any context reported a CSP violation.
    """
    contexts = []
    consoles: list[Console] = []

    def make(viewport: dict[str, int] | None = None):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        console = Console()
        contexts.append(context)
        consoles.append(console)
        page = context.new_page()
        console.attach(page)
        page.console = console
        return page

    yield make
    for context in contexts:
        context.close()
    violations = [v for c in consoles for v in c.csp_violations()]
    assert not violations, f"CSP violations: {violations}"


@pytest.fixture
def page(new_page):
    return new_page()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Fill allauth's login form and submit; wait until we are back on the site, logged in."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form:has(input[name=login]) button[type=submit]").click()
    assert page.get_by_role("button", name="Log out").is_visible(), page.content()[:2000]
