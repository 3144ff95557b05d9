"""Background work on Django's tasks framework, run by ``manage.py run_worker`` (docs/worker.md).

Tasks are enqueued after commit, never run inside a request, and may run more
than once (a retry, or a worker killed mid-task): each is idempotent. Emails
go through ``send_once``, which records a key per (event, recipient, channel)
in the transaction that sends the message.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django_tasks_db.models import DBTaskResult

from forum import idempotency, periodic, replyaddress, webhooks
from forum.i18n import speaking_to
from forum.models import (
    Event,
    EventKind,
    Notification,
    NotificationSettings,
    ScheduledRun,
    SentMessage,
    WorkerHeartbeat,
)
from forum.timeline import presenter

logger = logging.getLogger(__name__)


@task
def send_daily_digests() -> int:
    """Send every opted-in person today's digest; returns how many went out. Safe to run again."""
    from forum.actions.digests import send_digest

    sent = failed = 0
    people = NotificationSettings.objects.filter(daily_digest=True, user__is_active=True).select_related("user")
    for prefs in people.iterator(chunk_size=500):
        try:
            sent += send_digest(user=prefs.user)
        except Exception:  # one bad address must not stop everyone else's digest
            logger.exception("Digest for user %s failed", prefs.user_id)
            failed += 1
    if failed:  # the worker retries later; those already sent today are skipped then
        raise RuntimeError(f"{failed} digest(s) failed; {sent} sent")
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
    mailer = mail.mailers.default
    with mailer:  # one SMTP session for the batch
        for notice in notices:
            # As this person may see it when the email goes out (forum.timeline.presenter): a post hidden
            # since is not quoted, and a thread that no longer exists for them is not mentioned.
            if presenter.event(notice.recipient, event) is presenter.Seen.NOT_FOUND:
                continue
            key = f"email:notice:{event.pk}:{notice.recipient_id}"
            if not SentMessage.objects.filter(key=key).exists():  # else sent by an earlier run of this task
                with speaking_to(notice.recipient):
                    context = _notice_context(notice.recipient, event, post)
                    message = _notice_email(notice, event, context)
                sent += send_once(key, message, mailer=mailer)
    return sent


def _notice_context(user, event: Event, post) -> dict:
    body_text = presenter.post_text(user, post)[0] if post is not None else ""
    anchor = f"#post-{post.pk}" if post is not None and body_text else ""
    return {
        "actor": event.actor.name if event.actor else gettext("Someone"),
        "thread_title": presenter.thread_title(user, event.thread),
        "vendor_name": event.data.get("vendor_name", ""),
        "excerpt": Truncator(body_text).chars(1000),
        "link": f"{settings.SITE_URL}{presenter.thread_url(user, event.thread)}{anchor}",
        "settings_url": f"{settings.SITE_URL}/settings/notifications/",
    }


def _notice_email(notice: Notification, event: Event, context: dict) -> EmailMessage:
    user = notice.recipient
    opted_in = notice.kind in (Notification.Kind.REPLY, Notification.Kind.MENTION)
    if notice.kind == Notification.Kind.MENTION:
        phrase = gettext("mentioned you")
    elif notice.kind == Notification.Kind.REPLY:
        phrase = gettext("replied") if event.kind == EventKind.REPLIED else gettext("wrote")
    elif event.kind == EventKind.METOO:  # batched: at most one per thread and window, so give the total
        count = event.data.get("count", 0)
        phrase = ngettext(
            "said “me too” (%(count)d person has this problem)",
            "said “me too” (%(count)d people have this problem)",
            count,
        ) % {"count": count}
    else:
        phrase = str(notice.get_kind_display())
    body = render_to_string(
        "forum/email/notification.txt", {**context, "user": user, "what": phrase, "opted_in": opted_in}
    )
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + gettext("%(actor)s %(what)s: %(title)s") % {
        "actor": context["actor"],
        "what": phrase,
        "title": context["thread_title"],
    }
    # A reply to this email posts on the thread as this person (forum.inbound, docs/email.md).
    headers = replyaddress.reply_headers(user_id=user.pk, thread_id=event.thread_id)
    return EmailMessage(subject=subject, body=body, to=[user.email], headers=headers)


