"""In a real browser: the API docs page under the strict CSP, and a vendor admin's keys and webhooks page."""

from __future__ import annotations

import pytest

from tests.conftest import make_staff
from tests.e2e.conftest import log_in
from tests.screenshots import save as shot


@pytest.fixture
def northwind_admin(transactional_db):
    from forum.actions import vendors as vendor_actions

    vendor = vendor_actions.create_vendor(name="Northwind Devices", handle="northwind", domains=["northwind.example"])
    return make_staff("nadia", vendor, role="admin")


def test_the_api_reference_lists_every_endpoint_on_a_phone_without_script_or_csp_violations(new_page, tmp_path):
    page = new_page(viewport={"width": 375, "height": 812})
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto("/api/docs")
    assert page.get_by_role("heading", name="Barnraise API").is_visible()
    toc = page.get_by_role("navigation", name="endpoints")
    assert toc.get_by_role("link", name="GET /api/threads/{thread_id}/events").is_visible()
    assert toc.get_by_role("link", name="POST /api/escalations/{escalation_id}/claim").count() == 1
    toc.get_by_role("link", name="GET /api/threads/{thread_id}/events").click()
    assert page.locator(":target").get_by_role("table", name="Parameters").is_visible()
    assert not any("swagger" in url for url in scripts)  # the reference costs no console script
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    shot(page, "api-docs-phone.png", tmp_path)
    # new_page's teardown fails the test on any CSP violation


def test_the_interactive_console_renders_swagger_from_this_site_without_csp_violations(page, tmp_path):
    page.goto("/api/docs")
    page.get_by_role("link", name="Try requests in the interactive console").click()
    page.get_by_text("/api/threads/{thread_id}/events").first.wait_for()
    assert page.get_by_text("Barnraise API").first.is_visible()
    shot(page, "api-docs.png", tmp_path)
    # new_page's teardown fails the test on any CSP violation


def test_a_vendor_admin_makes_a_key_and_a_webhook_and_sees_each_secret_once(page, northwind_admin, settings, tmp_path):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    log_in(page, "nadia")
    page.goto("/v/northwind/")
    page.get_by_role("link", name="API keys and webhooks").click()
    page.fill("#key-name", "Zendesk bridge")
    page.get_by_role("button", name="Create key").click()
    key = page.locator(".secret-value").inner_text()
    assert key.startswith("brk_")
    page.fill("#hook-url", "http://127.0.0.1:9/hooks/barnraise")
    page.get_by_role("button", name="Add webhook").click()
    secret = page.locator(".secret-value").inner_text()
    assert secret.startswith("whsec_")
    assert page.get_by_text("http://127.0.0.1:9/hooks/barnraise").is_visible()
    assert page.get_by_text(key[:10] + "…").is_visible()
    shot(page, "vendor-api.png", tmp_path)
    page.reload()
    assert page.locator(".secret-value").count() == 0
