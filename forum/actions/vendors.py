"""Vendors and their verified staff. Nobody gets a badge without verification."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forum import access
from forum.models import Membership, User, Vendor


def request_membership(*, user: User, vendor: Vendor) -> Membership:
    """A user asks to be recognised as staff; a vendor admin must approve."""
    access.require(user.is_authenticated and user.is_active, "Log in to join a vendor.")
    membership, created = Membership.objects.get_or_create(user=user, vendor=vendor)
    if not created:
        raise ValidationError(
            "You are already staff of this vendor."
            if membership.is_verified
            else "Your request is already waiting for a vendor admin.",
            code="membership_exists",
        )
    return membership


def approve_membership(*, admin: User, membership: Membership, role: str = Membership.Role.STAFF) -> Membership:
    """A vendor admin verifies a pending member."""
    access.require(access.can_manage_staff(admin, membership.vendor), "Only this vendor's admins can verify staff.")
    if role not in Membership.Role.values:
        raise ValidationError("Unknown role.", code="bad_role")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        membership.status = Membership.Status.VERIFIED
        membership.role = role
        membership.via = Membership.Via.ADMIN
        membership.verified_at = timezone.now()
        membership.verified_by = admin
        membership.save(update_fields=["status", "role", "via", "verified_at", "verified_by"])
    return membership


def revoke_membership(*, admin: User, membership: Membership) -> None:
    """A vendor admin removes someone's staff status (their past posts keep their badge)."""
    access.require(access.can_manage_staff(admin, membership.vendor), "Only this vendor's admins can remove staff.")
    membership.delete()


def verify_staff_by_email(*, user: User, email: str) -> Membership | None:
    """Called when the user verified ``email``: staff of the vendor owning its domain."""
    domain = email.rsplit("@", 1)[-1].strip().lower()
    vendor = Vendor.objects.filter(domains__domain=domain).first()
    if vendor is None:
        return None
    with transaction.atomic():
        membership, _ = Membership.objects.select_for_update().get_or_create(user=user, vendor=vendor)
        if membership.is_verified:
            return membership
        membership.status = Membership.Status.VERIFIED
        membership.via = Membership.Via.EMAIL
        membership.verified_at = timezone.now()
        membership.save(update_fields=["status", "via", "verified_at"])
    return membership


def create_vendor(*, name: str, handle: str, description: str = "", domains: list[str] | None = None) -> Vendor:
    """Register a vendor (site admins do this from the admin or a command)."""
    vendor = Vendor(name=name.strip(), handle=handle.strip().lower(), description=description)
    vendor.full_clean()
    with transaction.atomic():
        vendor.save()
        for domain in domains or []:
            vendor.domains.create(domain=domain.strip().lower())
    return vendor
