"""Builders shared by the knowledge tests: solved threads with an accepted answer."""

from __future__ import annotations

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Thread, User


def solved_thread(author: User, answerer: User, title: str, answer: str, body: str = "See title.", tags: str = ""):
    thread = thread_actions.create_thread(author=author, title=title, body=body, tags=tags)
    post = post_actions.reply(author=answerer, thread=thread, body=answer)
    thread_actions.accept_answer(user=author, thread=thread, post=post)
    return Thread.objects.get(pk=thread.pk), post
