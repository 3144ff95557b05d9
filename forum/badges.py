"""Badges: declared here in code, awarded once (per tag for tag badges) by the actions that earn them.

Awarded rows live in ``UserBadge``; the awarding event is kept so the badge
notice can point at what earned it. Badges are never taken back: they mark
something that happened (docs/reputation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from forum import notifications
from forum.models import Event, Post, Thread, User, UserBadge, Vote


@dataclass(frozen=True)
class Badge:
    slug: str
    # Lazy translations, kept as declared; read through ``name`` and ``description`` (in the active language).
    lazy_name: Promise
    lazy_description: Promise
    level: str  # bronze, silver, gold
    per_tag: bool = False

    @property
    def name(self) -> str:
        return str(self.lazy_name)

    @property
    def description(self) -> str:
        return str(self.lazy_description)

    def title(self, tag: str = "") -> str:
        return self.name.format(tag=tag) if self.per_tag else self.name

    @property
    def generic_name(self) -> str:
        """The name for lists of badges: "Tag expert" for the per-tag one."""
        return self.title(gettext("Tag")) if self.per_tag else self.name


LEVELS = ("gold", "silver", "bronze")
HELPFUL_SCORE = 5
GREAT_ANSWER_SCORE = 25
ENTHUSIAST_VOTES = 10
TAG_EXPERT_ACCEPTED = 10

BADGES: dict[str, Badge] = {
    b.slug: b
    for b in [
        Badge(
            "first-answer",
            gettext_lazy("First answer"),
            gettext_lazy("Posted a first reply to someone's question."),
            "bronze",
        ),
        Badge(
            "scholar",
            gettext_lazy("Scholar"),
            gettext_lazy("Accepted an answer to one of your own questions."),
            "bronze",
        ),
        Badge(
            "first-accepted",
            gettext_lazy("First accepted answer"),
            gettext_lazy("Had an answer accepted by the person who asked."),
            "bronze",
        ),
        Badge(
            "teacher",
            gettext_lazy("Teacher"),
            gettext_lazy("Had an answer accepted by someone else and upvoted at least once."),
            "bronze",
        ),
        Badge(
            "enthusiast",
            gettext_lazy("Enthusiast"),
            format_lazy(gettext_lazy("Upvoted {count} posts."), count=ENTHUSIAST_VOTES),
            "bronze",
        ),
        Badge(
            "helpful",
            gettext_lazy("Helpful"),
            format_lazy(gettext_lazy("Wrote an answer that reached a score of {score}."), score=HELPFUL_SCORE),
            "silver",
        ),
        Badge(
            "great-answer",
            gettext_lazy("Great answer"),
            format_lazy(gettext_lazy("Wrote an answer that reached a score of {score}."), score=GREAT_ANSWER_SCORE),
            "gold",
        ),
        Badge(
            "tag-expert",
            gettext_lazy("{tag} expert"),
            format_lazy(
                gettext_lazy("Had {count} answers accepted by others on threads with the tag."),
                count=TAG_EXPERT_ACCEPTED,
            ),
            "silver",
            per_tag=True,
        ),
    ]
}


def get(slug: str) -> Badge | None:
    return BADGES.get(slug)


def award(*, user_id: int, slug: str, event: Event, post: Post | None = None, tag: str = "") -> UserBadge | None:
    """Give the badge unless the user already has it; tell them. Must run in the action's transaction."""
    if slug not in BADGES:
        raise ValueError(f"Unknown badge {slug!r}")
    if UserBadge.objects.filter(user_id=user_id, badge=slug, tag=tag).exists():
        return None
    try:
        with transaction.atomic():
            earned = UserBadge.objects.create(user_id=user_id, badge=slug, tag=tag, post=post, event=event)
    except IntegrityError:  # awarded concurrently
        return None
    notifications.badge_earned(user_id=user_id, event=event)
    return earned


def after_reply(*, post: Post, event: Event) -> None:
    if post.thread.author_id != post.author_id:
        award(user_id=post.author_id, slug="first-answer", event=event, post=post)


def after_vote(*, voter: User, post: Post, thread: Thread, score: int, event: Event) -> None:
    if Vote.objects.filter(user=voter).count() >= ENTHUSIAST_VOTES:
        award(user_id=voter.pk, slug="enthusiast", event=event)
    if post.is_question:
        return
    if score >= HELPFUL_SCORE:
        award(user_id=post.author_id, slug="helpful", event=event, post=post)
    if score >= GREAT_ANSWER_SCORE:
        award(user_id=post.author_id, slug="great-answer", event=event, post=post)
    if score >= 1 and thread.accepted_post_id == post.pk and thread.author_id != post.author_id:
        award(user_id=post.author_id, slug="teacher", event=event, post=post)


def after_accept(*, asker: User, thread: Thread, post: Post, event: Event) -> None:
    if post.author_id == asker.pk:
        return
    award(user_id=asker.pk, slug="scholar", event=event, post=post)
    award(user_id=post.author_id, slug="first-accepted", event=event, post=post)
    if Post.objects.values_list("score", flat=True).get(pk=post.pk) >= 1:
        award(user_id=post.author_id, slug="teacher", event=event, post=post)
    for tag in thread.tags.values_list("name", flat=True):
        accepted_in_tag = (
            Thread.objects.filter(tags__name=tag, accepted_post__author_id=post.author_id)
            .exclude(author_id=post.author_id)
            .count()
        )
        if accepted_in_tag >= TAG_EXPERT_ACCEPTED:
            award(user_id=post.author_id, slug="tag-expert", event=event, post=post, tag=tag)
