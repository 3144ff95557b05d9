"""Knowledge upkeep: duplicates, answers verified by a vendor, answers flagged outdated, reuse.

Each action records one public timeline event. A verification names its
vendor in the event's data, never in ``Event.vendor``: that field makes an
event private to the vendor's staff, and a verification is for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, hooks, timeline
from forum.models import AnswerVerification, Article, ArticleReuse, EventKind, OutdatedFlag, Post, Thread, User, Vendor
from forum.timeline import presenter
from forum.validation import normalise_text

OUTDATED_REASON_MIN = 5
OUTDATED_REASON_MAX = 200


def _lock_pair(a: int, b: int) -> tuple[Thread, Thread]:
    """Both threads under row locks, taken in id order so two moderators never deadlock."""
    rows = {t.pk: t for t in Thread.objects.select_for_update(no_key=True).filter(pk__in=sorted({a, b})).order_by("pk")}
    if a not in rows or b not in rows:
        raise ValidationError(gettext("That thread no longer exists."), code="gone")
    return rows[a], rows[b]


def mark_duplicate(*, user: User, thread: Thread, canonical: Thread) -> Thread:
    """Mark ``thread`` as asking the same thing as ``canonical``; readers are sent there.

    Refuses a thread marked as its own duplicate, a canonical that is itself a
    duplicate (the message names its canonical), a thread that others already
    point to (no chains, hence no cycles) and, for anyone but a moderator, a
    locked thread. An escalated thread only a moderator marks, and whatever
    the swarm keeps on it (escalations, me-toos) stays there untouched. Sends
    ``forum.hooks.thread_marked_duplicate`` in the transaction.
    """
    access.require(access.can_mark_duplicate(user, thread), access.mark_duplicate_refusal(thread))
    if thread.pk == canonical.pk:
        raise ValidationError(gettext("A thread can't be a duplicate of itself."), code="self")
    with transaction.atomic():
        thread, canonical = _lock_pair(thread.pk, canonical.pk)
        # Again under the lock: an escalation may have been recorded since the check above.
        access.require(access.can_mark_duplicate(user, thread), access.mark_duplicate_refusal(thread))
        if thread.is_locked and not access.is_moderator(user):
            raise PermissionDenied(gettext("This thread is locked; only a moderator can mark it a duplicate."))
        if canonical.duplicate_of_id is not None:
            raise ValidationError(
                gettext(
                    "“%(title)s” is itself a duplicate of thread %(duplicate_of_id)s; "
                    "mark this one a duplicate of that thread instead."
                )
                % {"title": canonical.title, "duplicate_of_id": canonical.duplicate_of_id},
                code="canonical_is_duplicate",
            )
        if thread.duplicate_of_id is not None:
            raise ValidationError(
                gettext("This thread is already marked a duplicate; unmark it first."), code="already_duplicate"
            )
        if Thread.objects.filter(duplicate_of=thread).exists():
            raise ValidationError(
                gettext(
                    gettext(
                        "Other threads are marked duplicates of this one, so it can't point elsewhere; "
                        "mark the other thread a duplicate of this one instead."
                    )
                ),
                code="has_duplicates",
            )
        thread.duplicate_of = canonical
        thread.save(update_fields=["duplicate_of"])
        timeline.record(
            thread=thread,
            kind=EventKind.DUPLICATE,
            actor=user,
            data={"canonical": canonical.pk, "canonical_title": canonical.title},
        )
        hooks.thread_marked_duplicate.send(sender=Thread, duplicate=thread, canonical=canonical, actor=user)
    return thread


def unmark_duplicate(*, user: User, thread: Thread) -> Thread:
    """Take back a duplicate mark."""
    access.require(access.can_mark_duplicate(user, thread), access.mark_duplicate_refusal(thread))
    with transaction.atomic():
        thread = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
        if thread.duplicate_of_id is None:
            raise ValidationError(gettext("This thread is not marked a duplicate."), code="not_duplicate")
        previous = thread.duplicate_of_id
        thread.duplicate_of = None
        thread.save(update_fields=["duplicate_of"])
        timeline.record(thread=thread, kind=EventKind.DUPLICATE_CLEARED, actor=user, data={"previous": previous})
    return thread


def verify_answer(*, user: User, post: Post, vendor: Vendor | None = None) -> AnswerVerification:
    """Verified staff of a vendor on the thread vouch for its accepted answer ("Verified by Northwind")."""
    thread = post.thread
    staffed = access.vendors_staffed_on_thread(user, thread)
    access.require(bool(staffed), gettext("Only verified staff of a vendor on this thread can verify its answer."))
    if vendor is None:
        vendor = staffed[0]
    access.require(
        vendor in staffed, gettext("You are not verified staff of %(name)s on this thread.") % {"name": vendor.name}
    )
    with transaction.atomic():
        thread = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)  # the accepted answer may have changed
        if thread.accepted_post_id != post.pk:
            raise ValidationError(gettext("Only the accepted answer can be verified."), code="not_accepted")
        try:
            with transaction.atomic():
                verification = AnswerVerification.objects.create(post=post, vendor=vendor, verified_by=user)
        except IntegrityError:
            raise ValidationError(
                gettext("%(name)s has already verified this answer.") % {"name": vendor.name}, code="already_verified"
            ) from None
        timeline.record(
            thread=thread,
            kind=EventKind.VERIFIED,
            actor=user,
            post=post,
            data={"vendor": vendor.handle, "vendor_name": vendor.name},
        )
    return verification


def clean_outdated_reason(reason: str) -> str:
    reason = " ".join(normalise_text(reason or "").split())
    if len(reason) < OUTDATED_REASON_MIN:
        raise ValidationError(gettext("Say briefly why the answer is outdated (a few words)."), code="reason_short")
    if len(reason) > OUTDATED_REASON_MAX:
        raise ValidationError(
            gettext("Keep the reason under %(outdated_reason_max)s characters.")
            % {"outdated_reason_max": OUTDATED_REASON_MAX},
            code="reason_long",
        )
    return reason


def flag_outdated(*, user: User, post: Post, reason: str) -> OutdatedFlag:
    """Warn readers that an answer no longer applies, with a short reason."""
    thread = post.thread
    access.require(
        access.can_flag_outdated(user, thread),
        gettext(
            gettext(
                "Only the person who asked, moderators, trusted members and staff of a vendor on this thread "
                "can flag an answer outdated."
            )
        ),
    )
    if post.is_question:
        raise ValidationError(gettext("Only answers can be flagged outdated."), code="question")
    reason = clean_outdated_reason(reason)
    with transaction.atomic():
        thread = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
        if OutdatedFlag.objects.filter(post=post).exists():
            raise ValidationError(gettext("This answer is already flagged outdated."), code="already_outdated")
        flag = OutdatedFlag.objects.create(post=post, reason=reason, flagged_by=user, flagged_at=timezone.now())
        timeline.record(thread=thread, kind=EventKind.OUTDATED, actor=user, post=post, data={"reason": reason})
    return flag


def clear_outdated(*, user: User, post: Post) -> None:
    """Staff of a vendor on the thread, or a moderator, say the answer applies again."""
    thread = post.thread
    access.require(
        access.can_clear_outdated(user, thread),
        gettext("Only moderators and staff of a vendor on this thread can clear an outdated flag."),
    )
    with transaction.atomic():
        thread = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
        deleted, _ = OutdatedFlag.objects.filter(post=post).delete()
        if not deleted:
            raise ValidationError(gettext("This answer is not flagged outdated."), code="not_outdated")
        timeline.record(thread=thread, kind=EventKind.OUTDATED_CLEARED, actor=user, post=post, data={})


THREAD_LINK_RE = re.compile(r"^/t/(\d{1,12})(?:/|$)")
ARTICLE_LINK_RE = re.compile(r"^/kb/a/(\d{1,12})(?:/|$)")
MAX_REUSES_PER_REPLY = 5


def _site_hosts() -> set[str]:
    hosts = {h.lower() for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")}
    return hosts | {urlsplit(settings.SITE_URL).netloc.lower()}


def _linked_ids(links: Iterable[str], pattern: re.Pattern[str]) -> list[int]:
    hosts = _site_hosts()
    ids: list[int] = []
    for link in links:
        parts = urlsplit(link)
        if parts.netloc and parts.netloc.lower() not in hosts:
            continue
        match = pattern.match(parts.path)
        if match and int(match.group(1)) not in ids:
            ids.append(int(match.group(1)))
    return ids[:MAX_REUSES_PER_REPLY]


def linked_thread_ids(links: Iterable[str]) -> list[int]:
    """Thread ids that a post's links point to on this site (/t/42/… or https://this-site/t/42/…)."""
    return _linked_ids(links, THREAD_LINK_RE)


