"""Behind a reverse proxy, limits count per real client; nobody can forge an address past them."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from forum.proxies import client_address

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
LOGIN_FAILURES_PER_IP = 10  # ACCOUNT_RATE_LIMITS["login_failed"]: "10/m/ip,5/5m/key"


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def fail_logins(client: Client, times: int, **headers) -> str:
    """Failed logins against different accounts (so only the per-address limit applies); the last page."""
    text = ""
    for n in range(times):
        text = client.post("/accounts/login/", {"login": f"nobody{n}", "password": "wrong-password"}, **headers).text
    return text


def test_behind_a_trusted_proxy_one_attacker_cannot_lock_everyone_out(settings, customer):
    settings.TRUSTED_PROXIES = [PROXY]
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    fail_logins(Client(), LOGIN_FAILURES_PER_IP, **attacker)
    refused = fail_logins(Client(), 1, **attacker)
    assert "Too many failed login attempts" in refused

    jeff = Client()
    response = jeff.post(
        "/accounts/login/",
        {"login": "jeff", "password": "correct-horse-battery"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 302
    assert "_auth_user_id" in jeff.session


def test_a_direct_client_cannot_escape_the_login_limit_by_forging_x_forwarded_for(settings, customer):
    settings.TRUSTED_PROXIES = [PROXY]
    client = Client()
    for n in range(LOGIN_FAILURES_PER_IP):
        client.post(
            "/accounts/login/",
            {"login": f"nobody{n}", "password": "wrong-password"},
            REMOTE_ADDR="198.51.100.9",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"login": "jeff", "password": "correct-horse-battery"},
        REMOTE_ADDR="198.51.100.9",
        HTTP_X_FORWARDED_FOR="203.0.113.200",
    )
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_the_apis_anonymous_limit_counts_each_client_behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.API_RATE_LIMIT = (2, 60)
    client = Client()
    for _ in range(2):
        assert client.get("/api/tags", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 200
    assert client.get("/api/tags", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 429
    assert client.get("/api/tags", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200


def test_with_no_trusted_proxy_the_peer_is_the_client():
    assert address("198.51.100.9", "203.0.113.1") == "198.51.100.9"


def test_the_right_most_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    # The client wrote the left-most entry itself; the proxies appended the rest.
    assert address("10.0.0.5", "1.1.1.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    assert address("2001:db8::5", "2001:db8:ffff::1, 2a00::77") == "2a00::77"
    assert address("198.51.100.9", "203.0.113.7") == "198.51.100.9"  # not through the proxy
    assert address("::ffff:10.0.0.5", "203.0.113.7") == "203.0.113.7"  # a dual-stack socket's IPv4 peer
    assert address("10.0.0.5") == "10.0.0.5"  # the proxy's own request (a health check)
    assert address("10.0.0.5", "not-an-address, 10.0.0.9") == "10.0.0.9"


def test_a_proxy_count_trusts_that_many_hops(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert address("10.0.0.5", "1.1.1.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]  # both: a hop must be within the count and listed
    assert address("10.0.0.5", "1.1.1.1, 203.0.113.7, 198.51.100.1") == "198.51.100.1"
