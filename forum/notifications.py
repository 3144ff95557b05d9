"""Notifications, made from timeline events inside the same transaction.

``fan_out(event)`` decides who hears about an event: followers of the thread
for a reply (the author and everyone who replied follow automatically),
@mentioned users, the author of an accepted answer, and, for a new thread,
people who follow one of its tags or vendors (unless their settings say no;
forum.models.NotificationSettings). Nobody is told about
their own action, and nobody hears twice about one event. After commit, each
recipient's personal channel group (``user.<id>``) gets a wake-up with the
new unread count, and people who asked for email about replies and mentions
get one (a background task). Private (staff-only) events never make
notifications here.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from forum import outbox
from forum.models import (
    Event,
    EventKind,
    Notification,
    NotificationSettings,
    TagFollow,
    TaggedThread,
    TagMute,
    Thread,
    ThreadFollow,
    ThreadMute,
    ThreadVendor,
    User,
    VendorFollow,
)

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def account_group(user_id: int) -> str:
    """Every websocket a signed-in person has open (thread, bell, inbox): closed when the account goes."""
    return f"account.{user_id}"


def follow(*, user: User, thread_id: int) -> None:
    ThreadFollow.objects.bulk_create([ThreadFollow(thread_id=thread_id, user=user)], ignore_conflicts=True)


def _recipients(event: Event) -> dict[int, str]:
    """Recipient id -> kind; the strongest reason wins (mention over reply)."""
    chosen: dict[int, str] = {}
    if event.kind == EventKind.REPLIED:
        for user_id in ThreadFollow.objects.filter(thread_id=event.thread_id).values_list("user_id", flat=True):
            chosen[user_id] = Notification.Kind.REPLY
    if event.kind == EventKind.POSTED:
        for user_id in _new_thread_followers(event.thread_id):
            chosen[user_id] = Notification.Kind.NEW_THREAD
    if event.kind in (EventKind.POSTED, EventKind.REPLIED, EventKind.EDITED):
        names = event.data.get("mentions") or []
        for user_id in User.objects.filter(username__in=names, is_active=True).values_list("pk", flat=True):
            chosen[user_id] = Notification.Kind.MENTION
    if event.kind == EventKind.ACCEPTED and event.post is not None:
        chosen[event.post.author_id] = Notification.Kind.ACCEPTED
    chosen.pop(event.actor_id, None)
    return chosen


def _new_thread_followers(thread_id: int):
    """Active people who follow one of the thread's tags or vendors and want to hear of new threads."""
    tag_ids = TaggedThread.objects.filter(content_object_id=thread_id).values("tag_id")
    vendor_ids = ThreadVendor.objects.filter(thread_id=thread_id).values("vendor_id")
    follows_tag = TagFollow.objects.filter(user=OuterRef("pk"), tag_id__in=tag_ids)
    follows_vendor = VendorFollow.objects.filter(user=OuterRef("pk"), vendor_id__in=vendor_ids)
    opted_out = NotificationSettings.objects.filter(user=OuterRef("pk"), new_thread_live=False)
    return (
        User.objects.filter(Q(Exists(follows_tag)) | Q(Exists(follows_vendor)), is_active=True)
        .exclude(Exists(opted_out))
        .values_list("pk", flat=True)
    )


EMAIL_KINDS = (Notification.Kind.REPLY, Notification.Kind.MENTION)


