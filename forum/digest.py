"""The daily digest's read side: which new threads a person hears about, and the email itself.

Threads come from public POSTED events only (``vendor`` is null), so nothing from a
vendor's private staff stream can reach an email, and only threads a visitor may see
(forum.timeline.presenter): one hidden since it was asked is left out.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils.translation import ngettext

from forum.i18n import speaking_to
from forum.models import Event, EventKind, TagFollow, TaggedThread, Thread, ThreadVendor, User, VendorFollow
from forum.timeline import presenter

MAX_THREADS = 50


def threads_for(user: User, *, since: datetime, until: datetime) -> list[Thread]:
    """New threads in the person's followed tags or vendors, newest first. Two queries."""
    posted = Event.objects.filter(
        kind=EventKind.POSTED, vendor__isnull=True, created_at__gte=since, created_at__lt=until
    ).values("thread_id")
    followed_tags = TagFollow.objects.filter(user=user).values("tag_id")
    followed_vendors = VendorFollow.objects.filter(user=user).values("vendor_id")
    in_tag = TaggedThread.objects.filter(content_object=OuterRef("pk"), tag_id__in=followed_tags)
    with_vendor = ThreadVendor.objects.filter(thread=OuterRef("pk"), vendor_id__in=followed_vendors)
    return list(
        presenter.public_threads(Thread.objects.filter(pk__in=posted))
        .filter(Q(Exists(in_tag)) | Q(Exists(with_vendor)))
        .exclude(author=user)
        .defer("search_vector")
        .prefetch_related("tags")
        .order_by("-created_at", "-id")[:MAX_THREADS]
    )


def message_for(user: User, threads: list[Thread], *, day: datetime) -> EmailMultiAlternatives:
    """The digest email, with plain-text and HTML parts."""
    context = {
        "user": user,
        "threads": threads,
        "day": day,
        "site_url": settings.SITE_URL,
        "settings_url": f"{settings.SITE_URL}/settings/notifications/",
    }
    count = len(threads)
    with speaking_to(user):
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + ngettext(
            "%(count)d new thread you follow", "%(count)d new threads you follow", count
        ) % {"count": count}
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("forum/email/digest.txt", context),
            to=[user.email],
        )
        message.attach_alternative(render_to_string("forum/email/digest.html", context), "text/html")
    return message