def linked_article_ids(links: Iterable[str]) -> list[int]:
    """Knowledge-article ids that a post's links point to on this site (/kb/a/7/…)."""
    return _linked_ids(links, ARTICLE_LINK_RE)


def record_reuses(*, thread: Thread, post: Post, links: Iterable[str]) -> list[ArticleReuse]:
    """A published reply links solved threads or knowledge articles: each helped ``thread`` once.

    Part of publishing the reply (``forum.actions.posts.publish_reply``), inside its
    transaction, so the reply's REPLIED event is the one visible change: a reuse is a
    counter on the article, not an event of its own. Only public, solved, canonical
    threads other than this one count, and published articles (a reuse of the article is
    counted on its source thread, so the thread and its article share one count); a second
    link to the same article from the same thread is not a second reuse (a unique constraint).
    """
    links = list(links)
    thread_ids, article_ids = linked_thread_ids(links), linked_article_ids(links)
    if not thread_ids and not article_ids:
        return []
    solved = Q(pk__in=thread_ids, status=Thread.Status.SOLVED)
    published = Article.objects.filter(pk__in=article_ids, status=Article.Status.PUBLISHED).values("thread_id")
    articles = presenter.public_threads(Thread.objects.filter(solved | Q(pk__in=published)).exclude(pk=thread.pk))
    made = []
    for article in articles.filter(duplicate_of__isnull=True).only("pk")[:MAX_REUSES_PER_REPLY]:
        try:
            with transaction.atomic():
                made.append(ArticleReuse.objects.create(article=article, helped=thread, post=post))
        except IntegrityError:  # this article already helped this thread
            continue
    return made
