"""Account settings a person changes about themselves (email and password are allauth's).

Name, avatar, time zone and language, and deleting the account (docs/accounts.md).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import zoneinfo
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import access, attachments, avatars, hooks
from forum.models import (
    IdempotencyKey,
    Membership,
    ModerationLog,
    Notification,
    NotificationSettings,
    PersonalAccessToken,
    ReservedUsername,
    TagFollow,
    ThreadFollow,
    ThreadMute,
    ThreadRead,
    User,
    VendorFollow,
)
from forum.validation import normalise_text

logger = logging.getLogger(__name__)

NAME_MAX = 80
DELETED_PREFIX = "deleted-"


def clean_display_name(value: str) -> str:
    """The name others see: no control or bidirectional-override characters, at most 80 characters."""
    name = " ".join(normalise_text(value or "").split())
    if len(name) > NAME_MAX:
        raise ValidationError(_("Keep your name under %(name_max)s characters.") % {"name_max": NAME_MAX})
    return name


def update_display_name(*, user: User, display_name: str) -> User:
    """Set the name shown beside the person's posts (blank: their username is shown)."""
    name = clean_display_name(display_name)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.display_name = name
        user.save(update_fields=["display_name"])
    return user


# ---- Avatar ----


def set_avatar(*, user: User, upload: UploadedFile) -> User:
    """Replace the person's avatar with a cleaned, square-cropped copy of ``upload``.

    A bad upload raises ValidationError with the reason and changes nothing. The
    old picture's files go once the new one is committed.
    """
    try:
        images = avatars.prepare(upload)  # CPU work, before any lock
    except attachments.RejectedImageError as rejected:
        raise ValidationError(str(rejected), code="bad_image") from None
    key = secrets.token_hex(16)
    avatars.store(key, images)
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            old = user.avatar_key
            user.avatar_key = key
            user.save(update_fields=["avatar_key"])
            transaction.on_commit(partial(avatars.delete, old))
    except BaseException:
        avatars.delete(key)
        raise
    return user


def remove_avatar(*, user: User) -> User:
    """Go back to generated initials; the picture's files are removed after commit."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old = user.avatar_key
        if old:
            user.avatar_key = ""
            user.save(update_fields=["avatar_key"])
            transaction.on_commit(partial(avatars.delete, old))
    return user


# ---- Time zone and language ----


def time_zone_choices() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def clean_time_zone(value: str) -> str:
    """An IANA time zone name, or blank for the site's own zone."""
    value = (value or "").strip()
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list."), code="bad_time_zone")
    return value


def clean_language(value: str) -> str:
    """One of settings.LANGUAGES, or blank for the browser's language."""
    value = (value or "").strip()
    if value and value not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Choose a language from the list."), code="bad_language")
    return value


def update_preferences(*, user: User, time_zone: str, language: str) -> User:
    """Set the zone times are shown in and the language pages are shown in (blank: the defaults)."""
    time_zone = clean_time_zone(time_zone)
    language = clean_language(language)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.time_zone = time_zone
        user.language = language
        user.save(update_fields=["time_zone", "language"])
    return user


# ---- Deleting an account ----


def username_hash(username: str) -> str:
    """How a deleted account's username is remembered: enough to refuse it, not to read it."""
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()


def is_username_reserved(username: str) -> bool:
    """A deleted account's username, or one shaped like the placeholder given to deleted accounts."""
    if username.strip().casefold().startswith(DELETED_PREFIX):
        return True
    return ReservedUsername.objects.filter(name_hash=username_hash(username)).exists()


def _end_memberships(user: User, now) -> None:
    """Staff status ends for good; pending requests go; no address stays on record."""
    for membership in Membership.objects.select_for_update().filter(user=user).select_related("vendor"):
        if membership.status == Membership.Status.PENDING and membership.revoked_at is None:
            membership.delete()
            continue
        was_staff = membership.is_verified
        membership.status = Membership.Status.REVOKED
        membership.revoked_at = membership.revoked_at or now
        membership.email_address = None
        membership.granted_email = ""
        membership.save(update_fields=["status", "revoked_at", "email_address", "granted_email"])
        if was_staff:  # swarm re-checks the vendor's open inboxes and closes this person's
            hooks.staff_changed.send(sender=Membership, membership=membership)


def _remove_personal_rows(user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    for model, field in (
        (EmailAddress, "user"),
        (Authenticator, "user"),
        (PersonalAccessToken, "user"),
        (NotificationSettings, "user"),
        (TagFollow, "user"),
        (VendorFollow, "user"),
        (ThreadFollow, "user"),
        (ThreadMute, "user"),
        (ThreadRead, "user"),
        (Notification, "recipient"),
        (IdempotencyKey, "user"),
    ):
        model.objects.filter(**{field: user}).delete()


def delete_account(*, actor: User, user: User) -> User:
    """Delete ``user``'s account at their own request; what they wrote stays, credited to "deleted user".

    The row stays (posts, threads and escalations keep an author) but loses everything
    personal: username (replaced by a placeholder and reserved, so nobody can take it
    over), name, bio, email addresses, password, second factors, avatar, API tokens,
    notification settings, follows, read marks and notifications; vendor staff
    memberships end. One audit row (ModerationLog ``account_deleted``, no name in it)
    records it. After commit the avatar files are removed and the person's open
    sockets are closed. The caller checks the password (and second factor) first.
    """
    access.require(access.can_delete_account(actor, user), _("You can only delete your own account."))
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.deleted_at is not None:
            raise ValidationError(_("This account is already deleted."), code="already_deleted")
        ReservedUsername.objects.get_or_create(name_hash=username_hash(user.username))
        _end_memberships(user, now)
        _remove_personal_rows(user)
        hooks.account_deleted.send(sender=User, user=user)
        old_avatar = user.avatar_key
        user.username = f"{DELETED_PREFIX}{user.pk}"
        user.display_name = user.bio = user.first_name = user.last_name = user.email = ""
        user.avatar_key = user.time_zone = user.language = ""
        user.suspension_reason = ""
        user.set_unusable_password()  # also ends every other session: its hash no longer matches
        user.is_active = user.is_staff = user.is_moderator = False
        user.last_login = None
        user.deleted_at = now
        user.save(
            update_fields=[
                "username",
                "display_name",
                "bio",
                "first_name",
                "last_name",
                "email",
                "avatar_key",
                "time_zone",
                "language",
                "suspension_reason",
                "password",
                "is_active",
                "is_staff",
                "is_moderator",
                "last_login",
                "deleted_at",
            ]
        )
        ModerationLog.objects.create(action=ModerationLog.Action.ACCOUNT_DELETED, target_user=user)
        transaction.on_commit(partial(avatars.delete, old_avatar))
        transaction.on_commit(partial(_close_sockets, user.pk))
    logger.info("Account %s deleted by its owner", user.pk)
    return user


def _close_sockets(user_id: int) -> None:
    """Every open websocket of the person closes (4401); the channel layer being down is only logged."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from forum.notifications import account_group

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(account_group(user_id), {"type": "account.closed"})
    except Exception:
        logger.warning("Could not close the sockets of deleted account %s", user_id, exc_info=True)
