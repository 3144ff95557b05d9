"""A double click, a retry after a lost response, or an API client's repeat creates one thing."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.urls import reverse

from forum import idempotency
from forum.actions import posts as post_actions
from forum.models import Event, EventKind, IdempotencyKey, Post, PostRevision, Thread
from tests.conftest import client_for
from tests.forum.api_helpers import _fresh_rate_limits, assert_error, token_client  # noqa: F401

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


def form_key(html: str) -> str:
    match = KEY_RE.search(html)
    assert match, "the form carries no idempotency key"
    return match.group(1)


def test_each_load_of_the_reply_form_gets_its_own_key(thread, expert):
    browser = client_for(expert)
    first = form_key(browser.get(thread.get_absolute_url()).text)
    second = form_key(browser.get(thread.get_absolute_url()).text)
    assert first != second


def test_a_reply_sent_twice_with_the_same_form_creates_one_reply(thread, expert):
    browser = client_for(expert)
    key = form_key(browser.get(thread.get_absolute_url()).text)
    url = reverse("forum:reply", args=[thread.pk])
    first = browser.post(url, {"body": "Turn off wifi power saving.", "idempotency_key": key})
    again = browser.post(url, {"body": "Turn off wifi power saving.", "idempotency_key": key})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]  # the retry lands on the first reply
    assert Post.objects.filter(thread=thread, is_question=False).count() == 1
    assert Event.objects.filter(thread=thread, kind=EventKind.REPLIED).count() == 1
    thread.refresh_from_db()
    assert thread.reply_count == 1

    fresh = form_key(browser.get(thread.get_absolute_url()).text)
    browser.post(url, {"body": "And update the firmware.", "idempotency_key": fresh})
    assert Post.objects.filter(thread=thread, is_question=False).count() == 2  # a new form is a new reply


def test_an_ask_sent_twice_creates_one_thread(customer):
    browser = client_for(customer)
    key = form_key(browser.get(reverse("forum:ask")).text)
    data = {
        "title": "Printer prints blank pages",
        "body": "Since Tuesday, every page is blank.",
        "idempotency_key": key,
    }
    first = browser.post(reverse("forum:ask"), data)
    again = browser.post(reverse("forum:ask"), data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Thread.objects.filter(title="Printer prints blank pages").count() == 1


def test_an_edit_sent_twice_keeps_one_revision_and_shows_no_error(reply, expert):
    browser = client_for(expert)
    url = reverse("forum:edit", args=[reply.pk])
    key = form_key(browser.get(url).text)
    first = browser.post(url, {"body": "Second version of the answer.", "idempotency_key": key})
    again = browser.post(url, {"body": "Second version of the answer.", "idempotency_key": key})
    assert first.status_code == again.status_code == 302  # not "Nothing changed."
    assert PostRevision.objects.filter(post=reply).count() == 1
    assert Event.objects.filter(thread=reply.thread, kind=EventKind.EDITED).count() == 1


def test_a_failed_attempt_frees_its_key_for_the_retry(thread, expert):
    browser = client_for(expert)
    key = form_key(browser.get(thread.get_absolute_url()).text)
    url = reverse("forum:reply", args=[thread.pk])
    thread.is_locked = True
    thread.save(update_fields=["is_locked"])
    refused = browser.post(url, {"body": "Try this.", "idempotency_key": key})
    assert refused.status_code == 403
    assert not IdempotencyKey.objects.exists()
    thread.is_locked = False
    thread.save(update_fields=["is_locked"])
    assert browser.post(url, {"body": "Try this.", "idempotency_key": key}).status_code == 302
    assert Post.objects.filter(thread=thread, is_question=False).count() == 1


def test_a_key_used_on_another_thread_or_malformed_is_refused_and_changes_nothing(thread, expert, customer):
    from forum.actions import threads as thread_actions

    other = thread_actions.create_thread(author=customer, title="Another problem", body="Details.")
    browser = client_for(expert)
    key = form_key(browser.get(thread.get_absolute_url()).text)
    browser.post(reverse("forum:reply", args=[thread.pk]), {"body": "First.", "idempotency_key": key})
    reused = browser.post(reverse("forum:reply", args=[other.pk]), {"body": "Second.", "idempotency_key": key})
    assert reused.status_code == 400
    assert "already sent for something else" in reused.text
    bad = browser.post(reverse("forum:reply", args=[thread.pk]), {"body": "Third.", "idempotency_key": "<script>"})
    assert bad.status_code == 400
    assert "idempotency key must be" in bad.text
    assert Post.objects.filter(is_question=False).count() == 1


def test_another_persons_key_does_not_return_their_reply(thread, expert, other_customer):
    key = idempotency.new_key()
    post_actions.reply(author=expert, thread=thread, body="Expert's answer.", idempotency_key=key)
    mine = post_actions.reply(author=other_customer, thread=thread, body="Me too here.", idempotency_key=key)
    assert mine.author == other_customer  # keys are per person
    assert Post.objects.filter(thread=thread, is_question=False).count() == 2


def test_the_api_answers_a_repeated_idempotency_key_with_the_first_result(thread, expert):
    api = token_client(expert)
    url = f"/api/threads/{thread.pk}/posts"
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-0001-abc"}
    first = api.client.post(
        url, {"body": "Reset the router."}, content_type="application/json", **api.headers, **headers
    )
    again = api.client.post(
        url, {"body": "Reset the router."}, content_type="application/json", **api.headers, **headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Post.objects.filter(thread=thread, is_question=False).count() == 1
    bad = api.client.post(
        url, {"body": "x"}, content_type="application/json", **api.headers, HTTP_IDEMPOTENCY_KEY="bad key!"
    )
    assert_error(bad, 400)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_creates_one_reply(customer, expert):
    """Eight requests with one key at once (a frantic double click): one reply, one event."""
    from forum.actions import threads as thread_actions

    thread = thread_actions.create_thread(author=customer, title="Double click race", body="q")
    key = idempotency.new_key()

    def send(_):
        try:
            return post_actions.reply(author=expert, thread=thread, body="Only once, please.", idempotency_key=key).pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(send, range(8)))
    assert len(ids) == 1
    assert Post.objects.filter(thread=thread, is_question=False).count() == 1
    assert Event.objects.filter(thread=thread, kind=EventKind.REPLIED).count() == 1


def test_old_keys_are_forgotten(thread, expert):
    from datetime import timedelta

    from django.utils import timezone

    post_actions.reply(author=expert, thread=thread, body="Answer.", idempotency_key=idempotency.new_key())
    assert idempotency.forget_old(now=timezone.now() + timedelta(hours=1)) == 0
    assert idempotency.forget_old(now=timezone.now() + timedelta(days=2)) == 1
