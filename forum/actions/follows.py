"""Following tags, vendors and threads, and a person's notification settings.

These changes concern only the person making them, so they record no timeline event.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy
from taggit.models import Tag

from forum import access, notifications
from forum.models import (
    NotificationSettings,
    TagFollow,
    TagMute,
    Thread,
    ThreadFollow,
    ThreadMute,
    User,
    Vendor,
    VendorFollow,
)
from forum.timeline import presenter

LOGIN_TO_FOLLOW = gettext_lazy("Log in to follow.")


def _require_member(user: User) -> None:
    access.require(user.is_authenticated and user.is_active, LOGIN_TO_FOLLOW)


def follow_tag(*, user: User, tag: Tag) -> None:
    """Hear about every new thread tagged ``tag`` (lifting a mute of it). Following twice is harmless."""
    _require_member(user)
    with transaction.atomic():
        TagMute.objects.filter(user=user, tag=tag).delete()
        TagFollow.objects.bulk_create([TagFollow(user=user, tag=tag)], ignore_conflicts=True)


def mute_tag(*, user: User, tag: Tag) -> None:
    """Hear nothing about threads tagged ``tag`` unless addressed directly (forum.notifications._muted).

    Watching and muting exclude each other: muting stops following the tag. Muting twice is harmless.
    """
    _require_member(user)
    with transaction.atomic():
        TagFollow.objects.filter(user=user, tag=tag).delete()
        TagMute.objects.bulk_create([TagMute(user=user, tag=tag)], ignore_conflicts=True)


def unmute_tag(*, user: User, tag: Tag) -> None:
    _require_member(user)
    TagMute.objects.filter(user=user, tag=tag).delete()


def unfollow_tag(*, user: User, tag: Tag) -> None:
    _require_member(user)
    TagFollow.objects.filter(user=user, tag=tag).delete()


def follow_vendor(*, user: User, vendor: Vendor) -> None:
    """Hear about every new thread that involves ``vendor``."""
    _require_member(user)
    VendorFollow.objects.bulk_create([VendorFollow(user=user, vendor=vendor)], ignore_conflicts=True)


def unfollow_vendor(*, user: User, vendor: Vendor) -> None:
    _require_member(user)
    VendorFollow.objects.filter(user=user, vendor=vendor).delete()


def follow_thread(*, user: User, thread: Thread) -> None:
    """Hear about every reply on ``thread`` (its author and repliers follow it already)."""
    _require_member(user)
    notifications.follow(user=user, thread_id=thread.pk)


def unfollow_thread(*, user: User, thread: Thread) -> None:
    """Stop hearing about replies; replying again follows the thread again."""
    _require_member(user)
    ThreadFollow.objects.filter(user=user, thread=thread).delete()


def mute_thread(*, user: User, thread: Thread) -> None:
    """Hear nothing more about ``thread``, whatever the reason (replying again does not undo it)."""
    presenter.require_thread(user, thread)
    ThreadMute.objects.bulk_create([ThreadMute(user=user, thread=thread)], ignore_conflicts=True)
    ThreadFollow.objects.filter(user=user, thread=thread).delete()


def unmute_thread(*, user: User, thread: Thread) -> None:
    """Hear about ``thread`` again (mentions at once; replies once you follow it again)."""
    ThreadMute.objects.filter(user=user, thread=thread).delete()


def update_notification_settings(
    *, user: User, new_thread_live: bool, daily_digest: bool, email_replies_mentions: bool
) -> NotificationSettings:
    """Save what the person wants to hear about."""
    _require_member(user)
    with transaction.atomic():
        prefs, _ = NotificationSettings.objects.select_for_update().get_or_create(user=user)
        prefs.new_thread_live = new_thread_live
        prefs.daily_digest = daily_digest
        prefs.email_replies_mentions = email_replies_mentions
        prefs.save(update_fields=["new_thread_live", "daily_digest", "email_replies_mentions"])
    return prefs
