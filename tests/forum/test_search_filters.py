"""Search filters (tag, vendor, solved, dates), order and a result count; bad input is a clear 400."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forum.actions import moderation as moderation_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Thread
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(customer, expert, staff):
    wifi = thread_actions.create_thread(author=customer, title="Router wifi drops at night", body="b", tags="wifi")
    printer = thread_actions.create_thread(author=customer, title="Printer wifi setup fails", body="b", tags="printer")
    old = thread_actions.create_thread(author=customer, title="Old wifi card driver", body="b", tags="wifi")
    Thread.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))  # set up the past
    answer = post_actions.reply(author=expert, thread=printer, body="Use the WPS button.")
    thread_actions.accept_answer(user=customer, thread=printer, post=answer)
    post_actions.reply(author=staff, thread=wifi, body="Staff here: update the firmware.")  # involves the vendor
    for i in range(3):
        vote_actions.upvote(user=make_user(f"fan{i}"), post=old.posts.get(is_question=True))
    return {"wifi": wifi, "printer": printer, "old": old}


def _search(**params):
    return client_for(None).get("/search/", {"q": "wifi", **params})


def test_count_and_every_filter(threads, vendor):
    text = _search().text
    assert "3 threads" in text
    text = _search(tag="printer").text
    assert "1 thread</strong> matches" in text and "Printer wifi" in text and "Router wifi" not in text
    text = _search(vendor="@" + vendor.handle).text
    assert "Router wifi" in text and "Printer wifi" not in text and "Old wifi" not in text
    text = _search(solved="yes").text
    assert "Printer wifi" in text and "Router wifi" not in text
    assert "Printer wifi" not in _search(solved="no").text
    start = (timezone.now() - timedelta(days=30)).date().isoformat()
    text = _search(asked_from=start).text
    assert "Old wifi" not in text and "Router wifi" in text
    text = _search(asked_to=(timezone.now() - timedelta(days=300)).date().isoformat()).text
    assert "Old wifi" in text and "Router wifi" not in text and "1 thread</strong> matches" in text


def test_sort_orders(threads):
    text = _search(sort="votes").text
    assert text.index("Old wifi") < text.index("Router wifi")
    text = _search(sort="newest").text
    assert text.index("Old wifi") > text.index("Printer wifi")


def test_hidden_threads_are_not_found_or_counted(threads, moderator):
    moderation_actions.hide_post(moderator=moderator, post=threads["wifi"].posts.get(is_question=True), reason="spam")
    text = _search().text
    assert "Router wifi" not in text and "2 threads" in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tag": "nosuchtag"}, "There is no tag"),
        ({"vendor": "@nobody"}, "There is no vendor @nobody"),
        ({"solved": "maybe"}, "Select a valid choice"),
        ({"sort": "random"}, "Select a valid choice"),
        ({"asked_from": "2024-13-45"}, "Enter a valid date"),
        ({"asked_from": "0001-01-01"}, "after the year 2000"),
        ({"asked_from": "2025-05-01", "asked_to": "2025-04-01"}, "must come before"),
        ({"q": "x" * 201}, "limited to 200 characters"),
        ({"tag": "\x00"}, ""),
    ],
)
def test_bad_input_is_a_clear_400(threads, params, message):
    response = client_for(None).get("/search/", {"q": "wifi", **params})
    assert response.status_code in (400, 200)
    if message:
        assert response.status_code == 400
        assert message in response.text
    assert "3 threads" not in response.text or response.status_code == 200
