"""Background work of the swarm: notification emails (Django's tasks; run inline by default)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string

from forum.models import Notification


@task()
def email_notifications(notification_ids: list[int]) -> int:
    """Email each recipient about one notification. Built from public events only."""
    sent = 0
    notifications = (
        Notification.objects.filter(pk__in=notification_ids, event__vendor__isnull=True, recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient", "event", "event__actor", "event__thread")
    )
    for notification in notifications:
        event = notification.event
        context = {
            "notification": notification,
            "event": event,
            "thread": event.thread,
            "actor": event.actor.name if event.actor else "Someone",
            "url": settings.SITE_URL + event.thread.get_absolute_url(),
        }
        subject = render_to_string("swarm/email/notification_subject.txt", context).strip()
        body = render_to_string("swarm/email/notification.txt", context)
        send_mail(subject, body, None, [notification.recipient.email])
        sent += 1
    return sent
