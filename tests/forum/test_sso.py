"""Vendor single sign-on against a real OpenID Connect provider on loopback (docs/vendors.md).

The provider is tests/oidc_idp (django-oidc-provider) in its own process; Barnraise runs as
pytest-django's live server; an httpx client follows every redirect of the authorization code
flow, and Barnraise exchanges the code with the provider itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.utils import timezone

from forum import access
from forum.actions import sso as sso_actions
from forum.actions import vendors as vendor_actions
from forum.models import Membership, User, Vendor, VendorSSO
from tests.oidc_server import IdentityProvider, sign_in


@pytest.fixture(scope="session")
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def sso_vendor(vendor, vendor_admin, idp, live_server, settings) -> Vendor:
    """Northwind with its identity provider set up by its admin, and the client registered at the provider."""
    settings.VENDOR_SSO_ALLOW_LOOPBACK = True
    client_id = f"barnraise-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(24)
    sso_actions.configure_sso(admin=vendor_admin, vendor=vendor, issuer=idp.issuer, client_id=client_id, secret=secret)
    idp.add_client(
        client_id=client_id,
        client_secret=secret,
        redirect_uri=f"{live_server.url}/accounts/oidc/vendor-{vendor.pk}/login/callback/",
    )
    return vendor


@pytest.fixture
def browser_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def provider_id(vendor: Vendor) -> str:
    return f"vendor-{vendor.pk}"


def person(username: str) -> str:
    return f"{username}-{secrets.token_hex(3)}"


def signed_in_staff(idp: IdentityProvider, client: httpx.Client, site: str, vendor: Vendor, username: str) -> User:
    """A new employee at the provider signs in through it: the Barnraise user it made (verified staff)."""
    name = person(username)
    idp.add_user(name, f"{name}@northwind.example")
    sign_in(client, site, provider_id(vendor), name)
    user = User.objects.get(email=f"{name}@northwind.example")
    assert access.is_vendor_staff(user, vendor)
    client.cookies.clear()  # a fresh browser for what follows
    user.idp_name = name
    return user


def test_sign_in_through_the_vendor_idp_makes_a_new_person_verified_staff(
    sso_vendor, idp, live_server, browser_client, transactional_db
):
    name = person("lena")
    idp.add_user(name, f"{name}@northwind.example")

    page = sign_in(browser_client, live_server.url, provider_id(sso_vendor), name)

    assert page.status_code == 200, page.text[:500]
    user = User.objects.get(emailaddress__email=f"{name}@northwind.example")
    membership = Membership.objects.get(user=user, vendor=sso_vendor)
    assert membership.is_verified
    assert membership.via == Membership.Via.SSO
    assert membership.granted_email == f"{name}@northwind.example"
    assert membership.social_account.provider == provider_id(sso_vendor)
    assert user.emailaddress_set.get().verified
    vendor_page = browser_client.get(f"{live_server.url}/v/northwind/")
    assert user.name in vendor_page.text.split("Verified staff", 1)[1]  # signed in, and listed as staff


def test_an_existing_account_at_the_vendor_domain_signs_in_and_gets_the_badge(
    sso_vendor, idp, live_server, browser_client, transactional_db
):
    from tests.conftest import make_user

    VendorSSO.objects.filter(vendor=sso_vendor).update(required=True)  # so the address alone grants nothing
    name = person("omar")
    user = make_user(name, email=f"{name}@northwind.example")
    vendor_actions.verify_staff_by_email(user=user, email=user.email)
    assert not access.is_vendor_staff(user, sso_vendor)
    idp.add_user(name, user.email)

    sign_in(browser_client, live_server.url, provider_id(sso_vendor), name)

    assert User.objects.filter(email__iexact=user.email).count() == 1  # the same account, not a new one
    assert access.is_vendor_staff(user, sso_vendor)
    assert Membership.objects.get(user=user, vendor=sso_vendor).via == Membership.Via.SSO


@pytest.mark.parametrize(
    ("email", "verified", "says"),
    [
        ("{name}@bluewave.example", True, "is not at a domain Northwind Devices has proven"),  # vendor B's domain
        ("{name}@gmail.example", True, "is not at a domain Northwind Devices has proven"),
        ("{name}@northwind.example", False, "is not verified"),
    ],
    ids=["other-vendors-domain", "unproven-domain", "email-not-verified"],
)
def test_the_idp_grants_nothing_it_cannot_vouch_for(
    sso_vendor, other_vendor, idp, live_server, browser_client, transactional_db, email, verified, says
):
    name = person("eve")
    idp.add_user(name, email.format(name=name), email_verified=verified)

    page = sign_in(browser_client, live_server.url, provider_id(sso_vendor), name)

    assert page.status_code == 403
    assert says in page.text
    assert not User.objects.filter(username__startswith="eve").exists()  # no account made either
    assert not Membership.objects.filter(vendor=other_vendor).exists()
    assert not SocialAccount.objects.exists()
    account_page = browser_client.get(f"{live_server.url}/accounts/email/")
    assert account_page.status_code == 302  # not signed in: sent to the sign-in page
    assert "/accounts/login/" in account_page.headers["location"]


def test_when_the_idp_stops_vouching_the_next_sign_in_is_refused_and_the_badge_goes(
    sso_vendor, idp, live_server, browser_client, transactional_db
):
    user = signed_in_staff(idp, browser_client, live_server.url, sso_vendor, "ravi")
    name = user.idp_name

    idp.add_user(name, f"{name}@northwind.example", email_verified=False)  # IT marks the address unverified
    page = sign_in(browser_client, live_server.url, provider_id(sso_vendor), name)

    assert page.status_code == 403
    membership = Membership.objects.get(user=user, vendor=sso_vendor)
    assert membership.status == Membership.Status.LAPSED
    assert not access.is_vendor_staff(user, sso_vendor)


def test_someone_removed_at_the_idp_loses_the_badge_within_the_max_age(
    sso_vendor, idp, live_server, browser_client, transactional_db, settings
):
    user = signed_in_staff(idp, browser_client, live_server.url, sso_vendor, "ines")
    name = user.idp_name
    idp.remove_user(name)

    refused = sign_in(browser_client, live_server.url, provider_id(sso_vendor), name)
    assert "Wrong username or password" in refused.text  # the provider no longer knows them
    now = timezone.now()
    assert sso_actions.lapse_stale_sso_staff(now=now) == 0  # still within VENDOR_SSO_MAX_AGE
    assert access.is_vendor_staff(user, sso_vendor)

    later = now + timedelta(seconds=settings.VENDOR_SSO_MAX_AGE + 1)
    assert sso_actions.lapse_stale_sso_staff(now=later) == 1

    assert not access.is_vendor_staff(user, sso_vendor)
    assert Membership.objects.get(user=user, vendor=sso_vendor).status == Membership.Status.LAPSED


def test_an_admins_removal_sticks_even_when_the_idp_still_vouches(
    sso_vendor, vendor_admin, idp, live_server, browser_client, transactional_db
):
    user = signed_in_staff(idp, browser_client, live_server.url, sso_vendor, "theo")
    membership = Membership.objects.get(user=user, vendor=sso_vendor)

    vendor_actions.revoke_membership(admin=vendor_admin, membership=membership)
    assert not access.is_vendor_staff(user, sso_vendor)  # at once
    sign_in(browser_client, live_server.url, provider_id(sso_vendor), user.idp_name)

    assert not access.is_vendor_staff(user, sso_vendor)
    assert Membership.objects.get(user=user, vendor=sso_vendor).status == Membership.Status.REVOKED


def test_sso_required_stops_the_email_domain_from_granting_the_badge(sso_vendor, vendor_admin, staff, idp, db):
    from tests.conftest import make_user

    assert access.is_vendor_staff(staff, sso_vendor)  # staff by a verified address at northwind.example
    current = VendorSSO.objects.select_related("app").get(vendor=sso_vendor)

    sso_actions.configure_sso(
        admin=vendor_admin, vendor=sso_vendor, issuer=idp.issuer, client_id=current.app.client_id, required=True
    )

    assert not access.is_vendor_staff(staff, sso_vendor)  # password sign-in with that address is not enough now
    assert access.is_vendor_admin(vendor_admin, sso_vendor)  # the admins stay, to mend a broken provider
    newcomer = make_user("newcomer", email="newcomer@northwind.example")
    assert vendor_actions.verify_staff_by_email(user=newcomer, email=newcomer.email) is None
    assert not access.is_vendor_staff(newcomer, sso_vendor)


# ---- The settings page ----


def _sso_page(handle: str = "northwind") -> str:
    return f"/v/{handle}/sso/"


def test_only_the_vendors_own_admins_open_the_sso_settings(vendor, staff, other_staff, db):
    from tests.conftest import client_for, make_user

    superuser = make_user("root", is_superuser=True, is_staff=True)
    for user in (staff, other_staff, superuser):
        assert client_for(user).get(_sso_page()).status_code == 403
    assert client_for(None).get(_sso_page()).status_code == 302  # to sign in


def test_an_admin_sets_up_sso_and_the_secret_is_never_shown_back(vendor, vendor_admin, idp, settings, db):
    from tests.conftest import client_for

    settings.VENDOR_SSO_ALLOW_LOOPBACK = True
    client = client_for(vendor_admin)
    page = client.get(_sso_page())
    assert f"/accounts/oidc/vendor-{vendor.pk}/login/callback/" in page.text  # what to register at the provider

    response = client.post(
        _sso_page(),
        {"issuer": idp.issuer + "/.well-known/openid-configuration", "client_id": "nw", "secret": "s3cret-value"},
        follow=True,
    )

    assert "Saved Northwind Devices" in response.text
    assert "s3cret-value" not in response.text
    app = VendorSSO.objects.get(vendor=vendor).app
    assert (app.settings["server_url"], app.client_id, app.secret) == (idp.issuer, "nw", "s3cret-value")
    # Saving again with the secret left empty keeps it.
    client.post(_sso_page(), {"issuer": idp.issuer, "client_id": "nw", "secret": "", "required": "on"})
    app.refresh_from_db()
    assert app.secret == "s3cret-value"
    assert VendorSSO.objects.get(vendor=vendor).required


@pytest.mark.parametrize(
    ("issuer", "says"),
    [
        ("not a url", "is not an issuer URL"),
        ("ftp://login.example", "is not an issuer URL"),
        ("http://10.1.2.3", "cannot be used"),  # a private address: the server would be asking inside
        ("http://127.0.0.1:{dead}", "did not answer"),  # nothing listens there: the provider is down
        ("{idp}/elsewhere", "did not answer"),  # no discovery document there
        ("x" * 5000, "the limit is 300"),
    ],
    ids=["garbage", "ftp", "private", "down", "no-discovery", "huge"],
)
def test_a_bad_or_unreachable_issuer_gets_a_message_and_saves_nothing(
    vendor, vendor_admin, idp, settings, db, issuer, says
):
    from tests.conftest import client_for
    from tests.services import free_port

    settings.VENDOR_SSO_ALLOW_LOOPBACK = True
    issuer = issuer.format(dead=free_port(), idp=idp.issuer)
    response = client_for(vendor_admin).post(_sso_page(), {"issuer": issuer, "client_id": "nw", "secret": "s"})

    assert response.status_code == 400
    assert says in response.text
    assert not VendorSSO.objects.exists()
    assert not SocialApp.objects.exists()


def test_a_new_issuer_unlinks_the_old_providers_accounts_and_ends_their_staff_status(
    sso_vendor, vendor_admin, idp, live_server, browser_client, transactional_db
):
    user = signed_in_staff(idp, browser_client, live_server.url, sso_vendor, "ana")
    current = VendorSSO.objects.select_related("app").get(vendor=sso_vendor)

    sso_actions.configure_sso(admin=vendor_admin, vendor=sso_vendor, issuer=idp.issuer, client_id="another-client")

    # The same subject id at another client or issuer may be someone else: nothing carries over.
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not access.is_vendor_staff(user, sso_vendor)
    assert VendorSSO.objects.get(vendor=sso_vendor).app.secret == current.app.secret


def test_a_provider_that_is_down_at_sign_in_gets_a_message_not_an_error(sso_vendor, db):
    from django.test import Client

    from tests.services import free_port

    app = VendorSSO.objects.get(vendor=sso_vendor).app
    app.settings = {**app.settings, "server_url": f"http://127.0.0.1:{free_port()}"}  # it went away
    app.save(update_fields=["settings"])

    response = Client().post(f"/accounts/oidc/{provider_id(sso_vendor)}/login/", {"process": "login"})

    assert response.status_code in (400, 403, 503)
    assert "Northwind Devices" in response.text


def test_a_signed_in_member_links_the_idp_and_gets_the_badge_on_the_same_account(
    sso_vendor, idp, live_server, browser_client, transactional_db
):
    from tests.conftest import PASSWORD, make_user
    from tests.oidc_server import csrf_from

    user = make_user("pia", email="pia@mail.example")  # a personal address; the work one is at the provider
    idp.add_user("pia-work", "pia@northwind.example")
    login_page = browser_client.get(f"{live_server.url}/accounts/login/")
    browser_client.post(
        f"{live_server.url}/accounts/login/",
        data={"csrfmiddlewaretoken": csrf_from(login_page.text), "login": "pia", "password": PASSWORD},
    )

    sign_in(browser_client, live_server.url, provider_id(sso_vendor), "pia-work", process="connect")

    assert access.is_vendor_staff(user, sso_vendor)
    assert SocialAccount.objects.get(user=user).provider == provider_id(sso_vendor)
    assert Membership.objects.get(user=user, vendor=sso_vendor).granted_email == "pia@northwind.example"


def test_site_admins_see_a_vendors_provider_but_never_its_secret(sso_vendor, db):
    from tests.conftest import client_for, make_user

    superuser = make_user("root", is_superuser=True, is_staff=True)
    app = VendorSSO.objects.get(vendor=sso_vendor).app

    page = client_for(superuser).get(f"/admin/socialaccount/socialapp/{app.pk}/change/")

    assert page.status_code == 200
    assert app.client_id in page.text
    assert app.secret not in page.text


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("client_id", "a" * 300, "the limit is 191"),
        ("client_id", "two words", "cannot contain spaces"),
        ("client_id", "", "Give the client id"),
        ("secret", "", "Give the client secret"),
        ("secret", "s" * 5000, "the limit is 191"),
    ],
)
def test_bad_client_credentials_get_a_message_and_save_nothing(
    vendor, vendor_admin, idp, settings, db, field, value, says
):
    from tests.conftest import client_for

    settings.VENDOR_SSO_ALLOW_LOOPBACK = True
    data = {"issuer": idp.issuer, "client_id": "nw", "secret": "s", field: value}
    response = client_for(vendor_admin).post(_sso_page(), data)

    assert response.status_code == 400
    assert says in response.text
    assert not SocialApp.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_staff_status_the_idp_stopped_renewing_closes_the_open_inbox_socket(sso_vendor, vendor_admin, settings):
    """The lapse goes the way of every removal: open sockets re-check at once (docs/security.md)."""
    import json

    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from tests.conftest import make_user

    def grant() -> User:
        user = make_user("kai", email="kai@northwind.example")
        account = SocialAccount.objects.create(user=user, provider=provider_id(sso_vendor), uid="kai-sub")
        sso_actions.grant_staff_by_sso(user=user, vendor=sso_vendor, email=user.email, social_account=account)
        return user

    user = await database_sync_to_async(grant)()
    ws = WebsocketCommunicator(application, "/ws/v/northwind/inbox/", headers=[(b"origin", b"http://127.0.0.1:8000")])
    ws.scope["user"] = user
    assert (await ws.connect())[0]
    assert json.loads(await ws.receive_from(timeout=3)) == {"type": "hello"}

    later = timezone.now() + timedelta(seconds=settings.VENDOR_SSO_MAX_AGE + 1)
    assert await database_sync_to_async(sso_actions.lapse_stale_sso_staff)(now=later) == 1

    assert await ws.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


def test_opening_the_sign_in_address_asks_before_leaving_for_the_provider(sso_vendor, db):
    from django.test import Client

    page = Client().get(f"/accounts/oidc/{provider_id(sso_vendor)}/login/")  # a link, not the button

    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in page.text  # allauth's own "Continue" page, which posts
    assert "Northwind Devices" in page.text
