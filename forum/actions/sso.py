"""Vendor single sign-on: a vendor admin's settings, and the staff status an identity provider grants.

docs/vendors.md, "Single sign-on". The protocol is allauth's; forum/sso.py decides what a provider
may vouch for, and these actions are the only writes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialAccount, SocialApp
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import access, netguard, sso
from forum.actions.vendors import lapse_membership, staff_changed
from forum.models import Membership, User, Vendor, VendorLog, VendorSSO
from forum.validation import normalise_text

ISSUER_MAX = 300
CLIENT_FIELD_MAX = 191  # SocialApp.client_id and .secret

logger = logging.getLogger(__name__)


def clean_issuer(value: str) -> str:
    issuer = normalise_text(value or "").strip()
    if issuer.endswith(sso.DISCOVERY_PATH):  # people paste the discovery URL; the issuer is what precedes it
        issuer = issuer[: -len(sso.DISCOVERY_PATH)]
    issuer = issuer.rstrip("/")
    if not issuer:
        raise ValidationError(_("Give the identity provider's issuer URL."), code="issuer_empty")
    if len(issuer) > ISSUER_MAX:
        raise ValidationError(
            _("The issuer URL is %(n)s characters long; the limit is %(max)s.") % {"n": len(issuer), "max": ISSUER_MAX},
            code="issuer_long",
        )
    try:
        parts = urlsplit(issuer)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValidationError(
            _("“%(url)s” is not an issuer URL: give one like https://login.northwind.example.") % {"url": issuer[:120]},
            code="issuer_invalid",
        )
    try:
        netguard.vet(issuer, allow_loopback=settings.VENDOR_SSO_ALLOW_LOOPBACK)
    except netguard.BlockedAddressError as error:
        message = str(error).replace("webhooks go", "identity providers must be")
        raise ValidationError(
            _("The issuer URL cannot be used: %(reason)s") % {"reason": message}, code="issuer_blocked"
        ) from None
    return issuer


def _clean_client_field(value: str, *, label: str, code: str) -> str:
    cleaned = normalise_text(value or "").strip()
    if len(cleaned) > CLIENT_FIELD_MAX:
        raise ValidationError(
            _("The %(label)s is %(n)s characters long; the limit is %(max)s.")
            % {"label": label, "n": len(cleaned), "max": CLIENT_FIELD_MAX},
            code=code,
        )
    if any(ch.isspace() for ch in cleaned):
        raise ValidationError(_("The %(label)s cannot contain spaces.") % {"label": label}, code=code)
    return cleaned


def configure_sso(
    *, admin: User, vendor: Vendor, issuer: str, client_id: str, secret: str = "", required: bool = False
) -> VendorSSO:
    """Set up or change the vendor's identity provider. A blank secret keeps the stored one.

    A new issuer or client id is another provider: accounts linked to the old one are unlinked and
    the staff status it granted ends, so a subject id at the new provider can never stand for
    someone the old one vouched for.
    """
    access.require(access.can_manage_sso(admin, vendor), _("Only this vendor's admins set up its sign-in."))
    issuer = clean_issuer(issuer)
    client_id = _clean_client_field(client_id, label=_("client id"), code="client_id_invalid")
    secret = _clean_client_field(secret, label=_("client secret"), code="secret_invalid")
    if not client_id:
        raise ValidationError(_("Give the client id your identity provider issued."), code="client_id_empty")
    existing = VendorSSO.objects.select_related("app").filter(vendor=vendor).first()
    if not secret and existing is None:
        raise ValidationError(_("Give the client secret your identity provider issued."), code="secret_empty")
    sso.fetch_discovery(issuer)  # before any lock: a provider that is down changes nothing
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        vendor_sso = VendorSSO.objects.select_related("app").filter(vendor=vendor).first()
        if vendor_sso is None:
            app = SocialApp(provider=sso.PROVIDER, provider_id=sso.provider_id_for(vendor))
        else:
            app = vendor_sso.app
        new_provider = vendor_sso is not None and (app.settings.get("server_url"), app.client_id) != (issuer, client_id)
        app.name = vendor.name[:40]
        app.client_id = client_id
        if secret:
            app.secret = secret
        # PKCE on top of the client secret; allauth also checks state and the ID token's nonce.
        app.settings = {"server_url": issuer, "oauth_pkce_enabled": True}
        app.save()
        app.sites.add(Site.objects.get_current())
        if vendor_sso is None:
            vendor_sso = VendorSSO.objects.create(vendor=vendor, app=app, required=required, updated_by=admin)
            turned_required = required
        else:
            turned_required = required and not vendor_sso.required
            vendor_sso.required = required
            vendor_sso.updated_by = admin
            vendor_sso.save(update_fields=["required", "updated_by", "updated_at"])
        if new_provider:
            _end_provider(vendor)
        if turned_required:
            _end_email_staff(vendor)
        VendorLog.objects.create(
            action=VendorLog.Action.SSO_SET,
            actor=admin,
            vendor=vendor,
            # Never the secret: only whether it changed.
            data={
                "issuer": issuer,
                "client_id": client_id,
                "required": required,
                "secret_changed": bool(secret),
                "new_provider": new_provider,
            },
        )
    logger.info("SSO set for @%s by %s: %s (required=%s)", vendor.handle, admin, issuer, required)
    return vendor_sso


def remove_sso(*, admin: User, vendor: Vendor) -> None:
    """Remove the vendor's identity provider: its linked accounts and the staff status it granted end."""
    access.require(access.can_manage_sso(admin, vendor), _("Only this vendor's admins set up its sign-in."))
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        vendor_sso = VendorSSO.objects.select_related("app").filter(vendor=vendor).first()
        if vendor_sso is None:
            raise ValidationError(_("%(vendor)s has no single sign-on set up.") % {"vendor": vendor.name}, code="none")
        _end_provider(vendor)
        vendor_sso.app.delete()  # and the VendorSSO row with it
        VendorLog.objects.create(action=VendorLog.Action.SSO_REMOVED, actor=admin, vendor=vendor, data={})
    logger.info("SSO removed for @%s by %s", vendor.handle, admin)


