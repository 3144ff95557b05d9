"""Take screenshots of the demo in headless Chromium, at desktop and phone width.

Usage: start the demo (``make run``), then

    .venv/bin/python scripts/demo_screenshots.py [--base URL]
        the pictures of docs/screenshots/ that come from the demo (the README's among them)
    .venv/bin/python scripts/demo_screenshots.py --review FOLDER [--base URL] [--only WORD]
        every main page, as each kind of person, on a desktop and a phone, light and dark,
        and in German and Spanish, into FOLDER, to be looked at before a change is merged

The ``--review`` set is not committed: it is for a person to open and judge (overflow, clipped
text, contrast, untranslated words, empty states).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TABLET = "Slate 11 loses Wi-Fi after the 4.2 update"
LAPTOP = "Aero 14 LTE model can't get mobile data on a Bluewave SIM"

# (name, path or a thread's title in braces, who is signed in)
PAGES = [
    ("home", "/", None),
    ("home-unanswered", "/?show=unanswered", None),
    ("home-signed-in", "/", "jeff"),
    ("thread", "{tablet}", None),
    ("thread-asker", "{tablet}", "jeff"),
    ("thread-expert", "{tablet}", "dana"),
    ("escalation-customer", "{laptop}", "mei"),
    ("escalation-staff", "{laptop}", "aiko"),
    ("escalation-other-vendor", "{laptop}", "priya"),
    ("ask", "/ask/", "jeff"),
    ("search", "/search/?q=wifi", None),
    ("search-empty", "/search/?q=zzzz", None),
    ("kb", "/kb/", None),
    ("tags", "/tags/", None),
    ("tag", "/tags/slate-11/", "dana"),
    ("leaders", "/leaders/", None),
    ("badges", "/badges/", None),
    ("profile", "/u/dana/", None),
    ("vendor-metrics", "/v/northwind/", None),
    ("vendor-bluewave", "/v/bluewave/", None),
    ("vendor-unclaimed", "/v/contoso/", None),
    ("vendor-inbox", "/v/bluewave/inbox/", "marco"),
    ("vendor-inbox-northwind", "/v/northwind/inbox/", "keith"),
    ("vendor-radar", "/v/fabrikam/inbox/?tab=radar", "sven"),
    ("vendor-teams", "/v/northwind/teams/", "keith"),
    ("notifications", "/notifications/", "jeff"),
    ("notifications-staff", "/notifications/", "priya"),
    ("account-settings", "/settings/", "jeff"),
    ("notification-settings", "/settings/notifications/", "dana"),
    ("account-delete", "/settings/delete/", "jeff"),
    ("mod-queue", "/mod/", "mod"),
    ("stats", "/stats/", None),
    ("api-docs", "/api/docs", None),
    ("login", "/accounts/login/", None),
    ("signup", "/accounts/signup/", None),
    ("email", "/accounts/email/", "jeff"),
]

CHARGING = "Slate 11 won't charge past 80%"


def suggest(page) -> None:
    """The ask page with a title typed: threads that may already answer it."""
    page.locator("#id_title").fill("Slate 11 wifi drops after the update")
    page.locator("#ask-suggest li").first.wait_for()


# The pictures in docs/screenshots that come from the demo: (file, path, who, phone, full page, then what).
DOCS = [
    ("home.png", "/", None, False, False, None),
    ("home-phone.png", "/", None, True, False, None),
    ("thread.png", "{tablet}", None, False, True, None),
    ("thread-phone.png", "{tablet}", None, True, True, None),
    ("escalation-customer.png", "{laptop}", "mei", False, True, None),
    ("escalation-staff.png", "{laptop}", "aiko", False, True, None),
    ("escalation-phone.png", "{laptop}", "mei", True, True, None),
    ("vendor-inbox.png", "/v/bluewave/inbox/", "marco", False, True, None),
    ("vendor-inbox-phone.png", "/v/bluewave/inbox/", "marco", True, True, None),
    ("vendor-metrics.png", "/v/northwind/", None, False, True, None),
    ("vendor-follow.png", "/v/northwind/", "jeff", False, False, None),
    ("ask.png", "/ask/", "jeff", False, True, None),
    ("ask-suggestions.png", "/ask/", "jeff", False, True, suggest),
    ("ask-suggestions-phone.png", "/ask/", "jeff", True, True, suggest),
    ("kb.png", "/kb/", None, False, True, None),
    ("stats.png", "/stats/", None, False, True, None),
    ("search-feed.png", "/search/?q=wifi", None, False, True, None),
    ("tag-follow.png", "/tags/wifi/", "dana", False, False, None),
    ("notification-settings.png", "/settings/notifications/", "dana", False, True, None),
    ("notification-settings-mobile.png", "/settings/notifications/", "dana", True, True, None),
    ("reputation-leaders.png", "/leaders/", None, False, True, None),
    ("reputation-badges.png", "/badges/", None, False, False, None),
    ("reputation-profile.png", "/u/dana/", None, False, True, None),
    ("reputation-thread.png", "{charging}", None, False, False, None),
    ("thread-canonical-verified.png", "{charging}", None, False, True, None),
]


def thread_url(page, base: str, title: str) -> str:
    page.goto(f"{base}/search/?q={title}")
    return page.get_by_role("link", name=title).first.get_attribute("href")


def context_for(browser, base: str, user: str | None, *, phone: bool, dark: bool = False, locale: str = "en-GB"):
    """A browser context, signed in as ``user`` (one login per context: sessions are per browser)."""
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=1,
        color_scheme="dark" if dark else "light",
        locale=locale,
    )
    if user:
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=login]", user)
        page.fill("input[name=password]", "barnraise-demo")
        with page.expect_navigation():
            page.locator("form:has(input[name=login]) button[type=submit]").click()
        page.close()
    return context


def shoot(context, url: str, path: Path, *, full: bool = True, then=None) -> None:
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if then:
        then(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full)
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--review", type=Path, help="a folder for the full review set")
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        threads = {
            "tablet": thread_url(page, base, TABLET),
            "laptop": thread_url(page, base, LAPTOP),
            "charging": thread_url(page, base, CHARGING),
        }
        page.close()
        if not args.review:
            for name, path, user, phone, full, then in DOCS:
                if args.only in name:
                    context = context_for(browser, base, user, phone=phone)
                    shoot(context, base + path.format(**threads), SHOTS / name, full=full, then=then)
                    context.close()
        else:
            args.review.mkdir(parents=True, exist_ok=True)
            variants = [
                ("", False, False, "en-GB"),
                ("-phone", True, False, "en-GB"),
                ("-dark", False, True, "en-GB"),
                ("-phone-dark", True, True, "en-GB"),
                ("-de", False, False, "de-DE"),
                ("-es-phone", True, False, "es-ES"),
            ]
            for user in sorted({u for _, _, u in PAGES}, key=str):
                for suffix, phone, dark, locale in variants:
                    context = context_for(browser, base, user, phone=phone, dark=dark, locale=locale)
                    for name, path, who in PAGES:
                        if who == user and args.only in name:
                            shoot(context, base + path.format(**threads), args.review / f"{name}{suffix}.png")
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()
