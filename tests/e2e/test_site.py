"""Scenarios 4-7: search, keyboard access, small screens and the Content Security Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.actions import posts as post_actions

from .conftest import Console, log_in

pytestmark = pytest.mark.e2e

LONG_LINE = "wlan0: authenticate with 00:11:22:33:44:55 (try 1/3) -- AUTH_FAILED_" + "X" * 80
LONG_REPLY = f"""Check the driver log, it is long:

```
{LONG_LINE}
```

See https://support.northwind.example/kb/articles/0000000000000000000000000000000000000000000000000000000000000001 and
Supercalifragilisticexpialidocious_network_identifier_without_any_spaces_at_all_1234567890.
"""


def test_header_search_finds_thread_with_highlighted_words(page, thread):
    page.goto("/")
    box = page.get_by_role("search").get_by_role("searchbox", name="Search threads")
    box.fill("wifi sleep")
    with page.expect_navigation():
        box.press("Enter")
    assert "/search/?q=wifi+sleep" in page.url, page.url
    expect(page.locator(".result-count")).to_contain_text("1 thread matches “wifi sleep”")
    hit = page.locator(".search-hit").filter(has=page.get_by_role("link", name=thread.title))
    expect(hit).to_have_count(1)
    marks = [m.lower() for m in hit.locator("mark").all_inner_texts()]
    assert "wifi" in marks and "sleep" in marks, marks
    # The query stays in the header box for refining.
    expect(page.locator("#site-search")).to_have_value("wifi sleep")
    with page.expect_navigation():
        hit.get_by_role("link", name=thread.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(thread.title)


def test_search_with_no_hits_says_so(page, thread):
    page.goto("/search/?q=printer")
    expect(page.locator(".result-count")).to_contain_text("No threads match “printer”")
    expect(page.locator(".search-hit")).to_have_count(0)


@pytest.mark.parametrize("path", ["/", "thread"])
def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(page, thread, path):
    page.goto(thread.get_absolute_url() if path == "thread" else path)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent.trim()]")
    assert focused == ["skip-link", "Skip to content"], focused
    expect(page.get_by_role("link", name="Skip to content")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert page.url.endswith("#main")
    # The next Tab continues inside the page content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


def test_no_horizontal_scroll_at_375px(new_page, thread, expert, customer):
    post_actions.reply(author=expert, thread=thread, body=LONG_REPLY)
    for logged_in in (False, True):
        page = new_page(viewport={"width": 375, "height": 812})
        if logged_in:
            log_in(page, "jeff")
        for path in ("/", thread.get_absolute_url()):
            page.goto(path)
            # The site's stylesheet is applied (else this test would prove nothing).
            assert page.evaluate(
                "() => [...document.styleSheets].some(s => s.href.endsWith('site.css') && s.cssRules.length > 0)"
            )
            widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert widths[0] <= 375, f"{path} (logged in: {logged_in}) scrolls sideways: {widths}"


def test_no_csp_violations_on_any_page(new_page, thread, expert, staff, vendor):
    post_actions.reply(author=expert, thread=thread, body="Turn off `MAC randomisation`.")
    post = thread.posts.get(is_question=True)
    anonymous = new_page()
    visitor_paths = [
        "/",
        thread.get_absolute_url(),
        "/search/?q=wifi",
        "/tags/",
        "/tags/wifi/",
        "/v/northwind/",
        "/u/dana/",
        "/accounts/login/",
        "/accounts/signup/",
    ]
    for path in visitor_paths:
        response = anonymous.goto(path)
        assert response.status == 200, (path, response.status)
        anonymous.wait_for_load_state("load")
    jeff = new_page()
    log_in(jeff, "jeff")
    for path in ["/ask/", f"/p/{post.pk}/edit/", thread.get_absolute_url()]:
        response = jeff.goto(path)
        assert response.status == 200, (path, response.status)
        jeff.wait_for_load_state("load")
    # The tag suggester's fetch runs under connect-src too.
    jeff.goto("/ask/")
    with jeff.expect_response(lambda r: "/tags/suggest/" in r.url):
        jeff.get_by_label("Tags").press_sequentially("wi")
    for page in (anonymous, jeff):
        assert not page.console.csp_violations(), page.console.messages
        # pytest-django's live server speaks WSGI only, so live updates cannot open their
        # WebSocket here; any other console error (a 404'd asset, a script error) counts.
        errors = [
            m for m in page.console.messages if m.startswith(("error", "pageerror")) and "websocket" not in m.lower()
        ]
        assert not errors, errors


def test_csp_violations_are_noticed(browser, live_server, transactional_db):
    """The canary: an inline script is refused, and the console collector sees it."""
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        console = Console()
        console.attach(page)
        page.goto("/")
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; "
            "document.body.appendChild(s); }"
        )
        page.wait_for_timeout(100)
        assert page.evaluate("() => window.x") is None
        assert console.csp_violations(), console.messages
    finally:
        context.close()