def grant_staff_by_sso(*, user: User, vendor: Vendor, email: str, social_account: SocialAccount) -> Membership:
    """The vendor's provider vouched for ``email`` (verified, at a proven domain: forum/sso.py checked).

    Makes the user verified staff with the SSO as its source, or renews that source. A membership
    an admin granted (or the founder's) is left as it is; an admin's revocation sticks.
    """
    with transaction.atomic():
        membership, _created = Membership.objects.select_for_update().get_or_create(user=user, vendor=vendor)
        if membership.revoked_at is not None:
            logger.info("Not granting @%s staff to %s by SSO: revoked by an admin", vendor.handle, user)
            return membership
        if membership.is_verified and membership.via != Membership.Via.SSO:
            return membership
        was_verified = membership.is_verified
        membership.status = Membership.Status.VERIFIED
        membership.via = Membership.Via.SSO
        membership.verified_at = membership.verified_at if was_verified else timezone.now()
        membership.social_account = social_account
        membership.granted_email = email
        membership.email_address = None
        membership.sso_vouched_at = timezone.now()
        membership.lapsed_at = None
        membership.save(
            update_fields=[
                "status",
                "via",
                "verified_at",
                "social_account",
                "granted_email",
                "email_address",
                "sso_vouched_at",
                "lapsed_at",
            ]
        )
        if not was_verified:
            staff_changed(membership)
            logger.info("Staff by SSO: %s at @%s as %s", user, vendor.handle, email)
    return membership


def end_sso_staff(*, user: User, vendor: Vendor) -> Membership | None:
    """The vendor's provider refused to vouch for the user: the staff status it granted ends now."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(user=user, vendor=vendor, status=Membership.Status.VERIFIED, via=Membership.Via.SSO)
            .first()
        )
        if membership is None:
            return None
        lapse_membership(membership, reason="the identity provider no longer vouches")
    return membership


def lapse_stale_sso_staff(*, now: datetime | None = None) -> int:
    """End SSO staff status the provider has not renewed within VENDOR_SSO_MAX_AGE (a periodic job)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.VENDOR_SSO_MAX_AGE)
    with transaction.atomic():
        stale = Membership.objects.select_for_update().filter(
            status=Membership.Status.VERIFIED, via=Membership.Via.SSO, sso_vouched_at__lt=cutoff
        )
        count = 0
        for membership in stale.select_related("vendor", "user"):
            lapse_membership(membership, reason="not renewed by a sign-in through the identity provider")
            count += 1
    return count


def _end_provider(vendor: Vendor) -> None:
    """Unlink every account at the vendor's current provider and end the staff status it granted."""
    granted = Membership.objects.select_for_update().filter(
        vendor=vendor, status=Membership.Status.VERIFIED, via=Membership.Via.SSO
    )
    for membership in granted.select_related("vendor", "user"):
        lapse_membership(membership, reason="the vendor changed or removed its identity provider")
    SocialAccount.objects.filter(provider=sso.provider_id_for(vendor)).delete()


def _end_email_staff(vendor: Vendor) -> None:
    """SSO became required: staff status from a verified email at a vendor domain ends (sign in through
    the provider to get it back). Approvals by an admin, the founder's and the vendor's admins stay, so
    someone can still fix a provider that stops working."""
    granted = Membership.objects.select_for_update().filter(
        vendor=vendor, status=Membership.Status.VERIFIED, via=Membership.Via.EMAIL, role=Membership.Role.STAFF
    )
    for membership in granted.select_related("vendor", "user"):
        lapse_membership(membership, reason="the vendor requires sign-in through its identity provider")
