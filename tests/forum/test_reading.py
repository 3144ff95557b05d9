"""Thread lists show each thread's state at a glance, unread markers, sorts (issue 13, Reading)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum.actions import moderation as moderation_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Post, ReviewState, Thread, ThreadRead
from swarm.actions import claims, escalations
from tests.conftest import age, client_for, make_user

pytestmark = pytest.mark.django_db


def _row(html: str, title: str) -> str:
    """The list row of the thread titled ``title``."""
    start = html.index(title)
    return html[html.rindex('<li class="thread-row', 0, start) : html.index("</li>", start)]


def test_list_shows_escalated_claimed_staff_replied_and_solution_link(customer, expert, staff, vendor, thread):
    escalation = escalations.escalate(user=customer, thread=thread, handle=vendor.handle)
    row = _row(client_for(None).get("/").text, thread.title)
    assert f"Escalated to @{vendor.handle}" in row
    assert "Staff replied" not in row

    claims.claim(staff=staff, escalation=escalation)
    post_actions.reply(author=staff, thread=thread, body="We are looking at the driver.")
    answer = post_actions.reply(author=expert, thread=thread, body="Turn off MAC randomisation.")
    thread_actions.accept_answer(user=customer, thread=thread, post=answer)
    row = _row(client_for(None).get("/").text, thread.title)
    assert f"Claimed by @{vendor.handle}" in row
    assert "Staff replied" in row
    assert f'href="{thread.get_absolute_url()}#post-{answer.pk}">Jump to the solution' in row


def test_no_solution_link_to_a_hidden_answer(customer, expert, moderator, thread):
    answer = post_actions.reply(author=expert, thread=thread, body="Turn off MAC randomisation.")
    thread_actions.accept_answer(user=customer, thread=thread, post=answer)
    assert "Jump to the solution" in client_for(None).get("/").text
    moderation_actions.hide_post(moderator=moderator, post=answer, reason="spam")
    assert "Jump to the solution" not in client_for(None).get("/").text


def test_list_never_shows_a_hidden_thread(customer, moderator, thread):
    other = thread_actions.create_thread(author=customer, title="Printer jams on page two", body="b", tags="printer")
    moderation_actions.hide_post(moderator=moderator, post=other.posts.get(is_question=True), reason="spam")
    for viewer in (None, customer, moderator):
        text = client_for(viewer).get("/", {"sort": "votes"}).text
        assert "Printer jams" not in text
        assert thread.title in text


def test_unread_markers_follow_the_beacon(customer, other_customer, expert, thread):
    client = client_for(other_customer)
    assert "New to you" in _row(client.get("/").text, thread.title)
    # Opening the page writes nothing: only the beacon does.
    client.get(thread.get_absolute_url())
    assert not ThreadRead.objects.exists()
    response = client.post(f"/t/{thread.pk}/seen/", {"seq": thread.posts.count() and 99})
    assert response.status_code == 204
    thread.refresh_from_db()
    assert ThreadRead.objects.get().seq == thread.last_seq  # capped at what exists
    row = _row(client.get("/").text, thread.title)
    assert "New to you" not in row and "New activity" not in row
    post_actions.reply(author=expert, thread=thread, body="Try a router reboot.")
    assert "New activity since you read it" in _row(client.get("/").text, thread.title)
    # Visitors get no markers; the asker's own thread is not new to them.
    assert "New to you" not in client_for(None).get("/").text
    assert "New to you" not in _row(client_for(customer).get("/").text, thread.title)


def test_beacon_never_moves_back(other_customer, expert, thread):
    post_actions.reply(author=expert, thread=thread, body="Try a router reboot.")
    thread.refresh_from_db()
    client = client_for(other_customer)
    client.post(f"/t/{thread.pk}/seen/", {"seq": thread.last_seq})
    client.post(f"/t/{thread.pk}/seen/", {"seq": 1})
    assert ThreadRead.objects.get().seq == thread.last_seq


@pytest.mark.parametrize("seq", ["", "abc", "-1", "1e9", "9" * 400, "\x00"])
def test_beacon_bad_input_is_refused_clearly(other_customer, thread, seq):
    response = client_for(other_customer).post(f"/t/{thread.pk}/seen/", {"seq": seq})
    assert response.status_code == 400
    assert "whole number" in response.json()["detail"]
    assert not ThreadRead.objects.exists()


def test_beacon_needs_login_post_and_a_visible_thread(customer, other_customer, thread):
    assert client_for(None).post(f"/t/{thread.pk}/seen/", {"seq": 1}).status_code == 403
    assert client_for(other_customer).get(f"/t/{thread.pk}/seen/").status_code == 405
    assert client_for(other_customer).post("/t/999999/seen/", {"seq": 1}).status_code == 404
    pending = thread_actions.create_thread(author=customer, title="Hidden one here", body="b", tags="x")
    # A thread still waiting for review exists for its author and moderators only (set up directly).
    Thread.objects.filter(pk=pending.pk).update(review_state=ReviewState.PENDING)
    Post.objects.filter(thread=pending).update(review_state=ReviewState.PENDING)
    assert client_for(other_customer).post(f"/t/{pending.pk}/seen/", {"seq": 1}).status_code == 404
    assert not ThreadRead.objects.exists()


def test_sort_by_votes_pages_without_repeats(customer, expert):
    voters = [make_user(f"voter{i}") for i in range(4)]
    made = []
    for i in range(7):
        t = thread_actions.create_thread(author=customer, title=f"Voted thread {i:02d} here", body="b", tags="v")
        for voter in voters[: i % 5]:
            vote_actions.upvote(user=voter, post=t.posts.get(is_question=True))
        made.append(t)
    from forum import selectors

    seen, cursor = [], None
    while True:
        page = selectors.thread_list(sort="votes", cursor=cursor, limit=3)
        seen += [(t.score, t.pk) for t in page.threads]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 7 and seen == sorted(seen, reverse=True)
    text = client_for(None).get("/", {"sort": "votes"}).text
    assert text.index("Voted thread 04") < text.index("Voted thread 00")


@pytest.mark.parametrize("params", [{"sort": "nope"}, {"sort": "votes", "after": "garbage!"}, {"after": "dg=="}])
def test_bad_sort_or_cursor_is_a_clear_400(params):
    response = client_for(None).get("/", params)
    assert response.status_code == 400


def test_list_queries_do_not_grow_with_escalations_or_readers(customer, other_customer, expert, staff, vendor):
    client = client_for(other_customer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    first = thread_actions.create_thread(author=customer, title="First listed thread", body="b", tags="a")
    client.get("/")
    n_one = count()
    for i in range(6):
        t = thread_actions.create_thread(author=customer, title=f"Another thread {i}", body="b", tags="a b")
        escalations.escalate(user=customer, thread=t, handle=vendor.handle)
        post_actions.reply(author=staff, thread=t, body="On it.")
        client.post(f"/t/{t.pk}/seen/", {"seq": 1})
    client.post(f"/t/{first.pk}/seen/", {"seq": 1})
    assert count() == n_one


def test_expert_label_from_reputation_threshold(settings, customer, expert, staff, thread):
    expert.refresh_from_db()
    settings.BARNRAISE = {**settings.BARNRAISE, "EXPERT_REPUTATION": expert.reputation + 10}
    answer = post_actions.reply(author=expert, thread=thread, body="Turn off MAC randomisation.")
    post_actions.reply(author=staff, thread=thread, body="Northwind here.")
    page = client_for(None).get(thread.get_absolute_url()).text
    assert "Expert</span>" not in page
    veteran = make_user("veteran", reputation=100)
    age(veteran)  # a new account's votes earn nothing (anti-farming)
    vote_actions.upvote(user=veteran, post=answer)  # +10 reputation: the expert reaches the threshold
    asked = thread_actions.create_thread(author=expert, title="Expert asks about routers", body="b", tags="r")
    page = client_for(None).get(thread.get_absolute_url()).text
    assert page.count(">Expert</span>") == 1  # the expert's reply, not the asker's question or staff's reply
    assert ">Expert</span>" in _row(client_for(None).get("/").text, asked.title)
    assert 'data-short="Staff · @northwind"' in page  # the short form phones show


def test_threads_from_before_joining_are_not_new(thread):
    newcomer = make_user("newcomer")
    assert "New to you" not in client_for(newcomer).get("/").text
