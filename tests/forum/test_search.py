"""Search finds titles, questions and answers; solved ranks up; snippets are safe; no query 500s."""

import pytest

from forum import search
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _ids(query):
    return [hit.thread.pk for hit in search.search_threads(query)]


def test_finds_by_title_body_and_answer(thread, reply):
    assert _ids("tablet") == [thread.pk]  # title
    assert _ids("update") == [thread.pk]  # question body
    assert _ids("randomisation") == [thread.pk]  # answer text
    assert _ids("nonexistentword") == []


def test_edit_reindexes(thread, customer):
    question = thread.posts.get(is_question=True)
    post_actions.edit_post(editor=customer, post=question, body="Bluetooth headphones crackle")
    assert _ids("crackle") == [thread.pk]


def test_solved_thread_ranks_above_equal_open_thread(customer, expert):
    open_thread = thread_actions.create_thread(author=customer, title="Printer jams on duplex", body="Paper jams.")
    solved = thread_actions.create_thread(author=customer, title="Printer jams on duplex", body="Paper jams.")
    post_actions.reply(author=expert, thread=open_thread, body="Clean the rollers.")
    answer = post_actions.reply(author=expert, thread=solved, body="Clean the rollers.")
    thread_actions.accept_answer(user=customer, thread=solved, post=answer)
    assert _ids("printer jams") == [solved.pk, open_thread.pk]
    # Even when the open thread is the newer one (ties otherwise break by id, newest first).
    newer_open = thread_actions.create_thread(author=customer, title="Printer jams on duplex", body="Paper jams.")
    post_actions.reply(author=expert, thread=newer_open, body="Clean the rollers.")
    assert _ids("printer jams")[0] == solved.pk


def test_snippet_highlights_and_escapes_user_text(customer):
    thread_actions.create_thread(
        author=customer,
        title="Router <b>bold</b> & friends",
        body="The router <script>alert(1)</script> reboots hourly.",
    )
    hits = search.search_threads("router")
    assert len(hits) == 1
    snippet = str(hits[0].snippet)
    assert "<mark>" in snippet.lower() and "</mark>" in snippet.lower()
    assert "<script" not in snippet.lower()
    assert "<b>" not in snippet


def test_search_page_shows_marked_snippet(client, thread):
    response = client.get("/search/", {"q": "wifi"})
    assert response.status_code == 200
    assert thread.title in response.text
    assert "<mark>" in response.text


WEIRD = [
    '"', '""', '"unterminated', "wifi AND", "OR", "AND OR NOT", "wifi NEAR(sleep)", "NEAR(a b, 2)", "*", "wifi*",
    "-wifi", "title:wifi", "^wifi", "(", ")", "{}", "!@#$%^&*()", "wifi' OR 1=1 --", "ß Straße İstanbul",
    "日本語 テスト", "😀 wifi", "\u202ewifi", "a\u0301", "x" * 200, "word " * 40, "\\", "%", "_", ":", "'", "<script>",
]  # fmt: skip


@pytest.mark.parametrize("query", WEIRD)
def test_weird_queries_never_500(client, thread, reply, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_overlong_query_gets_a_message(client, thread):
    response = client.get("/search/", {"q": "wifi " * 100})
    assert response.status_code == 400
    assert "limited to 200 characters" in response.text


def test_nul_and_odd_offset_never_500(client, thread):
    assert client.get("/search/", {"q": "wifi\x00sleep"}).status_code in (200, 400)
    assert client.get("/search/", {"q": "wifi", "offset": "abc"}).status_code == 200
    assert client.get("/search/", {"q": "wifi", "offset": "-5"}).status_code == 200
    assert client.get("/search/", {"q": "wifi", "offset": "99999999999999999999"}).status_code == 200


def test_search_functions_accept_weird_queries(thread):
    for query in WEIRD:
        search.search_threads(query)


def test_search_page_for_logged_in_user(customer, thread):
    assert client_for(customer).get("/search/", {"q": "tablet"}).status_code == 200


def test_relative_times_read_naturally():
    from datetime import timedelta

    from django.utils import timezone

    from forum.templatetags.forum_tags import ago

    now = timezone.now()
    assert ago(now - timedelta(seconds=5), now) == "just now"
    assert ago(now - timedelta(minutes=1), now) == "1 minute ago"
    assert ago(now - timedelta(hours=3, minutes=10), now) == "3 hours ago"
    assert ago(now - timedelta(days=9), now) == "1 week ago"
    assert ago(now + timedelta(minutes=2), now) == "just now"
