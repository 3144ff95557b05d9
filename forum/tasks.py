"""Background work, on Django's tasks framework (settings.TASKS: inline by default, a worker in production)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils.text import Truncator

from forum.models import Event, EventKind, Notification, NotificationSettings

logger = logging.getLogger(__name__)


@task
def send_daily_digests() -> int:
    """Send every opted-in person today's digest; returns how many went out."""
    from forum.actions.digests import send_digest

    sent = 0
    people = NotificationSettings.objects.filter(daily_digest=True, user__is_active=True).select_related("user")
    for prefs in people.iterator(chunk_size=500):
        try:
            sent += send_digest(user=prefs.user)
        except Exception:  # one bad address must not stop everyone else's digest
            logger.exception("Digest for user %s failed", prefs.user_id)
    return sent


@task
def send_notification_emails(*, event_id: int, user_ids: list[int]) -> int:
    """Email people about a public event they were notified of; returns how many were sent.

    Replies and mentions quote the post; other notices (escalations, claims...)
    name what happened. Built from public events only.
    """
    event = Event.objects.select_related("thread", "actor", "post").filter(pk=event_id, vendor__isnull=True).first()
    if event is None:
        return 0
    notices = (
        Notification.objects.filter(event=event, recipient_id__in=user_ids, recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient")
    )
    post = event.post
    target = post if post is not None else event.thread
    context = {
        "actor": event.actor.name if event.actor else "Someone",
        "thread": event.thread,
        "vendor_name": event.data.get("vendor_name", ""),
        "excerpt": Truncator(post.body).chars(1000) if post is not None else "",
        "link": f"{settings.SITE_URL}{target.get_absolute_url()}",
        "settings_url": f"{settings.SITE_URL}/settings/notifications/",
    }
    sent = 0
    for notice in notices:
        user = notice.recipient
        opted_in = notice.kind in (Notification.Kind.REPLY, Notification.Kind.MENTION)
        if notice.kind == Notification.Kind.MENTION:
            phrase = "mentioned you"
        elif notice.kind == Notification.Kind.REPLY:
            phrase = "replied" if event.kind == EventKind.REPLIED else "wrote"
        elif event.kind == EventKind.METOO:  # batched: at most one per thread and window, so give the total
            count = event.data.get("count", 0)
            phrase = f"said “me too” ({count} {'person has' if count == 1 else 'people have'} this problem)"
        else:
            phrase = notice.get_kind_display()
        body = render_to_string(
            "forum/email/notification.txt", {**context, "user": user, "what": phrase, "opted_in": opted_in}
        )
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{context['actor']} {phrase}: {event.thread.title}"
        sent += EmailMessage(subject=subject, body=body, to=[user.email]).send()
    return sent
