"""Replying and editing."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from forum import access, attachments, badges, search, timeline
from forum.actions.common import link_vendors, lock_thread_row
from forum.markdown import render
from forum.models import EventKind, Post, PostRevision, Thread, ThreadVendor, User
from forum.validation import clean_body, clean_title


def reply(*, author: User, thread: Thread, body: str, images: Sequence[UploadedFile] | None = None) -> Post:
    """Add a reply (with optional images) to a thread, bump it to the top of the latest list."""
    access.require(author.is_authenticated and author.is_active, "Log in to reply.")
    body = clean_body(body)
    rendered = render(body)
    clean_images = attachments.prepare(images)
    with attachments.removed_on_failure() as stored, transaction.atomic():
        thread = lock_thread_row(thread.pk)
        access.require(access.can_reply(author, thread), "This thread is locked: no new replies.")
        now = timezone.now()
        post = Post.objects.create(
            thread=thread,
            author=author,
            body=body,
            body_html=rendered.html,
            staff_vendor=access.staff_vendor_for(author),
            created_at=now,
        )
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + 1, last_activity_at=now)
        ThreadVendor.objects.filter(thread=thread).update(last_activity_at=now)
        link_vendors(thread, post, rendered.mentioned_vendors)
        stored += attachments.store(post=post, images=clean_images, uploaded_by=author)
        search.index_reply(thread, post)
        event = timeline.record(
            thread=thread,
            kind=EventKind.REPLIED,
            actor=author,
            post=post,
            data={"mentions": sorted(rendered.mentioned_users), "vendors": sorted(rendered.mentioned_vendors)},
        )
        badges.after_reply(post=post, event=event)
    return post


def edit_post(*, editor: User, post: Post, body: str, title: str | None = None) -> Post:
    """Change a post's text (and the thread's title, for the question), keeping the old version."""
    access.require(access.can_edit_post(editor, post), "You can only edit your own posts.")
    body = clean_body(body)
    new_title = clean_title(title) if (title is not None and post.is_question) else None
    rendered = render(body)
    with transaction.atomic():
        thread = lock_thread_row(post.thread_id)
        post = Post.objects.select_for_update().get(pk=post.pk)
        title_changed = new_title is not None and new_title != thread.title
        if body == post.body and not title_changed:
            raise ValidationError("Nothing changed.", code="unchanged")
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
        search.index_thread(thread)
        timeline.record(
            thread=thread,
            kind=EventKind.EDITED,
            actor=editor,
            post=post,
            data={"title": thread.title if title_changed else None},
        )
    return post
