"""Upvotes: one per user per post, never on one's own post."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext

from forum import access, badges, ratelimit, reputation, timeline
from forum.actions.common import lock_thread_row
from forum.models import EventKind, Post, Thread, User, Vote


def _set_score(post: Post, delta: int) -> int:
    Post.objects.filter(pk=post.pk).update(score=F("score") + delta)
    if post.is_question:
        Thread.objects.filter(pk=post.thread_id).update(score=F("score") + delta)
    return Post.objects.values_list("score", flat=True).get(pk=post.pk)


def upvote(*, user: User, post: Post) -> int:
    """Add the user's vote; returns the post's new score."""
    if user.is_authenticated and post.author_id == user.pk:
        raise ValidationError(gettext("You can't vote on your own post."), code="own_post")
    access.require_participant(user, gettext("Log in to vote."))
    access.require(access.can_vote(user, post), gettext("Log in to vote."))
    if not post.is_visible:
        raise ValidationError(
            gettext("This post is hidden or waiting for review: it can't be voted on."), code="not_visible"
        )
    with transaction.atomic():
        thread = lock_thread_row(post.thread_id)
        ratelimit.check(user_id=user.pk, action="vote")
        try:
            with transaction.atomic():
                Vote.objects.create(post=post, user=user)
        except IntegrityError:
            raise ValidationError(gettext("You have already voted for this post."), code="already_voted") from None
        score = _set_score(post, +1)
        reputation.vote_given(voter=user, post=post)
        event = timeline.record(thread=thread, kind=EventKind.VOTED, actor=user, post=post, data={"score": score})
        badges.after_vote(voter=user, post=post, thread=thread, score=score, event=event)
    return score


def withdraw_vote(*, user: User, post: Post) -> int:
    """Take the user's vote back; returns the post's new score."""
    access.require_participant(user, gettext("Log in to vote."))
    access.require(access.can_vote(user, post), gettext("Log in to vote."))
    with transaction.atomic():
        thread = lock_thread_row(post.thread_id)
        ratelimit.check(user_id=user.pk, action="vote")
        deleted, _ = Vote.objects.filter(post=post, user=user).delete()
        if not deleted:
            raise ValidationError(gettext("You have not voted for this post."), code="not_voted")
        score = _set_score(post, -1)
        reputation.vote_withdrawn(voter=user, post=post)
        timeline.record(thread=thread, kind=EventKind.VOTE_WITHDRAWN, actor=user, post=post, data={"score": score})
    return score
