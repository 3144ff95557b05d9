"""An edit that adds links goes back to review, under the same rule as a new post."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum import search, selectors
from forum.actions import moderation as moderation_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, ReviewState, Thread
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

LINK = "See https://spam.example/cheap-pills for the fix."


def test_a_new_account_editing_a_reply_to_add_links_sends_it_back_to_review(thread, moderator):
    newcomer = make_user("newcomer")
    reply = post_actions.reply(author=newcomer, thread=thread, body="Restart the router first.")
    assert Thread.objects.get(pk=thread.pk).reply_count == 1
    response = client_for(newcomer).post(f"/p/{reply.pk}/edit/", {"body": LINK}, follow=True)
    assert "a moderator will review it" in response.text
    reply.refresh_from_db()
    assert reply.review_state == ReviewState.PENDING
    assert Thread.objects.get(pk=thread.pk).reply_count == 0
    page = client_for(None).get(thread.get_absolute_url()).text
    assert "spam.example" not in page and "newcomer" not in page  # nor its author's name in the history
    assert "spam.example" in client_for(newcomer).get(thread.get_absolute_url()).text
    assert Event.objects.filter(post=reply).latest("seq").kind == EventKind.HELD
    assert reply in selectors.moderation_queue().pending
    moderation_actions.approve_post(moderator=moderator, post=reply)
    assert "spam.example" in client_for(None).get(thread.get_absolute_url()).text
    assert Thread.objects.get(pk=thread.pk).reply_count == 1


def test_a_new_account_editing_its_question_to_add_links_takes_the_thread_back_to_review(customer, vendor, moderator):
    thread = thread_actions.create_thread(author=customer, title="Router zorblax drops", body="It drops. @northwind")
    assert search.search_threads("zorblax")
    question = thread.posts.get()
    post_actions.edit_post(editor=customer, post=question, body=f"{LINK} @northwind")
    thread.refresh_from_db()
    assert thread.review_state == ReviewState.PENDING
    assert search.search_threads("zorblax") == []
    assert client_for(None).get(thread.get_absolute_url()).status_code == 404
    assert client_for(customer).get(thread.get_absolute_url()).status_code == 200
    # Approval publishes it again; the escalation it already had is kept, not doubled.
    moderation_actions.approve_post(moderator=moderator, post=question)
    assert search.search_threads("zorblax")
    assert client_for(None).get(thread.get_absolute_url()).status_code == 200
    assert thread.escalations.count() == 1


def test_established_accounts_and_edits_that_add_no_link_stay_published(thread, reply):
    veteran = make_user("veteran", date_joined=timezone.now() - timedelta(days=400))
    own = post_actions.reply(author=veteran, thread=thread, body="Try channel 6.")
    post_actions.edit_post(editor=veteran, post=own, body=LINK)
    newcomer = make_user("newcomer2")
    plain = post_actions.reply(author=newcomer, thread=thread, body="Restart it.")
    post_actions.edit_post(editor=newcomer, post=plain, body="Restart it, then wait a minute.")
    own.refresh_from_db()
    plain.refresh_from_db()
    assert (own.review_state, plain.review_state) == (ReviewState.VISIBLE, ReviewState.VISIBLE)