def message_id(key: str) -> str:
    """A Message-ID fixed by the idempotency key, so a resend is recognisably the same message."""
    host = urlsplit(settings.SITE_URL).hostname or "barnraise.localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{host}>"


# Keys of messages the mail server accepted while the database went away before the key
# committed (a PostgreSQL restart mid-send). The worker saves them once the database is back,
# before it queues the interrupted task again, so the re-run skips them (forum.worker.Worker.run).
unsaved_keys: set[str] = set()


def send_once(key: str, message: EmailMessage, *, mailer: BaseEmailBackend | None = None) -> int:
    """Send ``message`` unless ``key`` was already sent; 1 if sent now, else 0.

    The key row is written in the transaction that sends the message and
    commits only once the mail server has accepted it: a worker killed before
    that leaves no key, so the retry sends; a key present means the message
    went out. A second worker racing on the same key waits on the unique
    index and then skips. A database lost after the server accepted leaves the
    key in ``unsaved_keys``. (The one gap SMTP cannot close: a crash between the
    server's "250 OK" and the commit; the Message-ID lets receivers drop the copy.)
    """
    message.extra_headers = {**message.extra_headers, "Message-ID": message_id(key)}
    sent = 0
    try:
        with transaction.atomic():
            _, created = SentMessage.objects.get_or_create(key=key)
            if not created:
                return 0
            sent = (mailer or mail.mailers.default).send_messages([message]) or 0
    except DatabaseError:
        if sent:  # the message is out; only its key is lost
            unsaved_keys.add(key)
        raise
    return sent


def save_unsaved_keys() -> int:
    """Record the keys ``send_once`` could not commit; returns how many. Safe to repeat."""
    saved = 0
    for key in list(unsaved_keys):
        SentMessage.objects.get_or_create(key=key)
        unsaved_keys.discard(key)
        saved += 1
    return saved


@task
def send_domain_proof_email(*, proof_id: int, nonce: str) -> int:
    """Mail a vendor applicant's domain-proof link (forum.actions.joining); once per link."""
    from forum.actions.joining import proof_email

    message = proof_email(proof_id=proof_id, nonce=nonce)
    if message is None:  # replaced by a newer link, or already proven
        return 0
    return send_once(f"email:domain-proof:{proof_id}:{nonce}", message)


@task
def deliver_webhooks() -> int:
    """Send every webhook delivery that is due (forum.webhooks); returns how many were tried."""
    tried = 0
    while batch := webhooks.deliver_due():
        tried += batch
    return tried


KEEP_RUNS = timedelta(days=7)
KEEP_SENT_LOG = timedelta(days=30)  # longer than any task keeps retrying, so no resend slips through


@task
def prune_worker_records() -> int:
    """Delete old finished tasks, schedule rows, sent-log keys, heartbeats of workers long gone, idempotency keys."""
    now = timezone.now()
    deleted = DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_RUNS).delete()[0]
    deleted += ScheduledRun.objects.filter(created_at__lt=now - KEEP_RUNS).delete()[0]
    deleted += SentMessage.objects.filter(sent_at__lt=now - KEEP_SENT_LOG).delete()[0]
    deleted += WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()[0]
    deleted += idempotency.forget_old(now=now)
    return deleted


@task
def lapse_stale_sso_staff() -> int:
    """End staff status a vendor's identity provider has not renewed within VENDOR_SSO_MAX_AGE."""
    from forum.actions.sso import lapse_stale_sso_staff as lapse

    return lapse()


def register_periodic_jobs() -> None:
    periodic.register(
        "send_daily_digests",
        send_daily_digests,
        every=timedelta(days=1),
        offset=timedelta(hours=settings.DIGEST_HOUR_UTC),
    )
    periodic.register("deliver_webhooks", deliver_webhooks, every=timedelta(seconds=15))
    periodic.register("lapse_stale_sso_staff", lapse_stale_sso_staff, every=timedelta(minutes=5))
    periodic.register("prune_worker_records", prune_worker_records, every=timedelta(days=1), offset=timedelta(hours=3))
