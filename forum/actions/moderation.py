"""Moderation: flags, hiding and restoring posts, reviewing new accounts' posts, suspensions.

Flags are private to moderators: flagging records no public event. When enough
trusted members flag one post it is hidden pending review, which is public
(a HIDDEN event naming neither the post's text nor who flagged it). Every
moderator decision writes a ModerationLog row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, ratelimit, reputation, search, timeline
from forum.actions.common import lock_thread_row
from forum.actions.posts import publish_reply
from forum.actions.threads import publish_question
from forum.markdown import render
from forum.models import EventKind, Flag, ModerationLog, Post, ReviewState, Thread, User
from forum.validation import normalise_text

REASON_MAX = 500


def _clean_reason(value: str, *, limit: int, what: str) -> str:
    text = normalise_text(value).strip()
    if len(text) > limit:
        # Whole sentences per field: languages inflect the noun differently.
        message = (
            gettext("The note is %(length)s characters long; the limit is %(limit)s.")
            if what == "note"
            else gettext("The reason is %(length)s characters long; the limit is %(limit)s.")
        )
        raise ValidationError(message % {"length": len(text), "limit": limit}, code="too_long")
    return text


def _require_moderator(user: User, message: str) -> None:
    access.require(access.is_moderator(user), message)


def _set_state(*, thread: Thread, post: Post, state: ReviewState) -> None:
    """Change a post's review state; the question carries its thread along. Re-indexes search."""
    post.review_state = state
    post.save(update_fields=["review_state"])
    if post.is_question:
        thread.review_state = state
        thread.save(update_fields=["review_state"])
    search.index_thread(thread)


def _lock_post(post: Post) -> tuple[Thread, Post]:
    thread = lock_thread_row(post.thread_id)
    return thread, Post.objects.select_for_update().get(pk=post.pk)


def _hide(*, thread: Thread, post: Post, moderator: User | None) -> None:
    _set_state(thread=thread, post=post, state=ReviewState.HIDDEN)
    # The actor is the moderator, or nobody when flags hid it: flaggers stay anonymous.
    timeline.record(thread=thread, kind=EventKind.HIDDEN, actor=moderator, post=post, data={})


def flag_post(*, user: User, post: Post, reason: str, note: str = "") -> Flag:
    """Report a post to the moderators; enough trusted flags hide it pending review."""
    access.require_participant(user, gettext("Log in to flag a post."))
    if post.author_id == user.pk:
        raise ValidationError(gettext("You can't flag your own post."), code="own_post")
    access.require(access.can_flag(user, post), gettext("You can't flag this post."))
    if reason not in Flag.Reason.values:
        raise ValidationError(
            gettext("Choose why you are flagging: spam, abuse, off-topic or other."), code="bad_reason"
        )
    note = _clean_reason(note, limit=Flag.NOTE_MAX, what="note")
    if reason == Flag.Reason.OTHER and not note:
        raise ValidationError(gettext("Say in a few words what is wrong with this post."), code="note_required")
    with transaction.atomic():
        thread, post = _lock_post(post)
        if post.review_state in (ReviewState.PENDING, ReviewState.REJECTED):
            raise ValidationError(gettext("This post is already waiting for a moderator."), code="not_public")
        if Flag.objects.filter(post=post, user=user).exists():
            raise ValidationError(
                gettext("You have already flagged this post; a moderator will look at it."), code="flagged"
            )
        ratelimit.check(user_id=user.pk, action="flag")
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    post=post,
                    user=user,
                    reason=reason,
                    note=note,
                    trusted=access.has_privilege(user, "flag_to_hide"),
                )
        except IntegrityError:
            raise ValidationError(
                gettext("You have already flagged this post; a moderator will look at it."), code="flagged"
            ) from None
        if post.review_state == ReviewState.VISIBLE and flag.trusted:
            _act_on_flags(thread=thread, post=post)
    return flag


