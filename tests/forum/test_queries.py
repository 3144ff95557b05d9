"""Pages cost a fixed number of queries, whatever the number of posts or threads (DESIGN rule 4)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum.actions import moderation
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def _count(client, url, **params) -> tuple[int, object]:
    # Setting up 200 replies fills Django's 9,000-entry query log; a full log makes
    # CaptureQueriesContext count nothing, so start from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _add_replies(thread, authors, n):
    for i in range(n):
        post_actions.reply(author=authors[i % len(authors)], thread=thread, body=f"Reply number {i} with **markdown**")


@pytest.mark.parametrize("logged_in", [False, True])
def test_thread_page_queries_do_not_grow_with_replies(customer, expert, other_customer, staff, logged_in):
    small = thread_actions.create_thread(author=customer, title="Small thread with one reply", body="q", tags="a b")
    big = thread_actions.create_thread(author=customer, title="Big thread with many replies", body="q", tags="a b")
    # Both threads involve a vendor (a staff reply), so both pages show the same kinds of things.
    _add_replies(small, [staff], 1)
    _add_replies(big, [expert, other_customer, staff], 200)
    viewer = make_user("viewer")
    vote_actions.upvote(user=viewer, post=big.posts.filter(is_question=False).first())
    client = client_for(viewer if logged_in else None)
    client.get(small.get_absolute_url())  # warm caches (session, content types, tags, similar threads)
    client.get(big.get_absolute_url())
    n_small, _ = _count(client, small.get_absolute_url())
    n_big, response = _count(client, big.get_absolute_url())
    assert "Reply number 199" in response.text
    assert n_small == n_big


# Issue 12: at most 12 for any role (staff 12: their vendor desks and notes; visitors 6).
THREAD_PAGE_MAX_QUERIES = 12


@pytest.mark.parametrize("role", ["visitor", "customer", "thread_author", "staff", "moderator"])
def test_thread_page_costs_a_fixed_number_of_queries_for_every_role(customer, expert, staff, moderator, role):
    """The same count for 1 and 200 replies, and never more than 12, as each kind of viewer sees it."""
    viewers = {"visitor": None, "customer": expert, "thread_author": customer, "staff": staff, "moderator": moderator}
    small = thread_actions.create_thread(author=customer, title="Printer drops wifi", body="q", tags="a b")
    big = thread_actions.create_thread(author=customer, title="Scanner drops bluetooth", body="q", tags="a b")
    # Staff replies on both (a vendor on the thread), votes, a flag and a follow: every per-viewer part shows.
    _add_replies(small, [staff], 1)
    _add_replies(big, [expert, staff, moderator], 200)
    for thread in (small, big):
        vote_actions.upvote(user=customer, post=thread.posts.filter(author=staff).first())
        moderation.flag_post(user=customer, post=thread.posts.filter(author=staff).first(), reason="spam")
    client = client_for(viewers[role])
    counts = []
    for thread in (small, big):
        client.get(thread.get_absolute_url())  # warm: session cache, content types, similar threads
        n, response = _count(client, thread.get_absolute_url())
        counts.append(n)
    assert "Reply number 199" in response.text
    assert counts[0] == counts[1], counts
    assert counts[1] <= THREAD_PAGE_MAX_QUERIES, counts


def _bell(page: str) -> str:
    return re.search(r"data-unread[^>]*>(\d+)<", page)[1]


def test_the_thread_page_reads_the_bell_and_moderator_flags_with_its_own_rows(customer, expert, staff, moderator):
    """The unread count and the open-flag note come from the thread and post rows, and are right."""
    thread = thread_actions.create_thread(author=customer, title="Printer drops wifi", body="q")
    for i in range(3):
        post_actions.reply(author=expert, thread=thread, body=f"Reply number {i}")
    reply = thread.posts.filter(is_question=False).first()
    moderation.flag_post(user=staff, post=reply, reason="spam")
    moderation.flag_post(user=expert, post=thread.posts.get(is_question=True), reason="spam")
    assert _bell(client_for(customer).get(thread.get_absolute_url()).text) == "3"  # three replies to their thread
    assert _bell(client_for(staff).get(thread.get_absolute_url()).text) == "0"
    page = client_for(moderator).get(thread.get_absolute_url()).text
    assert page.count("open flag") == 2, page


def _make_threads(author, n, start=0):
    for i in range(start, start + n):
        thread_actions.create_thread(
            author=author, title=f"Thread number {i:03d} here", body="b", tags=f"t{i % 7} common"
        )


def test_home_queries_do_not_grow_with_threads(customer, other_customer):
    client = client_for(other_customer)
    _make_threads(customer, 5)
    client.get("/")
    n_five, _ = _count(client, "/")
    _make_threads(other_customer, 55, start=5)
    n_sixty, response = _count(client, "/")
    assert "Thread number 059 here" in response.text
    assert n_five == n_sixty


def test_deep_keyset_page_costs_what_page_one_costs(client, customer):
    _make_threads(customer, 100)
    client.get("/")
    n_first, response = _count(client, "/")
    from forum import selectors

    cursor = selectors.thread_list().next_cursor
    seen = set()
    counts = []
    pages = 0
    while cursor:
        n, response = _count(client, "/", after=cursor)
        counts.append(n)
        page = selectors.thread_list(cursor=cursor)
        seen.update(t.pk for t in page.threads)
        cursor = page.next_cursor
        pages += 1
    assert pages == 3  # 30 per page: 30 + 30 + 30 + 10
    assert "Thread number 000 here" in response.text
    assert len(seen) == 70
    assert set(counts) == {n_first}


def test_keyset_pages_do_not_repeat_or_skip(customer):
    from forum import selectors

    _make_threads(customer, 65)
    cursor, pks = None, []
    while True:
        page = selectors.thread_list(cursor=cursor)
        pks += [t.pk for t in page.threads]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(pks) == len(set(pks)) == 65


def test_tag_page_queries_do_not_grow_with_threads(client, customer):
    _make_threads(customer, 3)
    client.get("/tags/common/")
    n_few, _ = _count(client, "/tags/common/")
    _make_threads(customer, 40, start=3)
    n_many, response = _count(client, "/tags/common/")
    assert "Thread number 042 here" in response.text
    assert n_few == n_many


def test_search_page_queries_do_not_grow_with_hits(client, customer):
    _make_threads(customer, 2)
    client.get("/search/", {"q": "thread"})
    n_few, _ = _count(client, "/search/", q="thread")
    _make_threads(customer, 30, start=2)
    n_many, response = _count(client, "/search/", q="thread")
    assert response.text.count("<mark>") >= 20
    assert n_few == n_many


def test_profile_page_queries_do_not_grow(client, customer, expert):
    _make_threads(customer, 2)
    client.get(f"/u/{customer.username}/")
    n_few, _ = _count(client, f"/u/{customer.username}/")
    _make_threads(customer, 25, start=2)
    n_many, _ = _count(client, f"/u/{customer.username}/")
    assert n_few == n_many


def test_similar_threads_search_runs_once_and_a_hidden_thread_drops_out_at_once(customer, moderator):
    from forum.actions import moderation

    thread = thread_actions.create_thread(author=customer, title="Router reboots every night", body="q")
    other = thread_actions.create_thread(author=customer, title="Router reboots after update", body="q")
    client = client_for(None)
    assert "Router reboots after update" in client.get(thread.get_absolute_url()).text  # fills the cache
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(thread.get_absolute_url()).text
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "Router reboots after update" in page
    assert "bm25" not in sql and "ts_rank" not in sql  # no full-text search on a repeat view
    moderation.hide_post(moderator=moderator, post=other.posts.get(is_question=True), reason="spam")
    assert "Router reboots after update" not in client.get(thread.get_absolute_url()).text
