"""End-to-end fixtures: Debian's chromium driven through Playwright's sync API.

The browser is launched once per session; every test gets fresh contexts
(separate cookie jars, so separate people) that record console messages so
tests can assert that no page broke the Content Security Policy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import PASSWORD
from tests.conftest import sign_in as sign_in_context

TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _generous_waits(browser):
    from playwright.sync_api import expect

    # The suite may share a busy machine; passing checks return at once.
    expect.set_options(timeout=TIMEOUT_MS)


class Console:
    """Console messages (and page errors) seen by every page of a context."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda msg: self.messages.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "content security policy" in m.lower()]


def _wait_for_requests_in_flight(timeout: float = 10.0) -> None:
    """Let the live server finish what the closed pages had asked for.

    A page may still have a request in flight when its test ends (the read-marker beacon, a
    draft save, an image). Closing the browser does not stop the server thread handling it, and
    the test database is flushed next: on PostgreSQL that TRUNCATE and the request's transaction
    can deadlock, and the next test then finds the last one's rows.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [t for t in threading.enumerate() if t.name.endswith("(process_request_thread)") and t.is_alive()]
        if not busy:
            return
        time.sleep(0.02)


@pytest.fixture
def new_page(browser, live_server, transactional_db) -> Iterator[Callable[..., object]]:
    """Factory: a page in a fresh browser context (a different person), console recorded.

    ``server``: another server to browse instead of ``live_server`` (``asgi_server``);
    ``options`` go to the context (``locale="de-DE"`` for a German browser).

    At teardown, asserts that no page in any context reported a CSP violation.
    """
    contexts = []
    consoles: list[Console] = []

    def make(viewport: dict[str, int] | None = None, *, server=None, **options):
        context = browser.new_context(
            base_url=server.http if server else live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            **options,
        )
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
    _wait_for_requests_in_flight()
    violations = [v for c in consoles for v in c.csp_violations()]
    assert not violations, f"CSP violations: {violations}"


@pytest.fixture
def asgi_server(transactional_db):
    """daphne on the test database, as deployed: pages with their websocket, so a thread shows
    "Live" and who is here. ``live_server`` is Django's WSGI server, where the socket can only
    fail (its thread pages say "Reconnecting…"). Settings changed inside the test do not reach it."""
    from tests.swarm.conftest import start_daphne

    server = start_daphne()
    yield server
    server.kill()


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
    # The header's log-out button, in whatever language the page speaks.
    assert page.locator("form[action='/accounts/logout/'] button").is_visible(), page.content()[:2000]


def sign_in(page, server, username: str) -> None:
    """Give ``page``'s browser a session on ``server`` (``asgi_server``) for ``username``; the login
    form itself is tested on ``live_server`` (``log_in``)."""
    from forum.models import User

    sign_in_context(page.context, server.http, User.objects.get(username=username))
