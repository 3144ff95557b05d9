"""Knowledge articles' life: draft from a confirmed solution, publish, flag, fix, retire.

Each action checks ``forum.access``, locks the source thread's row and then the
article (the one lock order), and records exactly one event on the thread's public
timeline. A draft's events are shown only to those who may see the draft
(``forum.timeline.presenter``); see docs/knowledge.md, "Article life".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import access, idempotency, ratelimit, timeline
from forum.actions.common import lock_thread_row
from forum.markdown import render
from forum.models import Article, ArticleFlag, EventKind, ReviewState, Thread, User, Vendor
from forum.validation import clean_body, clean_title, normalise_text

ENVIRONMENT_MIN, ENVIRONMENT_MAX = 3, 300
CAUSE_MIN, CAUSE_MAX = 3, 5000
REASON_MIN, REASON_MAX = 5, 200


@dataclass
class ArticleText:
    """What a person writes in an article; cleaned by ``clean``."""

    title: str
    environment: str
    cause: str
    resolution: str


def _line(value: str, *, low: int, high: int, what: str) -> str:
    text = " ".join(normalise_text(value or "").split())
    if len(text) < low:
        raise ValidationError(_("Please fill in the %(what)s (a few words at least).") % {"what": what}, code="short")
    if len(text) > high:
        raise ValidationError(
            _("The %(what)s is %(n)d characters long; the limit is %(limit)d.")
            % {"what": what, "n": len(text), "limit": high},
            code="long",
        )
    return text


def clean(text: ArticleText) -> ArticleText:
    """Every field checked, each refusal with its own message; nothing is written on a refusal."""
    cause = normalise_text(text.cause or "").strip()
    if len(cause) < CAUSE_MIN:
        raise ValidationError(_("Please say what caused the problem."), code="cause_short")
    if len(cause) > CAUSE_MAX:
        raise ValidationError(_("Keep the cause under %(limit)d characters.") % {"limit": CAUSE_MAX}, code="long")
    return ArticleText(
        title=clean_title(text.title),
        environment=_line(text.environment, low=ENVIRONMENT_MIN, high=ENVIRONMENT_MAX, what=_("environment")),
        cause=cause,
        resolution=clean_body(text.resolution),
    )


def _event(article: Article, **extra) -> dict:
    return {"article": article.pk, "title": article.title, "revision": article.revision, **extra}


def _locked(article: Article) -> Article:
    """The thread row first, then the article: the forum's one lock order."""
    lock_thread_row(article.thread_id)
    return Article.objects.select_for_update().select_related("thread").get(pk=article.pk)


def draft_article(
    *,
    user: User,
    thread: Thread,
    text: ArticleText,
    vendor: Vendor | None = None,
    idempotency_key: str | None = None,
) -> Article:
    """Turn a customer-confirmed solution into an article draft, linked back to its thread.

    Drafted by staff of a vendor on the thread, the article is that vendor's (its staff
    review it); drafted by a trusted member, moderators review it. One article per thread.
    """
    access.require_participant(user, _("Log in to draft an article."))
    staffed = access.vendors_staffed_on_thread(user, thread)
    access.require(
        access.can_draft_article(user, thread, staffed),
        _("Only staff of a vendor on this thread and trusted members can draft an article from it."),
    )
    if vendor is not None:
        access.require(
            vendor in staffed, _("You are not verified staff of %(vendor)s on this thread.") % {"vendor": vendor.name}
        )
    elif staffed:
        vendor = staffed[0]
    text = clean(text)
    rendered = render(text.resolution)
    with transaction.atomic():
        thread = lock_thread_row(thread.pk)
        earlier = idempotency.earlier_result(user=user, key=idempotency_key, scope="article")
        if earlier is not None:
            return idempotency.existing(Article.objects.filter(author=user), earlier)
        if thread.review_state != ReviewState.VISIBLE or thread.duplicate_of_id is not None:
            raise ValidationError(_("Articles are made from public threads that are not duplicates."), code="thread")
        if not access.is_confirmed_solution(thread):
            raise ValidationError(
                _(
                    "Only a solution the customer confirmed (an accepted answer or a confirmed escalation) "
                    "can become an article."
                ),
                code="unconfirmed",
            )
        if Article.objects.filter(thread=thread).exists():
            raise ValidationError(_("This thread already has an article."), code="exists")
        ratelimit.check(user_id=user.pk, action="article")
        now = timezone.now()
        article = Article.objects.create(
            thread=thread,
            vendor=vendor,
            title=text.title,
            environment=text.environment,
            cause=text.cause,
            resolution=text.resolution,
            resolution_html=rendered.html,
            author=user,
            created_at=now,
            updated_at=now,
        )
        timeline.record(thread=thread, kind=EventKind.ARTICLE_DRAFTED, actor=user, data=_event(article))
        idempotency.remember_result(user=user, key=idempotency_key, result_id=article.pk)
    return article


