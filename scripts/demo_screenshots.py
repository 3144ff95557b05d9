"""Take the README's screenshots from the demo data in headless Chromium, at desktop and phone width.

Usage: start the demo (``make run``), then ``.venv/bin/python scripts/demo_screenshots.py [base URL]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def thread_url(page, title: str) -> str:
    page.goto(f"{BASE}/search/?q={title}")
    return page.get_by_role("link", name=title).first.get_attribute("href")


def log_in(page, username: str) -> None:
    page.goto(f"{BASE}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "barnraise-demo")
    with page.expect_navigation():
        page.locator("form:has(input[name=login]) button[type=submit]").click()


def shoot(browser, name: str, path: str, *, user: str | None = None, phone: bool = False, full: bool = True) -> None:
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, device_scale_factor=1)
    page = context.new_page()
    if user:
        log_in(page, user)
    page.goto(BASE + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / name), full_page=full)
    context.close()


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        tablet = thread_url(page, "Slate 11 loses Wi-Fi after the 4.2 update")
        laptop = thread_url(page, "Aero 14 LTE model can't get mobile data on a Bluewave SIM")
        page.close()
        shoot(browser, "home.png", "/", full=False)
        shoot(browser, "home-phone.png", "/", phone=True, full=False)
        shoot(browser, "thread.png", tablet)
        shoot(browser, "thread-phone.png", tablet, phone=True)
        shoot(browser, "escalation-customer.png", laptop, user="mei")
        shoot(browser, "escalation-staff.png", laptop, user="aiko")
        shoot(browser, "escalation-phone.png", laptop, user="mei", phone=True)
        shoot(browser, "vendor-inbox.png", "/v/bluewave/inbox/", user="marco")
        shoot(browser, "vendor-inbox-phone.png", "/v/bluewave/inbox/", user="marco", phone=True)
        shoot(browser, "vendor-metrics.png", "/v/northwind/")
        browser.close()


if __name__ == "__main__":
    main()