def _established_flags(post: Post) -> int:
    """Open trusted flags on the post from distinct established accounts: old enough, with enough
    reputation (the new-account rule of votes) and not suspended now. One flag per member and post."""
    now = timezone.now()
    young = now - timedelta(days=reputation.rule("NEW_VOTER_DAYS"))
    suspended = Q(user__suspended_at__isnull=False) & (
        Q(user__suspended_until__isnull=True) | Q(user__suspended_until__gt=now)
    )
    return (
        Flag.objects.filter(post=post, status=Flag.Status.OPEN, trusted=True, user__is_active=True)
        .filter(user__date_joined__lte=young, user__reputation__gte=reputation.rule("NEW_VOTER_MIN_REPUTATION"))
        .exclude(suspended)
        .values("user_id")
        .distinct()
        .count()
    )


def _act_on_flags(*, thread: Thread, post: Post) -> None:
    """Enough established flags hide a post; a vendor's staff answer goes to the moderators instead.

    Hiding a staff answer would let a few accounts silence a vendor on its own escalation, so a person decides.
    """
    count = _established_flags(post)
    threshold = settings.BARNRAISE["FLAGS_TO_HIDE"]
    if count < threshold:
        return
    if post.staff_vendor_id is not None:
        if count == threshold:  # once per round of flags; the post is locked, so flags arrive one by one
            ModerationLog.objects.create(
                action=ModerationLog.Action.STAFF_FLAGGED,
                target_user_id=post.author_id,
                post=post,
                data={"trusted_flags": count, "vendor": post.staff_vendor_id},
            )
        return
    _hide(thread=thread, post=post, moderator=None)
    ModerationLog.objects.create(
        action=ModerationLog.Action.AUTO_HIDE, target_user_id=post.author_id, post=post, data={"trusted_flags": count}
    )


def _resolve_flags(post: Post, moderator: User, status: Flag.Status) -> int:
    return Flag.objects.filter(post=post, status=Flag.Status.OPEN).update(
        status=status, resolved_at=timezone.now(), resolved_by=moderator
    )


def dismiss_flags(*, moderator: User, post: Post) -> int:
    """The flags on a post were wrong: close them, leave the post as it is. Returns how many."""
    _require_moderator(moderator, gettext("Only moderators can dismiss flags."))
    with transaction.atomic():
        _, post = _lock_post(post)
        count = _resolve_flags(post, moderator, Flag.Status.DISMISSED)
        if not count:
            raise ValidationError(gettext("This post has no open flags."), code="no_flags")
        ModerationLog.objects.create(
            action=ModerationLog.Action.DISMISS, moderator=moderator, target_user_id=post.author_id, post=post
        )
    return count


def hide_post(*, moderator: User, post: Post, reason: str = "") -> Post:
    """A moderator hides a public post pending review (its author still sees it)."""
    _require_moderator(moderator, gettext("Only moderators can hide posts."))
    reason = _clean_reason(reason, limit=REASON_MAX, what="reason")
    with transaction.atomic():
        thread, post = _lock_post(post)
        if post.review_state != ReviewState.VISIBLE:
            raise ValidationError(gettext("Only a visible post can be hidden."), code="not_visible")
        _hide(thread=thread, post=post, moderator=moderator)
        _resolve_flags(post, moderator, Flag.Status.ACTED)
        ModerationLog.objects.create(
            action=ModerationLog.Action.HIDE,
            moderator=moderator,
            target_user_id=post.author_id,
            post=post,
            reason=reason,
        )
    return post


def restore_post(*, moderator: User, post: Post) -> Post:
    """A moderator shows a hidden post again; its open flags are dismissed."""
    _require_moderator(moderator, gettext("Only moderators can restore posts."))
    with transaction.atomic():
        thread, post = _lock_post(post)
        if post.review_state != ReviewState.HIDDEN:
            raise ValidationError(gettext("This post is not hidden."), code="not_hidden")
        _set_state(thread=thread, post=post, state=ReviewState.VISIBLE)
        _resolve_flags(post, moderator, Flag.Status.DISMISSED)
        timeline.record(thread=thread, kind=EventKind.RESTORED, actor=moderator, post=post, data={})
        ModerationLog.objects.create(
            action=ModerationLog.Action.RESTORE, moderator=moderator, target_user_id=post.author_id, post=post
        )
    return post


