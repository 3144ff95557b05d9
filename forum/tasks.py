"""Background work, on Django's tasks framework (settings.TASKS: inline by default, a worker in production)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils.text import Truncator

from forum.models import Event, EventKind, Notification, NotificationSettings
from forum.timeline import presenter

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
    sent = 0
    for notice in notices:
        user = notice.recipient
        # As this person may see it when the email goes out (forum.timeline.presenter): a post hidden
        # since is not quoted, and a thread that no longer exists for them is not mentioned.
        if presenter.event(user, event) is presenter.Seen.NOT_FOUND:
            continue
        body_text = presenter.post_text(user, post)[0] if post is not None else ""
        anchor = f"#post-{post.pk}" if post is not None and body_text else ""
        context = {
            "actor": event.actor.name if event.actor else "Someone",
            "thread_title": presenter.thread_title(user, event.thread),
            "vendor_name": event.data.get("vendor_name", ""),
            "excerpt": Truncator(body_text).chars(1000),
            "link": f"{settings.SITE_URL}{presenter.thread_url(user, event.thread)}{anchor}",
            "settings_url": f"{settings.SITE_URL}/settings/notifications/",
        }
        opted_in = notice.kind in (Notification.Kind.REPLY, Notification.Kind.MENTION)
        if notice.kind == Notification.Kind.MENTION:
            phrase = "mentioned you"
        elif notice.kind == Notification.Kind.REPLY:
            phrase = "replied" if event.kind == EventKind.REPLIED else "wrote"
        else:
            phrase = notice.get_kind_display()
        body = render_to_string(
            "forum/email/notification.txt", {**context, "user": user, "what": phrase, "opted_in": opted_in}
        )
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{context['actor']} {phrase}: {context['thread_title']}"
        sent += EmailMessage(subject=subject, body=body, to=[user.email]).send()
    return sent