def _email_recipients(recipients: dict[int, str]) -> list[int]:
    """Those told of a reply or mention who asked for email about it."""
    candidates = [uid for uid, kind in recipients.items() if kind in EMAIL_KINDS]
    if not candidates:
        return []
    return list(
        NotificationSettings.objects.filter(
            user_id__in=candidates, email_replies_mentions=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


# Notices about the person's own standing arrive even on a muted thread.
UNMUTABLE = frozenset({Notification.Kind.MODERATION, Notification.Kind.BADGE})
# A muted tag is a broad choice: notices that name the person still arrive (see _muted): a mention,
# their answer accepted, and a vendor's work for its staff (an escalation to it, activity on a claim).
ADDRESSED = UNMUTABLE | {
    Notification.Kind.MENTION,
    Notification.Kind.ACCEPTED,
    Notification.Kind.ESCALATED,
    Notification.Kind.CLAIM_ACTIVITY,
}


def _muted(event: Event, recipients: dict[int, str]) -> set[int]:
    """Recipients who muted the thread, or one of its tags and are not addressed directly. Two queries at most.

    Addressed directly: a kind in ADDRESSED, or any notice about a thread they asked (a tag
    mute must not hide replies to their own question). A tag mute silences replies on threads
    they follow, new threads from followed tags or vendors, and radar notices.
    """
    muting = [uid for uid, kind in recipients.items() if kind not in UNMUTABLE]
    if not muting:
        return set()
    muted = set(
        ThreadMute.objects.filter(thread_id=event.thread_id, user_id__in=muting).values_list("user_id", flat=True)
    )
    broad = [uid for uid in muting if recipients[uid] not in ADDRESSED and uid not in muted]
    if broad:
        tags = TaggedThread.objects.filter(content_object_id=event.thread_id).values("tag_id")
        asker = Thread.objects.filter(pk=event.thread_id).values("author_id")
        by_tag = TagMute.objects.filter(user_id__in=broad, tag_id__in=tags).exclude(user_id__in=asker)
        muted.update(by_tag.values_list("user_id", flat=True))
    return muted


def fan_out(event: Event) -> None:
    """Create the event's notifications and make its actor follow the thread."""
    if event.vendor_id is not None:
        return
    if event.actor_id and event.kind in (EventKind.POSTED, EventKind.REPLIED):
        follow(user=event.actor, thread_id=event.thread_id)
    notify(event, _recipients(event))


def notify(event: Event, recipients: dict[int, str], *, override: bool = False, email: bool = False) -> list[int]:
    """Tell these users (id -> Notification.Kind) about a public event; wake their bells after commit.

    Nobody hears about their own action or twice about one event. With
    ``override``, a stronger reason replaces the kind of a notification that
    already exists for the event (a reply that is a vendor's answer, say).
    Replies and mentions are emailed to those who asked for it; ``email``
    emails every recipient (the swarm's escalation notices). Returns who was told.
    """
    if event.vendor_id is not None:
        raise ValueError("Private (staff-only) events never make notifications.")
    recipients = {uid: kind for uid, kind in recipients.items() if uid != event.actor_id}
    for uid in _muted(event, recipients):
        recipients.pop(uid, None)
    if not recipients:
        return []
    if override:
        for uid, kind in recipients.items():
            Notification.objects.filter(recipient_id=uid, event=event).exclude(kind=kind).update(kind=kind)
    Notification.objects.bulk_create(
        [Notification(recipient_id=uid, kind=kind, event=event) for uid, kind in recipients.items()],
        ignore_conflicts=True,
    )
    users = list(recipients)
    transaction.on_commit(lambda: _wake(users))
    emailed = users if email else _email_recipients(recipients)
    if emailed:
        _enqueue_emails(event.pk, emailed)
    return users


def email_later(event: Event, user_ids: list[int]) -> None:
    """Email these people (already notified of the event), queued with the write (forum.outbox)."""
    if user_ids:
        _enqueue_emails(event.pk, list(user_ids))


def _email_task():
    from forum.tasks import send_notification_emails  # late: tasks import the mail templates

    return send_notification_emails


def _enqueue_emails(event_id: int, user_ids: list[int]) -> None:
    outbox.enqueue_with_write(
        _email_task, f"the notification email for event {event_id}", event_id=event_id, user_ids=user_ids
    )


def badge_earned(*, user_id: int, event: Event) -> None:
    """Tell a user they earned a badge; the event is what earned it. Inside the action's transaction."""
    Notification.objects.bulk_create(
        [Notification(recipient_id=user_id, kind=Notification.Kind.BADGE, event=event)], ignore_conflicts=True
    )
    transaction.on_commit(lambda: _wake([user_id]))


def unread(user: User) -> QuerySet[Notification]:
    """The user's unread notifications (the bell's count)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def unread_count(user: User) -> int:
    return unread(user).count()


def unread_count_column(user: User) -> Coalesce:
    """``unread_count(user)`` as a column for another query's row: the thread page reads it with its thread."""
    counted = unread(user).values("recipient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def mark_all_read(*, user: User) -> int:
    updated = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    transaction.on_commit(lambda: _wake([user.pk]))
    return updated


def _wake(user_ids: list[int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for user_id in user_ids:
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "notifications.changed"})
        except Exception:
            logger.warning(
                "Live notification for user %s failed; the bell catches up on reload", user_id, exc_info=True
            )