def review_refusal(article: Article) -> str:
    """Who may review the article, in words a person can act on."""
    who = _("staff of %(vendor)s") % {"vendor": article.vendor.name} if article.vendor_id else _("moderators")
    return _("Only %(who)s can review, fix or retire this article.") % {"who": who}


def publish_article(*, user: User, article: Article) -> Article:
    """A reviewer publishes a draft: it joins the knowledge base and the suggestions."""
    access.require_participant(user, _("Log in to review articles."))
    access.require(access.can_review_article(user, article), review_refusal(article))
    with transaction.atomic():
        article = _locked(article)
        if article.status != Article.Status.DRAFT:
            raise ValidationError(_("Only a draft can be published."), code="not_draft")
        now = timezone.now()
        article.status = Article.Status.PUBLISHED
        article.reviewed_by = user
        article.published_at = article.updated_at = now
        article.save(update_fields=["status", "reviewed_by", "published_at", "updated_at"])
        timeline.record(thread=article.thread, kind=EventKind.ARTICLE_PUBLISHED, actor=user, data=_event(article))
    return article


def flag_article(*, user: User, article: Article, environment: str) -> ArticleFlag:
    """ "This didn't work for me", with the reader's environment: once per person and revision."""
    access.require_participant(user, _("Log in to say an article didn't work for you."))
    access.require(
        access.can_flag_article(user),
        _("New accounts can't flag articles yet; come back in a few days."),
    )
    environment = _line(environment, low=ENVIRONMENT_MIN, high=ENVIRONMENT_MAX, what=_("environment"))
    with transaction.atomic():
        article = _locked(article)
        if article.status != Article.Status.PUBLISHED:
            raise ValidationError(_("Only a published article can be flagged."), code="not_published")
        if ArticleFlag.objects.filter(article=article, user=user, revision=article.revision).exists():
            raise ValidationError(_("You already said this article didn't work for you."), code="already_flagged")
        ratelimit.check(user_id=user.pk, action="flag")  # the site's flag limit: no mass flagging
        try:
            with transaction.atomic():
                flag = ArticleFlag.objects.create(
                    article=article, user=user, revision=article.revision, environment=environment
                )
        except IntegrityError:  # a second request of the same person got here first
            raise ValidationError(
                _("You already said this article didn't work for you."), code="already_flagged"
            ) from None
        open_flags = ArticleFlag.objects.filter(article=article, revision=article.revision).count()
        timeline.record(
            thread=article.thread,
            kind=EventKind.ARTICLE_FLAGGED,
            actor=user,
            data=_event(article, environment=environment, open_flags=open_flags),
        )
    return flag


def fix_article(*, user: User, article: Article, text: ArticleText, note: str) -> Article:
    """A new revision of a published article; its flags stop counting (they were about the old one)."""
    access.require_participant(user, _("Log in to fix articles."))
    access.require(access.can_fix_article(user, article), review_refusal(article))
    text = clean(text)
    note = _line(note, low=REASON_MIN, high=REASON_MAX, what=_("note on what changed"))
    rendered = render(text.resolution)
    with transaction.atomic():
        article = _locked(article)
        if article.status != Article.Status.PUBLISHED:
            raise ValidationError(_("Only a published article can be fixed."), code="not_published")
        article.title, article.environment, article.cause = text.title, text.environment, text.cause
        article.resolution, article.resolution_html = text.resolution, rendered.html
        article.revision += 1
        article.updated_at = timezone.now()
        article.save(
            update_fields=["title", "environment", "cause", "resolution", "resolution_html", "revision", "updated_at"]
        )
        timeline.record(
            thread=article.thread, kind=EventKind.ARTICLE_FIXED, actor=user, data=_event(article, note=note)
        )
    return article


def retire_article(*, user: User, article: Article, reason: str) -> Article:
    """Take an article (or a draft) out of the knowledge base and the suggestions, saying why."""
    access.require_participant(user, _("Log in to review articles."))
    access.require(access.can_review_article(user, article), review_refusal(article))
    reason = _line(reason, low=REASON_MIN, high=REASON_MAX, what=_("reason"))
    with transaction.atomic():
        article = _locked(article)
        if article.status == Article.Status.RETIRED:
            raise ValidationError(_("This article is already retired."), code="retired")
        article.status = Article.Status.RETIRED
        article.retired_at = timezone.now()
        article.retire_reason = reason
        article.save(update_fields=["status", "retired_at", "retire_reason"])
        timeline.record(
            thread=article.thread, kind=EventKind.ARTICLE_RETIRED, actor=user, data=_event(article, reason=reason)
        )
    return article
