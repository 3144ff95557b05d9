"""API credentials and webhook endpoints: created, revoked and re-sent by people (docs/api.md)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, netguard
from forum.models import (
    EventKind,
    PersonalAccessToken,
    User,
    Vendor,
    VendorApiKey,
    WebhookDelivery,
    WebhookEndpoint,
)
from forum.models.api import Scope
from forum.validation import normalise_text

TOKEN_PREFIX = "brp_"
KEY_PREFIX = "brk_"
SECRET_PREFIX = "whsec_"
MAX_NAME = 80
MAX_WEBHOOKS = 10

# The event kinds a webhook may ask for: everything on the public stream, plus
# staff notes (sent only from the vendor's own private stream).
WEBHOOK_KINDS = [kind.value for kind in EventKind]


def webhook_kinds() -> list[str]:
    """Every registered kind (forum.timeline.kinds), including those other apps registered at startup."""
    from forum.timeline import kinds as registry

    return registry.values()


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_secret(prefix: str) -> tuple[str, str, str]:
    """A fresh secret: (raw, visible prefix, hash). The raw value is shown once, never stored."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, raw[: len(prefix) + 6], hash_secret(raw)


def _clean_name(name: str) -> str:
    name = " ".join(normalise_text(name or "").split())
    if not name:
        raise ValidationError(gettext("Give the token a name, so you recognise it later."), code="name_required")
    if len(name) > MAX_NAME:
        raise ValidationError(
            gettext("Names are at most %(max_name)s characters.") % {"max_name": MAX_NAME}, code="name_too_long"
        )
    return name


def _clean_scope(scope: str) -> str:
    if scope not in Scope.values:
        raise ValidationError(gettext("The scope must be read or write."), code="bad_scope")
    return scope


def create_token(*, user: User, name: str, scope: str = Scope.WRITE) -> tuple[PersonalAccessToken, str]:
    """A personal access token for the user; returns the row and the raw token (shown once)."""
    access.require(user.is_authenticated and user.is_active, gettext("Log in to create a token."))
    access.require(not user.is_service_account, gettext("A vendor's service account has keys, not personal tokens."))
    name = _clean_name(name)
    scope = _clean_scope(scope)
    cap = settings.API_TOKENS_PER_USER
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # two tabs cannot both pass the cap
        if PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count() >= cap:
            raise ValidationError(
                gettext("You already have %(cap)s active tokens, the most allowed. Revoke one you no longer use first.")
                % {"cap": cap},
                code="too_many_tokens",
            )
        raw, prefix, digest = _new_secret(TOKEN_PREFIX)
        token = PersonalAccessToken.objects.create(user=user, name=name, scope=scope, prefix=prefix, token_hash=digest)
    return token, raw


def revoke_token(*, user: User, token: PersonalAccessToken) -> None:
    access.require(token.user_id == user.pk, gettext("You can only revoke your own tokens."))
    PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _service_account(vendor: Vendor) -> User:
    """The vendor's service account, made on first use (inside the caller's transaction, vendor locked)."""
    account = User.objects.filter(service_vendor=vendor).first()
    if account is not None:
        return account
    base = f"{vendor.handle}+api"  # "+" cannot start a mention, so nobody can @ it
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}{n}"
    account = User(username=username, display_name=f"{vendor.name} (API)"[:80], service_vendor=vendor)
    account.set_unusable_password()  # it never logs in; only its vendor's keys act as it
    account.save()
    return account


def create_vendor_key(*, admin: User, vendor: Vendor, name: str, scope: str = Scope.WRITE) -> tuple[VendorApiKey, str]:
    """A vendor API key; it acts as the vendor's service account, within ``vendor`` only. Raw key shown once."""
    access.require(access.is_vendor_admin(admin, vendor), gettext("Only this vendor's admins can create API keys."))
    name = _clean_name(name)
    scope = _clean_scope(scope)
    cap = settings.API_KEYS_PER_VENDOR
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).first()
        if VendorApiKey.objects.filter(vendor=vendor, revoked_at__isnull=True).count() >= cap:
            raise ValidationError(
                gettext("This vendor already has %(cap)s active API keys, the most allowed. Revoke one first.")
                % {"cap": cap},
                code="too_many_keys",
            )
        _service_account(vendor)
        raw, prefix, digest = _new_secret(KEY_PREFIX)
        key = VendorApiKey.objects.create(
            vendor=vendor, created_by=admin, name=name, scope=scope, prefix=prefix, token_hash=digest
        )
    return key, raw


def revoke_vendor_key(*, admin: User, key: VendorApiKey) -> None:
    access.require(access.is_vendor_admin(admin, key.vendor), gettext("Only this vendor's admins can revoke API keys."))
    VendorApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def clean_webhook_url(url: str) -> str:
    """An https URL whose host resolves to public addresses only (netguard); loopback when allowed."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            gettext("Enter a full URL, like https://example.com/hooks/barnraise."), code="bad_url"
        ) from None
    try:
        netguard.vet(url)
    except netguard.BlockedAddressError as exc:
        code = "https_required" if exc.category == "https required" else "private_address"
        raise ValidationError(str(exc), code=code) from None
    return url


def create_webhook(*, admin: User, vendor: Vendor, url: str, kinds: list[str]) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once)."""
    access.require(access.is_vendor_admin(admin, vendor), gettext("Only this vendor's admins can manage webhooks."))
    url = clean_webhook_url(url)
    kinds = sorted(set(kinds))
    if not kinds:
        raise ValidationError(gettext("Pick at least one kind of event."), code="no_kinds")
    unknown = [k for k in kinds if k not in webhook_kinds()]
    if unknown:
        raise ValidationError(gettext("Unknown event kind: %(value)s.") % {"value": unknown[0][:40]}, code="bad_kind")
    if vendor.webhooks.count() >= MAX_WEBHOOKS:
        raise ValidationError(
            gettext("A vendor can have at most %(max_webhooks)s webhooks.") % {"max_webhooks": MAX_WEBHOOKS},
            code="too_many",
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        vendor=vendor, url=url, event_kinds=kinds, secret=secret, created_by=admin
    )
    return endpoint, secret


def delete_webhook(*, admin: User, endpoint: WebhookEndpoint) -> None:
    access.require(
        access.is_vendor_admin(admin, endpoint.vendor), gettext("Only this vendor's admins can manage webhooks.")
    )
    endpoint.delete()


def redeliver(*, admin: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again: back to pending, due now, a fresh retry window, its attempt log kept."""
    access.require(
        access.is_vendor_admin(admin, delivery.endpoint.vendor),
        gettext("Only this vendor's admins can re-send webhooks."),
    )
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.state = WebhookDelivery.State.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.give_up_at = delivery.next_attempt_at + timedelta(seconds=settings.WEBHOOK_GIVE_UP_AFTER)
        delivery.attempts = 0
        delivery.save(update_fields=["state", "next_attempt_at", "give_up_at", "attempts"])
    return delivery
