"""Accounts do not reveal who is registered; login is rate limited."""

import re

import pytest
from django.conf import settings
from django.core import mail

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _normalise(text: str) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r"\s+", " ", text)


def test_password_reset_same_page_for_known_and_unknown(client, customer):
    known = client.post("/accounts/password/reset/", {"email": customer.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@mail.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    done_known = client.get(known["Location"])
    done_unknown = client.get(unknown["Location"])
    assert _normalise(done_known.text) == _normalise(done_unknown.text)


def test_login_failure_message_does_not_say_which_part_is_wrong(client, customer):
    wrong_password = client.post("/accounts/login/", {"login": customer.username, "password": "nope-nope-nope"})
    no_such_user = client.post("/accounts/login/", {"login": "ghost-user", "password": "nope-nope-nope"})
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert "not correct" in wrong_password.text or "incorrect" in wrong_password.text.lower()

    def errors(response):
        return re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', response.text, re.S)

    assert errors(wrong_password) == errors(no_such_user)


def test_login_works(client, customer):
    response = client.post("/accounts/login/", {"login": customer.username, "password": PASSWORD})
    assert response.status_code == 302


def test_signup_with_existing_email_does_not_reveal_it(client, customer):
    mail.outbox.clear()
    taken = client.post(
        "/accounts/signup/",
        {"email": customer.email, "username": "newbie1", "password1": "Xy7-long-pass!", "password2": "Xy7-long-pass!"},
    )
    fresh = client.post(
        "/accounts/signup/",
        {
            "email": "fresh@mail.example",
            "username": "newbie2",
            "password1": "Xy7-long-pass!",
            "password2": "Xy7-long-pass!",
        },
    )
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]


def test_login_rate_limits_configured():
    limits = settings.ACCOUNT_RATE_LIMITS
    assert limits is not False
    assert limits.get("login_failed")
    assert limits.get("login")


@pytest.fixture(autouse=True)
def clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()  # rate-limit counters must not leak into other tests


def test_repeated_failed_logins_are_rate_limited(client, customer, clean_cache):
    texts = [
        client.post("/accounts/login/", {"login": customer.username, "password": f"wrong-{i}"}).text for i in range(6)
    ]
    assert "Too many failed login attempts" not in texts[0]
    assert "Too many failed login attempts" in texts[-1]
    # Even the right password is refused while the limit holds.
    response = client.post("/accounts/login/", {"login": customer.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session
