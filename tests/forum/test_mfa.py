"""Two-factor sign-in: a real TOTP code signs in, a wrong one does not; admins set it up when required."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from forum.models import Membership
from tests.conftest import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    """The code an authenticator app shows now, computed with allauth's own TOTP helpers."""
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.fixture
def with_totp(vendor_admin):
    secret = generate_totp_secret()
    TOTP.activate(vendor_admin, secret)
    return vendor_admin, secret


def _password_step(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    return client


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_real_totp_code_signs_in(with_totp):
    user, secret = with_totp
    client = _password_step(user)
    assert not _signed_in(client), "the password alone does not sign in"
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response.status_code == 302
    assert _signed_in(client) and int(client.session["_auth_user_id"]) == user.pk


def test_a_wrong_code_is_refused(with_totp):
    user, secret = with_totp
    client = _password_step(user)
    wrong = f"{(int(_code(secret)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not _signed_in(client)


ADMIN_PAGES = ["/v/northwind/api/", "/admin/"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_admin_without_mfa_is_sent_to_set_it_up_when_required(settings, vendor_admin, path):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    if path == "/admin/":
        vendor_admin.is_superuser = vendor_admin.is_staff = True
        vendor_admin.save(update_fields=["is_superuser", "is_staff"])
    response = client_for(vendor_admin).get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))


def test_radar_keywords_and_membership_decisions_also_wait_for_mfa(settings, vendor, vendor_admin, customer):
    from forum.actions.vendors import request_membership
    from swarm.models import RadarKeyword

    settings.MFA_REQUIRED_FOR_ADMINS = True
    client = client_for(vendor_admin)
    response = client.post("/v/northwind/radar/", {"phrase": "slate"})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_activate_totp"))
    membership = request_membership(user=customer, vendor=vendor)
    response = client.post(f"/v/northwind/members/{membership.pk}/", {"decision": "approve"})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_activate_totp"))
    assert not RadarKeyword.objects.exists()
    assert Membership.objects.get(pk=membership.pk).status == Membership.Status.PENDING


def test_an_admin_with_totp_or_anyone_when_not_required_gets_in(settings, with_totp, staff):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    user, _ = with_totp
    assert client_for(user).get("/v/northwind/api/").status_code == 200
    assert client_for(staff).get("/v/northwind/inbox/").status_code == 200, "staff who are not admins are not asked"
    settings.MFA_REQUIRED_FOR_ADMINS = False
    other = make_user("root", is_superuser=True, is_staff=True)
    assert client_for(other).get("/admin/").status_code == 200


def test_admin_login_goes_through_the_sites_login_page():
    response = Client().get("/admin/login/?next=/admin/forum/thread/")
    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2Fforum%2Fthread%2F"
    response = Client().get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = Client().post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302 and response.url.startswith(reverse("account_login")), "no login form here"


def test_a_member_who_is_not_a_site_admin_is_refused_not_looped(customer):
    response = client_for(customer).get("/admin/login/?next=/admin/")
    assert response.status_code == 403


def test_an_admin_sets_up_totp_on_the_site_and_then_gets_in(settings, vendor_admin):
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    settings.MFA_REQUIRED_FOR_ADMINS = True
    client = Client()
    client.post(reverse("account_login"), {"login": vendor_admin.username, "password": PASSWORD})
    assert _signed_in(client), "a password signs in while no second factor is set up"
    activate = client.get("/v/northwind/api/").url
    confirm_password = client.get(activate)  # allauth asks for the password again before changing factors
    assert confirm_password.url.startswith(reverse("account_reauthenticate"))
    client.post(confirm_password.url, {"password": PASSWORD})
    setup = client.get(activate)
    assert setup.status_code == 200 and 'name="code"' in setup.content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert client.get("/v/northwind/api/").status_code == 200
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200, "recovery codes are offered"


def test_the_two_factor_page_offers_an_authenticator_app_and_security_keys(vendor_admin):
    page = client_for(vendor_admin).get(reverse("mfa_index"))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("mfa_activate_totp") in text and reverse("mfa_add_webauthn") in text
