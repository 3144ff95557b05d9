"""Vendor single sign-on through allauth's OpenID Connect provider (docs/vendors.md, "Single sign-on").

Each vendor's identity provider is one allauth ``SocialApp`` (provider ``openid_connect``,
provider_id ``vendor-<pk>``). allauth runs the protocol (state, nonce, PKCE, token and ID-token
checks); this module decides what a provider may vouch for:

- only an address the provider marks ``email_verified``,
- only at a domain that this provider's vendor has proven (never another vendor's),

and it keeps the server's own requests to providers on public addresses (``forum.netguard``).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from forum import netguard
from forum.models import Vendor, VendorDomain, VendorSSO

PROVIDER = "openid_connect"
PROVIDER_ID_PREFIX = "vendor-"
DISCOVERY_PATH = "/.well-known/openid-configuration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")

logger = logging.getLogger(__name__)


def provider_id_for(vendor: Vendor) -> str:
    """Stable while the handle may change: the provider's callback URL is registered at the IdP."""
    return f"{PROVIDER_ID_PREFIX}{vendor.pk}"


def vendor_sso_for(provider_id: str) -> VendorSSO | None:
    if not provider_id.startswith(PROVIDER_ID_PREFIX):
        return None
    return VendorSSO.objects.select_related("vendor", "app").filter(app__provider_id=provider_id).first()


class GuardedSession(requests.Session):
    """A requests session that only reaches vetted addresses and follows no redirect.

    The URLs come from what a vendor admin typed (the issuer) and from the provider's own
    discovery document, so each is checked like a webhook URL before it is asked.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # no proxy from the environment decides where bytes go

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            netguard.vet(str(url), allow_loopback=settings.VENDOR_SSO_ALLOW_LOOPBACK)
        except netguard.BlockedAddressError as error:
            # A RequestException, so allauth's callback shows its "sign-in failed" page, not a 500.
            raise requests.exceptions.InvalidURL(str(error)) from error
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", settings.VENDOR_SSO_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def fetch_discovery(issuer: str) -> dict:
    """The provider's discovery document, checked; a ValidationError that says what is wrong."""
    shown = issuer[:120]
    try:
        with GuardedSession() as session:
            response = session.get(discovery_url(issuer))
            response.raise_for_status()
            config = response.json()
    except requests.exceptions.InvalidURL as error:
        raise ValidationError(
            _("The identity provider at %(url)s cannot be used: %(reason)s") % {"url": shown, "reason": error},
            code="sso_blocked",
        ) from None
    except (requests.RequestException, ValueError):
        raise ValidationError(
            _(
                "The identity provider at %(url)s did not answer with an OpenID Connect discovery document "
                "(%(path)s). Check the issuer URL and that the provider is up; nothing was saved."
            )
            % {"url": shown, "path": DISCOVERY_PATH},
            code="sso_unreachable",
        ) from None
    if not isinstance(config, dict) or any(not isinstance(config.get(key), str) for key in REQUIRED_ENDPOINTS):
        raise ValidationError(
            _("The discovery document at %(url)s lacks the endpoints OpenID Connect needs.") % {"url": shown},
            code="sso_incomplete",
        )
    # The issuer names who signs the ID tokens; a document naming another one is not this provider.
    if str(config.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ValidationError(
            _("The provider calls itself “%(other)s”, not “%(url)s”: give its exact issuer URL.")
            % {"other": str(config.get("issuer", ""))[:120], "url": shown},
            code="sso_issuer_mismatch",
        )
    return config


def vouched_email(sociallogin: SocialLogin) -> tuple[str, bool]:
    """The address the provider vouches for and whether it says it verified it (the userinfo wins,
    as in allauth's own reading of the claims)."""
    data = sociallogin.account.extra_data or {}
    claims = data.get("userinfo") or data.get("id_token") or {}
    email = str(claims.get("email") or "").strip().lower()
    return email, parse_bool_safely(claims.get("email_verified"))


def refusal(vendor: Vendor, email: str, verified: bool) -> str | None:
    """Why this vendor's provider may not sign this person in as its staff, or None."""
    if not email or "@" not in email:
        return _("%(vendor)s's sign-in did not tell us your email address.") % {"vendor": vendor.name}
    if not verified:
        return _(
            "%(vendor)s's sign-in says your address %(email)s is not verified, so it cannot make you staff. "
            "Ask your company's IT to verify it, then sign in again."
        ) % {"vendor": vendor.name, "email": email}
    domain = email.rsplit("@", 1)[1]
    if not VendorDomain.objects.filter(vendor=vendor, domain=domain).exists():
        return _(
            "%(email)s is not at a domain %(vendor)s has proven on Barnraise, so its sign-in cannot vouch for it."
        ) % {"vendor": vendor.name, "email": email}
    return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Site rules for sign-in through vendors' identity providers (the only social logins here)."""

    def get_requests_session(self) -> requests.Session:
        return GuardedSession()

    def can_authenticate_by_email(self, login: SocialLogin, email: str) -> bool:
        """A vendor's provider signs in the existing account of an address at that vendor's proven
        domains (the vendor controls that mailbox anyway); any other address, never."""
        vendor_sso = vendor_sso_for(login.account.provider)
        if vendor_sso is None:
            return False
        vouched, verified = vouched_email(login)
        return vouched == email.lower() and refusal(vendor_sso.vendor, vouched, verified) is None

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        from forum.actions import sso as sso_actions

        vendor_sso = vendor_sso_for(sociallogin.account.provider)
        if vendor_sso is None:
            self._refuse(request, None, _("This sign-in is not set up on Barnraise."))
        vendor = vendor_sso.vendor
        email, verified = vouched_email(sociallogin)
        problem = refusal(vendor, email, verified)
        if problem is not None:
            if sociallogin.is_existing:
                # The provider no longer vouches for this person: their staff status from it ends now.
                sso_actions.end_sso_staff(user=sociallogin.user, vendor=vendor)
            logger.info("SSO refused for @%s: %s", vendor.handle, problem)
            self._refuse(request, vendor, problem)
        # Only the vouched address is kept, as verified: allauth must not store another one as such.
        sociallogin.email_addresses = [e for e in sociallogin.email_addresses if e.email.lower() == email]

    def _refuse(self, request: HttpRequest, vendor: Vendor | None, message: str) -> None:
        response = render(
            request,
            "forum/sso_refused.html",
            {"title": _("Sign-in refused"), "message": message, "vendor": vendor},
            status=403,
        )
        raise ImmediateHttpResponse(response)


def vouch(*, sociallogin: SocialLogin) -> None:
    """After a sign-in or a connection through a vendor's provider: grant or renew staff status."""
    from forum.actions import sso as sso_actions

    vendor_sso = vendor_sso_for(sociallogin.account.provider)
    if vendor_sso is None or sociallogin.user is None or sociallogin.user.pk is None:
        return
    if sociallogin.account.pk is None:  # not linked to an account here: nothing to tie the status to
        return
    email, verified = vouched_email(sociallogin)
    if refusal(vendor_sso.vendor, email, verified) is not None:  # pre_social_login refused it already
        return
    sso_actions.grant_staff_by_sso(
        user=sociallogin.user, vendor=vendor_sso.vendor, email=email, social_account=sociallogin.account
    )
