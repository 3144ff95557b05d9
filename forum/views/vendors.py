"""Vendor membership from the browser: ask to join as staff; admins approve or remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from forum.actions import vendors as vendor_actions
from forum.models import Membership, Vendor


@login_required
@require_POST
def join(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle)
    try:
        vendor_actions.request_membership(user=request.user, vendor=vendor)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            gettext("Asked to join %(name)s as staff. An admin of %(name2)s must approve it.")
            % {"name": vendor.name, "name2": vendor.name},
        )
    return redirect(vendor)


@login_required
@require_POST
def decide(request: HttpRequest, handle: str, membership_id: int) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, vendor=vendor)
    decision = request.POST.get("decision")
    if decision == "approve":
        try:
            vendor_actions.approve_membership(
                admin=request.user, membership=membership, role=request.POST.get("role", Membership.Role.STAFF)
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                gettext("%(name)s is now verified staff of %(name2)s.")
                % {"name": membership.user.name, "name2": vendor.name},
            )
    elif decision == "remove":
        if vendor_actions.revoke_membership(admin=request.user, membership=membership) is None:
            messages.success(request, gettext("Declined %(name)s's request.") % {"name": membership.user.name})
        else:
            messages.success(
                request,
                gettext("%(name)s is no longer staff of %(name2)s.")
                % {"name": membership.user.name, "name2": vendor.name},
            )
    else:
        messages.error(request, gettext("Choose approve or remove."))
    return redirect(vendor)
