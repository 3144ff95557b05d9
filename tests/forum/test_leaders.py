"""Leaderboards: points from the ledger in a window, overall and per tag, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import reputation_selectors
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import ReputationChange
from tests.conftest import client_for, make_user
from tests.forum._reputation import establish

pytestmark = pytest.mark.django_db


def solved(asker, answerer, *, tags: str, days_ago: int = 0, n: int = 0):
    """A thread by ``asker`` whose answer by ``answerer`` is accepted (+15/+2), dated ``days_ago``."""
    thread = thread_actions.create_thread(author=asker, title=f"Problem {tags} {n}", body="Broken.", tags=tags)
    answer = post_actions.reply(author=answerer, thread=thread, body="Fix.")
    thread_actions.accept_answer(user=asker, thread=thread, post=answer)
    if days_ago:
        ReputationChange.objects.filter(post=answer).update(created_at=timezone.now() - timedelta(days=days_ago))
    return answer


def board(**kwargs) -> list[tuple[str, int]]:
    return [(leader.username, leader.points) for leader in reputation_selectors.leaderboard(**kwargs)]


@pytest.fixture
def history(customer, other_customer, expert):
    """dana: 15 this week (wifi), 15 three weeks ago (billing), 15 a year ago (wifi); mei: 15 this week (billing)."""
    establish(customer)  # acceptances from brand-new accounts earn nothing
    solved(customer, expert, tags="wifi", n=1)
    solved(customer, expert, tags="billing", days_ago=20, n=2)
    solved(customer, expert, tags="wifi", days_ago=400, n=3)
    solved(customer, other_customer, tags="billing", n=4)


def test_windows_count_only_points_earned_in_them(history):
    assert board(period="week") == [("dana", 15), ("mei", 15), ("jeff", 4)]
    assert board(period="month") == [("dana", 30), ("mei", 15), ("jeff", 6)]
    assert board(period="all") == [("dana", 45), ("mei", 15), ("jeff", 8)]


def test_a_tag_board_counts_only_points_on_threads_with_the_tag(history):
    assert board(period="all", tag="wifi") == [("dana", 30), ("jeff", 4)]
    assert board(period="week", tag="billing") == [("mei", 15), ("jeff", 2)]
    assert board(period="all", tag="nothing-here") == []


def test_the_board_holds_at_most_fifty(customer):
    establish(customer)
    for n in range(52):
        solved(customer, make_user(f"helper{n:02}"), tags="wifi", n=n)
    assert len(board(period="week")) == 50


def test_the_board_takes_a_fixed_number_of_queries(customer, other_customer, expert):
    establish(customer)
    establish(other_customer)
    solved(customer, expert, tags="wifi", n=1)
    with CaptureQueriesContext(connection) as small:
        client_for(None).get(reverse("forum:leaders") + "?tag=wifi&period=all")
    for n in range(12):
        solved(other_customer, make_user(f"helper{n}"), tags="wifi", n=n + 10)
    with CaptureQueriesContext(connection) as large:
        page = client_for(None).get(reverse("forum:leaders") + "?tag=wifi&period=all")
    assert page.text.count('class="leader"') == 15
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as selector:
        reputation_selectors.leaderboard(period="month", tag="wifi")
    assert len(selector) == 1


def test_the_pages_show_the_board_and_link_to_it(history, customer):
    page = client_for(None).get(reverse("forum:leaders"))
    assert page.status_code == 200
    assert "Dana Whitfield" in page.text
    assert 'href="/leaders/"' in page.text  # top navigation
    tag_board = client_for(None).get(reverse("forum:tag_leaders", args=["billing"]) + "?period=week")
    assert tag_board.status_code == 200
    assert "Mei Chen" in tag_board.text and "Dana Whitfield" not in tag_board.text
    same = client_for(None).get(reverse("forum:leaders") + "?tag=BILLING&period=week")
    assert "Mei Chen" in same.text and "Dana Whitfield" not in same.text
    tag_page = client_for(None).get(reverse("forum:tag", args=["billing"]))
    assert reverse("forum:tag_leaders", args=["billing"]) in tag_page.text


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/leaders/?period=decade", 400, "Unknown period: choose week, month or all."),
        ("/leaders/?period=%00", 400, "Unknown period"),
        ("/leaders/?tag=no-such-tag", 404, "There is no tag named “no-such-tag”."),
        ("/leaders/?tag=%00wifi%00", 200, "Top helpers in"),
        ("/leaders/?tag=" + "x" * 5000, 404, "There is no tag named"),
        ("/leaders/?tag=%20%20", 200, "Leaderboard"),
        ("/tags/no-such-tag/leaders/", 404, "There is no tag named"),
        ("/tags/wifi/leaders/?period=forever", 400, "Unknown period"),
    ],
)
def test_bad_input_gets_a_clear_message(history, url, status, message):
    page = client_for(None).get(url)
    assert page.status_code == status
    assert message in page.text
