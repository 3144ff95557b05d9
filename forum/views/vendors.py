"""Vendor membership from the browser: ask to join as staff; admins approve or remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
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
        messages.success(request, f"Asked to join {vendor.name} as staff. An admin of {vendor.name} must approve it.")
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
            messages.success(request, f"{membership.user.name} is now verified staff of {vendor.name}.")
    elif decision == "remove":
        if vendor_actions.revoke_membership(admin=request.user, membership=membership) is None:
            messages.success(request, f"Declined {membership.user.name}'s request.")
        else:
            messages.success(request, f"{membership.user.name} is no longer staff of {vendor.name}.")
    else:
        messages.error(request, "Choose approve or remove.")
    return redirect(vendor)
