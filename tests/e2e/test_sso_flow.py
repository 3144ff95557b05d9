"""A vendor's staff member signs in through the company's identity provider in a real browser:
the "Sign in with …" button on the vendor page, the provider's own sign-in form (a real OpenID Connect
provider on loopback), and back on Barnraise as verified staff."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from forum.actions import sso as sso_actions
from tests.oidc_server import PASSWORD, IdentityProvider

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def idp():
    provider = IdentityProvider()
    provider.start()
    yield provider
    provider.stop()


def test_staff_sign_in_through_the_company_provider(new_page, vendor, vendor_admin, idp, live_server, settings):
    settings.VENDOR_SSO_ALLOW_LOOPBACK = True
    client_id, secret = f"e2e-{secrets.token_hex(4)}", secrets.token_urlsafe(20)
    sso_actions.configure_sso(admin=vendor_admin, vendor=vendor, issuer=idp.issuer, client_id=client_id, secret=secret)
    idp.add_client(
        client_id=client_id,
        client_secret=secret,
        redirect_uri=f"{live_server.url}/accounts/oidc/vendor-{vendor.pk}/login/callback/",
    )
    idp.add_user("lena", "lena@northwind.example")

    page = new_page()
    page.goto("/v/northwind/")
    with page.expect_navigation(url=f"{idp.issuer}/login/**"):
        page.get_by_role("button", name="Sign in with Northwind Devices").click()
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/**"):
        page.get_by_role("button", name="Sign in").click()

    page.goto("/v/northwind/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("#vendor-staff + ul")).to_contain_text("lena")
    expect(page.get_by_role("button", name="Sign in with Northwind Devices")).to_have_count(0)
