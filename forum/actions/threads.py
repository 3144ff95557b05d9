"""Asking, accepting an answer, reopening and locking threads."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, attachments, badges, idempotency, ratelimit, reputation, search, timeline
from forum.actions.common import link_vendors, lock_thread_row
from forum.actions.selfservice import record_conversion
from forum.markdown import Rendered, render
from forum.models import EventKind, Post, ReviewState, Thread, User
from forum.validation import clean_body, clean_title, parse_tags


def create_thread(
    *,
    author: User,
    title: str,
    body: str,
    tags: str | list[str] = "",
    images: Sequence[UploadedFile] | None = None,
    idempotency_key: str | None = None,
) -> Thread:
    """Post a new problem: the thread, its question post, tags, images, and the POSTED event.

    Tags and vendor links are in place before POSTED is recorded, so followers hear of it.
    A new account's question with links waits for a moderator (forum.access.needs_review):
    the thread is saved unlisted, and published by ``publish_question`` when approved.
    """
    access.require_participant(author, gettext("Log in to ask a question."))
    title = clean_title(title)
    body = clean_body(body)
    tag_names = parse_tags(tags)
    rendered = render(body)
    clean_images = attachments.prepare(images)
    pending = access.needs_review(author, has_links=bool(rendered.links))
    state = ReviewState.PENDING if pending else ReviewState.VISIBLE
    now = timezone.now()
    with attachments.removed_on_failure() as stored, transaction.atomic():
        earlier = idempotency.earlier_result(user=author, key=idempotency_key, scope="thread")
        if earlier is not None:
            return idempotency.existing(Thread.objects.filter(author=author), earlier)
        ratelimit.check(user_id=author.pk, action="thread")
        thread = Thread.objects.create(
            title=title, author=author, created_at=now, last_activity_at=now, review_state=state
        )
        post = Post.objects.create(
            thread=thread,
            author=author,
            is_question=True,
            body=body,
            body_html=rendered.html,
            staff_vendor=access.staff_vendor_for(author),
            created_at=now,
            review_state=state,
        )
        if tag_names:
            thread.tags.set(tag_names)
        stored += attachments.store(post=post, images=clean_images, uploaded_by=author)
        if not pending:
            publish_question(thread=thread, post=post, rendered=rendered, actor=author, tag_names=tag_names)
        record_conversion(user=author)
        idempotency.remember_result(user=author, key=idempotency_key, result_id=thread.pk)
    return thread


def publish_question(*, thread: Thread, post: Post, rendered: Rendered, actor: User, tag_names: list[str]) -> None:
    """Make a saved question public: vendors, search, the POSTED event. Inside a transaction."""
    link_vendors(thread, post, rendered.mentioned_vendors)
    search.index_thread(thread)
    timeline.record(
        thread=thread,
        kind=EventKind.POSTED,
        actor=actor,
        post=post,
        data={
            "title": thread.title,
            "tags": tag_names,
            "mentions": sorted(rendered.mentioned_users),
            "vendors": sorted(rendered.mentioned_vendors),
        },
    )


def accept_answer(*, user: User, thread: Thread, post: Post) -> Thread:
    """The thread's author marks the reply that solved it: the thread becomes Solved."""
    access.require(access.can_accept(user, thread), gettext("Only the person who asked can accept an answer."))
    if post.thread_id != thread.pk or post.is_question:
        raise ValidationError(gettext("That post is not a reply on this thread."), code="not_a_reply")
    if not post.is_visible:
        raise ValidationError(gettext("That reply is hidden or waiting for review."), code="not_visible")
    with transaction.atomic():
        thread = lock_thread_row(thread.pk)
        if thread.accepted_post_id == post.pk:
            return thread
        if thread.accepted_post_id is not None:
            previous_author = Post.objects.filter(pk=thread.accepted_post_id).values_list("author_id", flat=True)
            reputation.lock_users([user.pk, post.author_id, *previous_author])  # all of them, in id order, first
            reputation.acceptance_undone(post_id=thread.accepted_post_id)
        reputation.answer_accepted(asker=user, post=post)
        thread.accepted_post = post
        thread.status = Thread.Status.SOLVED
        thread.last_activity_at = timezone.now()
        thread.save(update_fields=["accepted_post", "status", "last_activity_at"])
        event = timeline.record(
            thread=thread,
            kind=EventKind.ACCEPTED,
            actor=user,
            post=post,
            data={"answer_author": post.author.username, "staff_vendor": post.staff_vendor_id},
        )
        badges.after_accept(asker=user, thread=thread, post=post, event=event)
    return thread


def reopen_thread(*, user: User, thread: Thread) -> Thread:
    """The author takes back the accepted answer: the thread is open again."""
    access.require(access.can_accept(user, thread), gettext("Only the person who asked can reopen the thread."))
    with transaction.atomic():
        thread = lock_thread_row(thread.pk)
        if thread.status == Thread.Status.OPEN and thread.accepted_post_id is None:
            raise ValidationError(gettext("The thread is already open."), code="already_open")
        previous = thread.accepted_post_id
        if previous is not None:
            reputation.acceptance_undone(post_id=previous)
        thread.accepted_post = None
        thread.status = Thread.Status.OPEN
        thread.last_activity_at = timezone.now()
        thread.save(update_fields=["accepted_post", "status", "last_activity_at"])
        timeline.record(thread=thread, kind=EventKind.REOPENED, actor=user, data={"previous_answer": previous})
    return thread


def set_locked(*, moderator: User, thread: Thread, locked: bool) -> Thread:
    """A moderator locks a thread (no more replies) or unlocks it."""
    if not access.is_moderator(moderator):
        raise PermissionDenied(gettext("Only moderators can lock threads."))
    with transaction.atomic():
        thread = lock_thread_row(thread.pk)
        if thread.is_locked == locked:
            return thread
        thread.is_locked = locked
        thread.save(update_fields=["is_locked"])
        timeline.record(thread=thread, kind=EventKind.LOCKED if locked else EventKind.UNLOCKED, actor=moderator)
    return thread
