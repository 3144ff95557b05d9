"""Vendors and their verified staff. Nobody gets a badge without verification."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from forum import access, hooks
from forum.models import Membership, User, Vendor

logger = logging.getLogger(__name__)


def request_membership(*, user: User, vendor: Vendor) -> Membership:
    """A user asks to be recognised as staff; a vendor admin must approve."""
    access.require(user.is_authenticated and user.is_active, "Log in to join a vendor.")
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(user=user, vendor=vendor)
        if created:
            return membership
        if membership.status in (Membership.Status.REVOKED, Membership.Status.LAPSED):
            # Asking again goes back to the admins; a revocation stays on record until one approves.
            membership.status = Membership.Status.PENDING
            membership.via = Membership.Via.REQUEST
            membership.save(update_fields=["status", "via"])
            return membership
    raise ValidationError(
        "You are already staff of this vendor."
        if membership.is_verified
        else "Your request is already waiting for a vendor admin.",
        code="membership_exists",
    )


def approve_membership(*, admin: User, membership: Membership, role: str = Membership.Role.STAFF) -> Membership:
    """A vendor admin verifies a member. An explicit approval also lifts an earlier revocation."""
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
        membership.revoked_at = None
        membership.revoked_by = None
        membership.save(
            update_fields=["status", "role", "via", "verified_at", "verified_by", "revoked_at", "revoked_by"]
        )
        _staff_changed(membership)
    logger.info("Staff approved: %s at @%s as %s by %s", membership.user, membership.vendor.handle, role, admin)
    return membership


def revoke_membership(*, admin: User, membership: Membership) -> Membership | None:
    """An admin removes someone's staff status, at once and for good (their past posts keep their badge).

    A first pending request is simply declined (deleted). Anyone else is marked revoked, with who and
    when: confirming a vendor-domain address again does not undo it; only an admin's approval does.
    """
    access.require(access.can_manage_staff(admin, membership.vendor), "Only this vendor's admins can remove staff.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("vendor", "user").get(pk=membership.pk)
        if membership.status == Membership.Status.PENDING and membership.revoked_at is None:
            membership.delete()
            return None
        # A verified member, or a revoked one asking again: the (renewed) revocation stays on record.
        membership.status = Membership.Status.REVOKED
        membership.revoked_at = timezone.now()
        membership.revoked_by = admin
        membership.save(update_fields=["status", "revoked_at", "revoked_by"])
        _staff_changed(membership)
    logger.info(
        "Staff revoked: %s at @%s by %s (was %s via %s)",
        membership.user,
        membership.vendor.handle,
        admin,
        membership.role,
        membership.via,
    )
    return membership


def verify_staff_by_email(*, user: User, email: str, email_address: EmailAddress | None = None) -> Membership | None:
    """Called when the user verified ``email``: staff of the vendor owning its domain, tied to that address.

    Not when an admin removed them from that vendor: an admin's revocation sticks.
    """
    domain = email.rsplit("@", 1)[-1].strip().lower()
    vendor = Vendor.objects.filter(domains__domain=domain).first()
    if vendor is None:
        return None
    if email_address is None:
        email_address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    with transaction.atomic():
        membership, _ = Membership.objects.select_for_update().get_or_create(user=user, vendor=vendor)
        if membership.is_verified:
            return membership
        if membership.revoked_at is not None:
            logger.info("Not re-granting @%s staff to %s: revoked by an admin", vendor.handle, user)
            return membership
        membership.status = Membership.Status.VERIFIED
        membership.via = Membership.Via.EMAIL
        membership.verified_at = timezone.now()
        membership.email_address = email_address
        membership.granted_email = email.strip().lower()
        membership.lapsed_at = None
        membership.save(update_fields=["status", "via", "verified_at", "email_address", "granted_email", "lapsed_at"])
        _staff_changed(membership)
    return membership


def recheck_email_staff(*, user: User) -> list[Membership]:
    """End the staff status that came from an address the user no longer holds verified, as it was granted.

    Called when an address is removed or changed. Returns the memberships that lapsed.
    """
    held = {
        (pk, email.lower())
        for pk, email in EmailAddress.objects.filter(user=user, verified=True).values_list("pk", "email")
    }
    lapsed = []
    with transaction.atomic():
        granted = Membership.objects.select_for_update().filter(
            user=user, status=Membership.Status.VERIFIED, via=Membership.Via.EMAIL
        )
        for membership in granted.select_related("vendor"):
            if (membership.email_address_id, membership.granted_email.lower()) in held:
                continue
            membership.status = Membership.Status.LAPSED
            membership.lapsed_at = timezone.now()
            membership.save(update_fields=["status", "lapsed_at"])
            _staff_changed(membership)
            lapsed.append(membership)
            logger.info(
                "Staff lapsed: %s at @%s, address %s removed", user, membership.vendor.handle, membership.granted_email
            )
    return lapsed


def _staff_changed(membership: Membership) -> None:
    """Tell other apps (inboxes, sockets) inside the transaction; they act after commit."""
    hooks.staff_changed.send(sender=Membership, membership=membership)


def create_vendor(*, name: str, handle: str, description: str = "", domains: list[str] | None = None) -> Vendor:
    """Register a vendor (site admins do this from the admin or a command)."""
    vendor = Vendor(name=name.strip(), handle=handle.strip().lower(), description=description)
    vendor.full_clean()
    with transaction.atomic():
        vendor.save()
        for domain in domains or []:
            vendor.domains.create(domain=domain.strip().lower())
    return vendor
