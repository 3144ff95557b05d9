"""A vendor admin's single sign-on settings page (docs/vendors.md, "Single sign-on")."""

from __future__ import annotations

import requests
from allauth.socialaccount.providers.openid_connect.views import login as allauth_oidc_login
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from forum import access, sso
from forum.actions import sso as sso_actions
from forum.models import Vendor, VendorSSO


@login_required
def vendor_sso(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle.lower())
    if not access.can_manage_sso(request.user, vendor):
        raise PermissionDenied(_("Only this vendor's admins set up its sign-in."))
    current = VendorSSO.objects.select_related("app").filter(vendor=vendor).first()
    form = {
        "issuer": current.issuer if current else "",
        "client_id": current.app.client_id if current else "",
        "required": current.required if current else False,
    }
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            return _remove(request, vendor)
        form = {
            "issuer": request.POST.get("issuer", "")[:2000],
            "client_id": request.POST.get("client_id", "")[:2000],
            "required": request.POST.get("required") == "on",
        }
        try:
            sso_actions.configure_sso(
                admin=request.user, vendor=vendor, secret=request.POST.get("secret", "")[:2000], **form
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Saved %(vendor)s's single sign-on.") % {"vendor": vendor.name})
            return redirect("forum:vendor_sso", vendor.handle)
    callback = request.build_absolute_uri(
        reverse("openid_connect_callback", kwargs={"provider_id": sso.provider_id_for(vendor)})
    )
    context = {"vendor": vendor, "current": current, "form": form, "callback_url": callback}
    return render(request, "forum/vendor_sso.html", context, status=400 if request.method == "POST" else 200)


def _remove(request: HttpRequest, vendor: Vendor) -> HttpResponse:
    try:
        sso_actions.remove_sso(admin=request.user, vendor=vendor)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Removed %(vendor)s's single sign-on.") % {"vendor": vendor.name})
    return redirect("forum:vendor_sso", vendor.handle)


def start_sign_in(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect login view; it reads the provider's discovery document first, and a
    provider that does not answer gets a page that says so instead of an error."""
    try:
        response = allauth_oidc_login(request, provider_id)
    except requests.RequestException:
        vendor_sso = sso.vendor_sso_for(provider_id)
        name = vendor_sso.vendor.name if vendor_sso else _("The company")
        message = _("%(vendor)s's sign-in did not answer. Try again in a few minutes.") % {"vendor": name}
        context = {"title": _("Sign-in unavailable"), "message": message, "vendor": vendor_sso and vendor_sso.vendor}
        return render(request, "forum/sso_refused.html", context, status=503)
    location = response.get("Location", "")
    if response.status_code != 302 or url_has_allowed_host_and_scheme(location, allowed_hosts={request.get_host()}):
        return response
    # The site's CSP (form-action 'self') stops a form from being redirected to another site, so the
    # button's POST ends here, and this page sends the browser on to the provider (with a link too).
    vendor_sso = sso.vendor_sso_for(provider_id)
    context = {"url": location, "vendor": vendor_sso.vendor if vendor_sso else None}
    return render(request, "forum/sso_redirect.html", context)
