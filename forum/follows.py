"""Read side of follows and notification settings, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from taggit.models import Tag

from forum.access import AnyUser
from forum.models import NotificationSettings, TagFollow, TagMute, Thread, ThreadFollow, User, Vendor, VendorFollow


def follows_tag(user: AnyUser, tag: Tag) -> bool:
    return user.is_authenticated and TagFollow.objects.filter(user=user, tag=tag).exists()


def mutes_tag(user: AnyUser, tag: Tag) -> bool:
    return user.is_authenticated and TagMute.objects.filter(user=user, tag=tag).exists()


def follows_vendor(user: AnyUser, vendor: Vendor) -> bool:
    return user.is_authenticated and VendorFollow.objects.filter(user=user, vendor=vendor).exists()


def follows_thread(user: AnyUser, thread: Thread) -> bool:
    return user.is_authenticated and ThreadFollow.objects.filter(user=user, thread=thread).exists()


def settings_for(user: User) -> NotificationSettings:
    """The saved settings, or unsaved defaults for someone who never changed them."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


@dataclass
class Following:
    tags: list[TagFollow]
    vendors: list[VendorFollow]
    threads: list[ThreadFollow]
    muted_tags: list[TagMute]


def following(user: User, limit: int = 200) -> Following:
    """What the person follows and the tags they muted (each with the URL of its undo button). Four queries."""
    result = Following(
        tags=list(TagFollow.objects.filter(user=user).select_related("tag").order_by("tag__name")[:limit]),
        vendors=list(VendorFollow.objects.filter(user=user).select_related("vendor").order_by("vendor__name")[:limit]),
        threads=list(
            ThreadFollow.objects.filter(user=user)
            .select_related("thread")
            .defer("thread__search_vector")
            .order_by("-thread__last_activity_at", "-id")[:limit]
        ),
        muted_tags=list(TagMute.objects.filter(user=user).select_related("tag").order_by("tag__name")[:limit]),
    )
    for f in result.tags:
        f.follow_url = reverse("forum:follow_tag", args=[f.tag.name])
    for m in result.muted_tags:
        m.mute_url = reverse("forum:mute_tag", args=[m.tag.name])
    for f in result.vendors:
        f.follow_url = reverse("forum:follow_vendor", args=[f.vendor.handle])
    for f in result.threads:
        f.follow_url = reverse("forum:follow_thread", args=[f.thread_id])
    return result
