"""Who may do what in the forum. Actions call these; templates only mirror them.

One condition per line, so tests can cover every branch.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from forum.models import Membership, Post, Thread, User, Vendor

AnyUser = User | AnonymousUser


def verified_membership(user: AnyUser, vendor: Vendor) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, vendor=vendor, status=Membership.Status.VERIFIED).first()


def is_vendor_staff(user: AnyUser, vendor: Vendor) -> bool:
    return verified_membership(user, vendor) is not None


def is_vendor_admin(user: AnyUser, vendor: Vendor) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    membership = verified_membership(user, vendor)
    return membership is not None and membership.role == Membership.Role.ADMIN


def staff_vendor_for(user: AnyUser) -> Vendor | None:
    """The vendor whose badge the user's posts carry, if any."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(user=user, status=Membership.Status.VERIFIED)
        .select_related("vendor")
        .order_by("verified_at", "id")
        .first()
    )
    return membership.vendor if membership else None


def is_moderator(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_moderator or user.is_superuser)


def has_privilege(user: AnyUser, name: str) -> bool:
    """Whether the user's reputation unlocks a privilege (settings.BARNRAISE["PRIVILEGES"])."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_moderator(user):
        return True
    return user.reputation >= settings.BARNRAISE["PRIVILEGES"][name]


def can_edit_post(user: AnyUser, post: Post) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.pk


def can_reply(user: AnyUser, thread: Thread) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return not thread.is_locked or is_moderator(user)


def can_vote(user: AnyUser, post: Post) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return post.author_id != user.pk


def can_accept(user: AnyUser, thread: Thread) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return thread.author_id == user.pk


def can_retag(user: AnyUser, thread: Thread) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if thread.author_id == user.pk:
        return True
    return has_privilege(user, "retag")


def can_see_history(user: AnyUser, post: Post) -> bool:
    return can_edit_post(user, post)


def require(allowed: bool, message: str) -> None:
    """Raise PermissionDenied with a message a person can read."""
    if not allowed:
        raise PermissionDenied(message)
