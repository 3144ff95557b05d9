"""Shared fixtures: people in every role, a vendor, threads, and helpers."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.test import Client

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.models import Membership, Thread, User, Vendor

PASSWORD = "correct-horse-battery"


def session_key(user: User) -> str:
    """A real session of ``user`` (as after logging in), as the session cookie's value."""
    from django.conf import settings

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(context, url: str, user: User) -> None:
    """Give a browser context ``user``'s session on the server at ``url`` (a daphne the test started:
    its process checks passwords with the deployed hasher, so its login form would refuse the fixtures')."""
    from django.conf import settings

    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_key(user), "url": url}])


# The fixture vendors joined long ago, so tests may backdate escalations into their figures.
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
_HASH: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a request in German or Spanish leaves its language
    active in the thread (LocaleMiddleware activates, nothing deactivates), and code called outside
    a request, such as the business-hours sentence, would then speak it."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Tests post fast: no per-user limits and a clean cache, unless a test sets RATE_LIMITS itself."""
    from django.core.cache import cache

    cache.clear()
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {}}


def make_user(username: str, *, verified_email: bool = True, **extra) -> User:
    if "hash" not in _HASH:
        _HASH["hash"] = make_password(PASSWORD, hasher="md5")
    email = extra.pop("email", f"{username}@mail.example")
    user = User.objects.create(username=username, email=email, password=_HASH["hash"], **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified_email, primary=True)
    return user


def age(*users: User | None, days: int = 30) -> None:
    """Make accounts older than the new-account thresholds (fixtures' people join today)."""
    from datetime import timedelta

    from django.utils import timezone

    ids = [u.pk for u in users if u is not None]
    User.objects.filter(pk__in=ids).update(date_joined=timezone.now() - timedelta(days=days))
    for user in users:
        if user is not None:
            user.refresh_from_db(fields=["date_joined"])


@pytest.fixture
def customer(db) -> User:
    return make_user("jeff", display_name="Jeff Morrow")


@pytest.fixture
def other_customer(db) -> User:
    return make_user("mei", display_name="Mei Chen")


@pytest.fixture
def expert(db) -> User:
    return make_user("dana", display_name="Dana Whitfield", reputation=500)


@pytest.fixture
def moderator(db) -> User:
    return make_user("morgan", is_moderator=True)


@pytest.fixture
def vendor(db) -> Vendor:
    return vendor_actions.create_vendor(
        name="Northwind Devices", handle="northwind", domains=["northwind.example"], joined_at=LONG_AGO
    )


@pytest.fixture
def other_vendor(db) -> Vendor:
    return vendor_actions.create_vendor(
        name="Bluewave Wireless", handle="bluewave", domains=["bluewave.example"], joined_at=LONG_AGO
    )


def make_staff(username: str, vendor: Vendor, role: str = Membership.Role.STAFF) -> User:
    user = make_user(username, email=f"{username}@{vendor.domains.first().domain}")
    vendor_actions.verify_staff_by_email(user=user, email=user.email)
    Membership.objects.filter(user=user, vendor=vendor).update(role=role)
    return user


@pytest.fixture
def staff(vendor) -> User:
    return make_staff("keith", vendor)


@pytest.fixture
def vendor_admin(vendor) -> User:
    return make_staff("nadia", vendor, role=Membership.Role.ADMIN)


@pytest.fixture
def other_staff(other_vendor) -> User:
    return make_staff("marco", other_vendor)


@pytest.fixture
def thread(customer) -> Thread:
    return thread_actions.create_thread(
        author=customer,
        title="Tablet drops wifi after sleep",
        body="Since the update my tablet loses **wifi** after sleep.",
        tags="wifi tablet",
    )


@pytest.fixture
def reply(thread, expert):
    return post_actions.reply(author=expert, thread=thread, body="Turn off MAC randomisation.")


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


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


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser), one per test module.

    Module scope: Playwright's sync API keeps an event loop running in the test
    thread while it is open, which must not leak into the async tests.
    """
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            raise RuntimeError(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # The ORM refuses calls from a thread with a running loop; Playwright runs one here. Test-only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
