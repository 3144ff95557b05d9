"""Builders shared by the knowledge tests: solved threads with an accepted answer."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Thread, User
from tests.conftest import make_user


def solved_thread(author: User, answerer: User, title: str, answer: str, body: str = "See title.", tags: str = ""):
    thread = thread_actions.create_thread(author=author, title=title, body=body, tags=tags)
    post = post_actions.reply(author=answerer, thread=thread, body=answer)
    thread_actions.accept_answer(user=author, thread=thread, post=post)
    return Thread.objects.get(pk=thread.pk), post


def person(request, who: str, *, low_rep: int = 0):
    """A user by role name: "visitor", "low_rep" (reputation just below a threshold), or a fixture's name."""
    if who == "visitor":
        return AnonymousUser()
    if who == "low_rep":
        return make_user("newbie", reputation=low_rep)
    return request.getfixturevalue(who)


@pytest.fixture
def wifi_solved(customer, expert):
    """A solved thread about wifi with a Markdown answer."""
    thread, _ = solved_thread(
        customer, expert, "Tablet drops wifi after sleep", "Turn off **MAC randomisation** in the wifi settings."
    )
    return thread


def ask_session(client) -> str:
    """The signed ask session the /ask/ page hands this client (one visit)."""
    match = re.search(r'name="ask_session" value="([^"]*)"', client.get("/ask/").text)
    assert match and match.group(1), "the ask page carries an ask session"
    return match.group(1)


def suggestion_tokens(client, session: str, title: str) -> dict[int, str]:
    """Thread id -> the beacon token each suggestion for ``title`` carries in that ask session."""
    html = client.get("/ask/suggest/", {"title": title, "ask_session": session}, HTTP_HX_REQUEST="true").text
    return {int(t): token for token, t in re.findall(r'data-suggestion-open="([^"]+)" data-thread="(\d+)"', html)}


def open_suggestion(client, thread: Thread, title: str | None = None, *, address: str = "127.0.0.1"):
    """What the ask page's JavaScript does when someone opens a suggestion: one POST beacon."""
    tokens = suggestion_tokens(client, ask_session(client), title or thread.title)
    return client.post("/ask/opened/", {"token": tokens[thread.pk], "thread": thread.pk}, REMOTE_ADDR=address)