def approve_post(*, moderator: User, post: Post) -> Post:
    """Publish a post that waited for review: it is listed, searchable, and announced as if just posted."""
    _require_moderator(moderator, gettext("Only moderators can approve posts."))
    with transaction.atomic():
        thread, post = _lock_post(post)
        if post.review_state != ReviewState.PENDING:
            raise ValidationError(gettext("This post is not waiting for review."), code="not_pending")
        post.review_state = ReviewState.VISIBLE
        post.save(update_fields=["review_state"])
        rendered = render(post.body)
        author = User.objects.get(pk=post.author_id)
        if post.is_question:
            thread.review_state = ReviewState.VISIBLE
            thread.last_activity_at = timezone.now()
            thread.save(update_fields=["review_state", "last_activity_at"])
            tag_names = sorted(tag.name for tag in thread.tags.all())
            publish_question(thread=thread, post=post, rendered=rendered, actor=author, tag_names=tag_names)
        else:
            publish_reply(thread=thread, post=post, rendered=rendered, actor=author)
        ModerationLog.objects.create(
            action=ModerationLog.Action.APPROVE, moderator=moderator, target_user_id=post.author_id, post=post
        )
    return post


def reject_post(*, moderator: User, post: Post, reason: str = "") -> Post:
    """Refuse a post that waited for review: nobody sees it any more."""
    _require_moderator(moderator, gettext("Only moderators can reject posts."))
    reason = _clean_reason(reason, limit=REASON_MAX, what="reason")
    with transaction.atomic():
        thread, post = _lock_post(post)
        if post.review_state != ReviewState.PENDING:
            raise ValidationError(gettext("This post is not waiting for review."), code="not_pending")
        _set_state(thread=thread, post=post, state=ReviewState.REJECTED)
        ModerationLog.objects.create(
            action=ModerationLog.Action.REJECT,
            moderator=moderator,
            target_user_id=post.author_id,
            post=post,
            reason=reason,
        )
    return post


def suspend_user(*, moderator: User, user: User, until: datetime | None, reason: str) -> User:
    """Stop a member from posting, replying, voting, flagging and editing, until a date or indefinitely."""
    access.require(
        access.can_suspend(moderator, user), gettext("Moderators can suspend members, not other moderators.")
    )
    reason = _clean_reason(reason, limit=REASON_MAX, what="reason")
    if not reason:
        raise ValidationError(gettext("Say why: the member is shown the reason."), code="reason_required")
    now = timezone.now()
    if until is not None and until <= now:
        raise ValidationError(gettext("The end of the suspension must be in the future."), code="until_past")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.suspended_at = now
        user.suspended_until = until
        user.suspension_reason = reason
        user.save(update_fields=["suspended_at", "suspended_until", "suspension_reason"])
        ModerationLog.objects.create(
            action=ModerationLog.Action.SUSPEND,
            moderator=moderator,
            target_user=user,
            reason=reason,
            data={"until": until.isoformat() if until else None},
        )
    return user


def unsuspend_user(*, moderator: User, user: User) -> User:
    """Lift a member's suspension."""
    access.require(access.can_suspend(moderator, user), gettext("Only moderators can lift suspensions."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_suspended:
            raise ValidationError(gettext("%(name)s is not suspended.") % {"name": user.name}, code="not_suspended")
        user.suspended_at = None
        user.suspended_until = None
        user.suspension_reason = ""
        user.save(update_fields=["suspended_at", "suspended_until", "suspension_reason"])
        ModerationLog.objects.create(action=ModerationLog.Action.UNSUSPEND, moderator=moderator, target_user=user)
    return user
