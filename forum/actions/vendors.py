"""Vendors and their verified staff. Nobody gets a badge without verification."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, handles, hooks
from forum import domains as domain_rules
from forum.models import Membership, User, Vendor, VendorDomain, VendorSSO
from forum.validation import normalise_text

NAME_MAX = 100
DESCRIPTION_MAX = 2000

logger = logging.getLogger(__name__)


def request_membership(*, user: User, vendor: Vendor) -> Membership:
    """A user asks to be recognised as staff; a vendor admin must approve."""
    access.require(user.is_authenticated and user.is_active, gettext("Log in to join a vendor."))
    if not vendor.is_claimed:
        raise ValidationError(
            gettext("%(name)s has not joined Barnraise yet, so it has no staff to join.") % {"name": vendor.name},
            code="unclaimed",
        )
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
        gettext("You are already staff of this vendor.")
        if membership.is_verified
        else gettext("Your request is already waiting for a vendor admin."),
        code="membership_exists",
    )


def approve_membership(*, admin: User, membership: Membership, role: str = Membership.Role.STAFF) -> Membership:
    """A vendor admin verifies a member. An explicit approval also lifts an earlier revocation."""
    access.require(
        access.can_manage_staff(admin, membership.vendor), gettext("Only this vendor's admins can verify staff.")
    )
    if role not in Membership.Role.values:
        raise ValidationError(gettext("Unknown role."), code="bad_role")
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
        staff_changed(membership)
    logger.info("Staff approved: %s at @%s as %s by %s", membership.user, membership.vendor.handle, role, admin)
    return membership


def revoke_membership(*, admin: User, membership: Membership) -> Membership | None:
    """An admin removes someone's staff status, at once and for good (their past posts keep their badge).

    A first pending request is simply declined (deleted). Anyone else is marked revoked, with who and
    when: confirming a vendor-domain address again does not undo it; only an admin's approval does.
    """
    access.require(
        access.can_manage_staff(admin, membership.vendor), gettext("Only this vendor's admins can remove staff.")
    )
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
        staff_changed(membership)
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
    if VendorSSO.objects.filter(vendor=vendor, required=True).exists():
        # The vendor's staff sign in through its identity provider; an address alone grants nothing.
        logger.info("Not granting @%s staff to %s by email: the vendor requires its sign-in", vendor.handle, user)
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
        staff_changed(membership)
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
            lapse_membership(membership, reason=f"address {membership.granted_email} removed")
            lapsed.append(membership)
    return lapsed


def lapse_membership(membership: Membership, *, reason: str) -> None:
    """End staff status that came from an address or an identity provider, as it was granted.

    The caller holds the row locked inside its transaction. Unlike an admin's revocation, it comes back
    by the same route (confirming the address again, signing in through the provider again).
    """
    membership.status = Membership.Status.LAPSED
    membership.lapsed_at = timezone.now()
    membership.save(update_fields=["status", "lapsed_at"])
    staff_changed(membership)
    logger.info("Staff lapsed: %s at @%s, %s", membership.user, membership.vendor.handle, reason)


def staff_changed(membership: Membership) -> None:
    """Tell other apps (inboxes, sockets) inside the transaction; they act after commit."""
    hooks.staff_changed.send(sender=Membership, membership=membership)


def create_vendor(
    *,
    name: str,
    handle: str,
    description: str = "",
    domains: list[str] | None = None,
    unclaimed: bool = False,
    joined_at: datetime | None = None,
) -> Vendor:
    """Register a vendor: site admins (admin, command), a proven application, or moderators listing an
    unclaimed one (``unclaimed``: no domains, no staff, ``joined_at`` null until the company claims it).
    ``joined_at`` defaults to now; the demo data backdates it (figures count from it)."""
    name = clean_vendor_name(name)
    description = clean_vendor_description(description)
    handle = handles.check_handle(handle)  # a clear refusal before taking any lock
    cleaned_domains = require_unowned_domains(domain_rules.clean_domains(domains)) if domains else []
    joined = None if unclaimed else joined_at or timezone.now()
    vendor = Vendor(name=name, handle=handle, description=description, joined_at=joined)
    try:
        with transaction.atomic():
            handles.lock_handles()
            vendor.full_clean()  # checks the handle again (Vendor.clean), now that no one else can take one
            vendor.save()
            VendorDomain.objects.bulk_create([VendorDomain(vendor=vendor, domain=d) for d in cleaned_domains])
    except IntegrityError:  # a concurrent request took the handle or a domain first
        raise ValidationError(
            gettext("@%(handle)s or one of its domains was taken a moment ago. Choose another.") % {"handle": handle},
            code="taken",
        ) from None
    return vendor


def mark_joined(*, vendor: Vendor, domains: list[str], description: str = "") -> Vendor:
    """An unclaimed vendor's company claimed it: it joins now, with its proven domains.

    The escalations already on it stay (the company inherits them); its figures count from now.
    Call inside the claiming action's transaction.
    """
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    if vendor.is_claimed:
        raise ValidationError(
            gettext("%(name)s has already been claimed.") % {"name": vendor.name}, code="already_claimed"
        )
    cleaned = require_unowned_domains(domain_rules.clean_domains(domains))
    vendor.joined_at = timezone.now()
    fields = ["joined_at"]
    if description.strip():
        vendor.description = clean_vendor_description(description)
        fields.append("description")
    vendor.save(update_fields=fields)
    VendorDomain.objects.bulk_create([VendorDomain(vendor=vendor, domain=d) for d in cleaned])
    return vendor


def add_founding_admin(*, vendor: Vendor, user: User) -> Membership:
    """The person who proved the vendor's domain becomes its first admin (verified, role admin)."""
    with transaction.atomic():
        membership, _ = Membership.objects.select_for_update().get_or_create(user=user, vendor=vendor)
        membership.status = Membership.Status.VERIFIED
        membership.role = Membership.Role.ADMIN
        membership.via = Membership.Via.FOUNDER
        membership.verified_at = timezone.now()
        membership.revoked_at = None
        membership.revoked_by = None
        membership.save(update_fields=["status", "role", "via", "verified_at", "revoked_at", "revoked_by"])
        staff_changed(membership)
    logger.info("Founding admin: %s at @%s", user, vendor.handle)
    return membership


def clean_vendor_name(value: str) -> str:
    name = re.sub(r"\s+", " ", normalise_text(value)).strip()
    if not name:
        raise ValidationError(gettext("Give the company's name."), code="name_empty")
    if len(name) > NAME_MAX:
        raise ValidationError(
            gettext("The name is %(length)s characters long; the limit is %(name_max)s.")
            % {"length": len(name), "name_max": NAME_MAX},
            code="name_long",
        )
    return name


def clean_vendor_description(value: str) -> str:
    description = normalise_text(value).strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            gettext("The description is %(length)s characters long; the limit is %(description_max)s.")
            % {"length": format(len(description), ","), "description_max": format(DESCRIPTION_MAX, ",")},
            code="description_long",
        )
    return description


def require_unowned_domains(domains: list[str]) -> list[str]:
    """Domains no vendor owns yet (a domain makes its verified addresses staff, so it has one owner)."""
    owned = dict(VendorDomain.objects.filter(domain__in=domains).values_list("domain", "vendor__handle"))
    for domain in domains:
        if domain in owned:
            raise ValidationError(
                gettext("%(domain)s already belongs to @%(value)s.") % {"domain": domain, "value": owned[domain]},
                code="domain_owned",
            )
    return domains
