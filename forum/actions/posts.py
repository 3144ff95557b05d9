"""Replying and editing."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, attachments, badges, idempotency, ratelimit, search, timeline
from forum.actions import knowledge
from forum.actions.common import link_vendors, lock_thread_row
from forum.markdown import Rendered, render
from forum.models import EventKind, Post, PostRevision, ReviewState, Thread, ThreadVendor, User
from forum.validation import clean_body, clean_title


def reply(
    *,
    author: User,
    thread: Thread,
    body: str,
    images: Sequence[UploadedFile] | None = None,
    idempotency_key: str | None = None,
) -> Post:
    """Add a reply (with optional images) to a thread, bump it to the top of the latest list.

    A new account's reply with links waits for a moderator (forum.access.needs_review):
    it is saved unlisted, and published by ``publish_reply`` when approved.
    """
    access.require_participant(author, gettext("Log in to reply."))
    body = clean_body(body)
    rendered = render(body)
    clean_images = attachments.prepare(images)
    pending = access.needs_review(author, has_links=bool(rendered.links))
    with attachments.removed_on_failure() as stored, transaction.atomic():
        thread = lock_thread_row(thread.pk)
        earlier = idempotency.earlier_result(user=author, key=idempotency_key, scope=f"reply:{thread.pk}")
        if earlier is not None:
            return idempotency.existing(Post.objects.filter(author=author), earlier)
        access.require(access.can_reply(author, thread), gettext("This thread is locked: no new replies."))
        if thread.review_state in (ReviewState.PENDING, ReviewState.REJECTED):
            raise ValidationError(gettext("This question is waiting for review: replies open once it is approved."))
        ratelimit.check(user_id=author.pk, action="reply")
        post = Post.objects.create(
            thread=thread,
            author=author,
            body=body,
            body_html=rendered.html,
            staff_vendor=access.staff_vendor_for(author),
            created_at=timezone.now(),
            review_state=ReviewState.PENDING if pending else ReviewState.VISIBLE,
        )
        stored += attachments.store(post=post, images=clean_images, uploaded_by=author)
        if not pending:
            publish_reply(thread=thread, post=post, rendered=rendered, actor=author)
        idempotency.remember_result(user=author, key=idempotency_key, result_id=post.pk)
    return post


def publish_reply(*, thread: Thread, post: Post, rendered: Rendered, actor: User) -> None:
    """Make a saved reply public: counters, vendors, search, the REPLIED event. Inside a transaction."""
    now = timezone.now()
    Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + 1, last_activity_at=now)
    ThreadVendor.objects.filter(thread=thread).update(last_activity_at=now)
    link_vendors(thread, post, rendered.mentioned_vendors)
    search.index_reply(thread, post)
    knowledge.record_reuses(thread=thread, post=post, links=rendered.links)
    event = timeline.record(
        thread=thread,
        kind=EventKind.REPLIED,
        actor=actor,
        post=post,
        data={"mentions": sorted(rendered.mentioned_users), "vendors": sorted(rendered.mentioned_vendors)},
    )
    badges.after_reply(post=post, event=event)


def edit_post(
    *, editor: User, post: Post, body: str, title: str | None = None, idempotency_key: str | None = None
) -> Post:
    """Change a post's text (and the thread's title, for the question), keeping the old version.

    An edit that adds links goes back to review under the rule for new posts
    (forum.access.needs_review): the post is pending again, out of lists and search,
    until a moderator approves it (``approve_post`` publishes it once more).
    """
    access.require_participant(editor, gettext("Log in to edit."))
    access.require(access.can_edit_post(editor, post), gettext("You can only edit your own posts."))
    body = clean_body(body)
    new_title = clean_title(title) if (title is not None and post.is_question) else None
    rendered = render(body)
    with transaction.atomic():
        thread = lock_thread_row(post.thread_id)
        post = Post.objects.select_for_update().get(pk=post.pk)
        if idempotency.earlier_result(user=editor, key=idempotency_key, scope=f"edit:{post.pk}") is not None:
            return post  # the same edit sent again: it is already saved
        idempotency.remember_result(user=editor, key=idempotency_key, result_id=post.pk)
        title_changed = new_title is not None and new_title != thread.title
        if body == post.body and not title_changed:
            raise ValidationError(gettext("Nothing changed."), code="unchanged")
        # Each edit re-renders, re-indexes and is broadcast: limited like replies.
        ratelimit.check(user_id=editor.pk, action="edit")
        added_links = rendered.links - render(post.body).links
        held = post.review_state == ReviewState.VISIBLE and access.needs_review(editor, has_links=bool(added_links))
        PostRevision.objects.create(
            post=post,
            title=thread.title if post.is_question else "",
            body=post.body,
            body_html=post.body_html,
            edited_by=editor,
        )
        post.body = body
        post.body_html = rendered.html
        post.edited_at = timezone.now()
        post.save(update_fields=["body", "body_html", "edited_at"])
        if title_changed:
            thread.title = new_title
            thread.save(update_fields=["title"])
        if held:
            return _hold_for_review(thread=thread, post=post, editor=editor)
        search.index_thread(thread)
        if post.review_state == ReviewState.PENDING:
            return post  # not public yet: nobody else should hear of the edit
        timeline.record(
            thread=thread,
            kind=EventKind.EDITED,
            actor=editor,
            post=post,
            data={"title": thread.title if title_changed else None},
        )
    return post


def _hold_for_review(*, thread: Thread, post: Post, editor: User) -> Post:
    """Take a published post back to pending: out of counters and search, one HELD event. In a transaction."""
    post.review_state = ReviewState.PENDING
    post.save(update_fields=["review_state"])
    if post.is_question:
        thread.review_state = ReviewState.PENDING
        thread.save(update_fields=["review_state"])
    else:  # approve_post counts it again through publish_reply
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") - 1)
    search.index_thread(thread)
    timeline.record(thread=thread, kind=EventKind.HELD, actor=editor, post=post, data={})
    return post
