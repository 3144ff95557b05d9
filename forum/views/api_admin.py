"""Pages for API credentials: a user's personal tokens, a vendor's keys, webhooks and deliveries."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from forum import access
from forum.actions import api as api_actions
from forum.models import PersonalAccessToken, Vendor, VendorApiKey, WebhookDelivery, WebhookEndpoint
from forum.timeline import presenter

# The raw secret is kept in the session only until the next page shows it once.
SHOW_ONCE = "api_secret_once"


def _pop_secret(request: HttpRequest) -> dict | None:
    return request.session.pop(SHOW_ONCE, None)


def _show_once(request: HttpRequest, label: str, value: str, note: str = gettext("We store only its hash.")) -> None:
    request.session[SHOW_ONCE] = {"label": label, "value": value, "note": note}


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            _, raw = api_actions.create_token(
                user=request.user, name=request.POST.get("name", ""), scope=request.POST.get("scope", "write")
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            _show_once(request, gettext("Your new token"), raw)
        return redirect("forum:api_tokens")
    context = {
        "tokens": PersonalAccessToken.objects.filter(user=request.user).order_by("-created_at"),
        "secret": _pop_secret(request),
        "token_cap": settings.API_TOKENS_PER_USER,
    }
    return render(request, "forum/api_tokens.html", context)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
    api_actions.revoke_token(user=request.user, token=token)
    messages.success(request, gettext("Revoked %(name)s.") % {"name": token.name})
    return redirect("forum:api_tokens")


def _admin_vendor(request: HttpRequest, handle: str) -> Vendor:
    vendor = get_object_or_404(Vendor, handle=handle)
    if not access.is_vendor_admin(request.user, vendor):
        raise PermissionDenied(gettext("Only this vendor's admins manage its API keys and webhooks."))
    return vendor


@login_required
def vendor_api(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = _admin_vendor(request, handle)
    endpoints = list(WebhookEndpoint.objects.filter(vendor=vendor).order_by("created_at"))
    deliveries = list(
        WebhookDelivery.objects.filter(endpoint__vendor=vendor)
        .select_related("endpoint", "event", "event__thread")
        .order_by("-id")[:50]
    )
    presenter.mask_threads(request.user, [d.event.thread for d in deliveries])  # a hidden question's title
    context = {
        "vendor": vendor,
        "keys": VendorApiKey.objects.filter(vendor=vendor).select_related("created_by").order_by("-created_at"),
        "endpoints": endpoints,
        "deliveries": deliveries,
        "kinds": api_actions.webhook_kinds(),
        "secret": _pop_secret(request),
        "key_cap": settings.API_KEYS_PER_VENDOR,
    }
    return render(request, "forum/vendor_api.html", context)


def _back(vendor: Vendor) -> HttpResponse:
    return redirect(reverse("forum:vendor_api", args=[vendor.handle]))


@login_required
@require_POST
def create_key(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = _admin_vendor(request, handle)
    try:
        _, raw = api_actions.create_vendor_key(
            admin=request.user, vendor=vendor, name=request.POST.get("name", ""), scope=request.POST.get("scope", "")
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        _show_once(request, gettext("The new API key"), raw)
    return _back(vendor)


@login_required
@require_POST
def revoke_key(request: HttpRequest, handle: str, key_id: int) -> HttpResponse:
    vendor = _admin_vendor(request, handle)
    key = get_object_or_404(VendorApiKey, pk=key_id, vendor=vendor)
    api_actions.revoke_vendor_key(admin=request.user, key=key)
    messages.success(request, gettext("Revoked %(name)s.") % {"name": key.name})
    return _back(vendor)


@login_required
@require_POST
def create_webhook(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = _admin_vendor(request, handle)
    try:
        _, secret = api_actions.create_webhook(
            admin=request.user, vendor=vendor, url=request.POST.get("url", ""), kinds=request.POST.getlist("kinds")
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        _show_once(
            request,
            gettext("The webhook's signing secret"),
            secret,
            note=gettext("It signs every delivery; it is never shown again."),
        )
    return _back(vendor)


@login_required
@require_POST
def delete_webhook(request: HttpRequest, handle: str, endpoint_id: int) -> HttpResponse:
    vendor = _admin_vendor(request, handle)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, vendor=vendor)
    api_actions.delete_webhook(admin=request.user, endpoint=endpoint)
    messages.success(request, gettext("Removed the webhook %(url)s.") % {"url": endpoint.url})
    return _back(vendor)


@login_required
@require_POST
def redeliver(request: HttpRequest, handle: str, delivery_id: int) -> HttpResponse:
    vendor = _admin_vendor(request, handle)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint__vendor"), pk=delivery_id, endpoint__vendor=vendor
    )
    api_actions.redeliver(admin=request.user, delivery=delivery)
    messages.success(request, gettext("Queued to be sent again."))
    return _back(vendor)
