"""Similar threads on a thread page name real neighbours only (SQLite FTS5 and PostgreSQL alike).

Run once on each database: ``BARNRAISE_TEST_DB=postgres`` switches this file to PostgreSQL.
"""

from __future__ import annotations

import pytest

from forum.actions import threads as thread_actions

pytestmark = pytest.mark.django_db


def _aside(client, thread) -> str:
    page = client.get(thread.get_absolute_url()).text
    return page.split('id="similar-threads"')[1].split("</section>")[0]


@pytest.fixture
def forum_of_strangers(customer, expert):
    """Threads that each share one everyday word ("update", "after", "screen") with the others, and no more."""
    titles = [
        "Printer jams after firmware update",
        "Smartwatch strap broke",
        "Screen flickers on the projector",
        "Router update failed halfway",
    ]
    return [thread_actions.create_thread(author=expert, title=t, body="Details inside.") for t in titles]


def test_a_thread_without_neighbours_says_so_instead_of_listing_strangers(customer, client, forum_of_strangers):
    lonely = thread_actions.create_thread(
        author=customer, title="Tablet keyboard stops after update", body="The keys do nothing."
    )
    aside = _aside(client, lonely)
    assert "No similar threads yet." in aside
    for stranger in forum_of_strangers:
        assert stranger.title not in aside


def test_an_obvious_neighbour_is_listed_and_a_one_word_match_is_not(customer, expert, client, forum_of_strangers):
    neighbour = thread_actions.create_thread(
        author=expert, title="Tablet wifi drops after sleep", body="Since the update it reconnects."
    )
    asked = thread_actions.create_thread(
        author=customer, title="My tablet loses wifi after sleeping", body="It happens every night."
    )
    aside = _aside(client, asked)
    assert neighbour.title in aside
    assert "No similar threads yet." not in aside
    for stranger in forum_of_strangers:
        assert stranger.title not in aside
