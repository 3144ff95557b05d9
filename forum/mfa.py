"""Two-factor sign-in for admins (allauth.mfa): admin-only pages wait until a second factor is set up."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from forum import access

# Admin-only pages (namespace:url name); the whole Django admin counts too.
ADMIN_ONLY_VIEWS = {
    "forum:vendor_api",
    "forum:vendor_key_create",
    "forum:vendor_key_revoke",
    "forum:vendor_webhook_create",
    "forum:vendor_webhook_delete",
    "forum:vendor_redeliver",
    "forum:vendor_member",
    "forum:vendor_sso",
    "swarm:radar_keywords",
}


def _is_admin_only(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    return match.namespace == "admin" or match.view_name in ADMIN_ONLY_VIEWS


class AdminTwoFactorMiddleware:
    """Send an admin without a second factor to set one up before any admin-only page (MFA_REQUIRED_FOR_ADMINS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not _is_admin_only(request) or not access.must_set_up_mfa(request.user):
            return None
        messages.info(request, gettext("Admins sign in with two factors here: set up an authenticator app first."))
        return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
