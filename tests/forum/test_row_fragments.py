"""List rows and search hits come from a per-version fragment cache (forum/fragments.py): every
change shows on the next view, and each viewer's unread markers are their own."""

import itertools
import re

import pytest
from django.core.cache import cache

from forum.actions import accounts, knowledge, tags
from forum.actions import moderation as mod_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.fragments import row_key
from forum.selectors import thread_list
from tests.conftest import age, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _row(html: str, title: str) -> str:
    """The list row of the thread titled ``title``."""
    start = html.index(title)
    return html[html.rindex('<li class="thread-row', 0, start) : html.index("</li>\n", start)]


def _list(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    return text[text.index('<ol class="thread-list">') : text.index("</ol>", text.index('<ol class="thread-list">'))]


def _hits(client, query: str) -> str:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    text = response.content.decode()
    return text[text.index('<ol class="search-results">') : text.index("</ol>", text.index("search-results"))]


def test_a_cached_row_is_never_stale(thread, customer, expert, other_customer, moderator):
    """Reply, vote, retag, solve, rename and hide: each shows on the next view of a warm list."""
    client = client_for(None)
    row = _row(_list(client), thread.title)
    assert "<strong>0</strong> replies" in row and "Unanswered" in row and ">tablet</a>" in row

    answer = post_actions.reply(author=expert, thread=thread, body="Turn off MAC randomisation.")
    row = _row(_list(client), thread.title)
    assert "<strong>1</strong> reply" in row and "Unanswered" not in row

    voter = make_user("voter", reputation=100)
    age(voter)
    vote_actions.upvote(user=voter, post=thread.posts.get(is_question=True))
    assert "<strong>1</strong> vote<" in _row(_list(client), thread.title)

    tags.retag(user=customer, thread=thread, tags="wifi sleep")
    row = _row(_list(client), thread.title)
    assert ">sleep</a>" in row and ">tablet</a>" not in row

    thread_actions.accept_answer(user=customer, thread=thread, post=answer)
    row = _row(_list(client), thread.title)
    assert "badge-solved" in row and "is-solved" in row and "Jump to the solution" in row

    accounts.update_display_name(user=customer, display_name="Jeffrey Morrow")
    assert "Jeffrey Morrow" in _row(_list(client), thread.title)

    mod_actions.hide_post(moderator=moderator, post=answer, reason="spam")
    assert "Jump to the solution" not in _row(_list(client), thread.title)


def test_a_row_is_rendered_once_per_version_and_reused(thread, customer, expert):
    _list(client_for(None))
    [listed] = thread_list().threads
    assert cache.get(row_key(listed)) is not None
    post_actions.reply(author=expert, thread=thread, body="A reply makes a new version.")
    [replied] = thread_list().threads
    assert row_key(replied) != row_key(listed)


@pytest.mark.parametrize("order", list(itertools.permutations(("visitor", "reader", "newcomer", "asker"))))
def test_unread_markers_are_each_viewers_own_over_one_warm_cache(thread, customer, expert, other_customer, order):
    """In any order, each viewer gets the list they get from an empty cache, with their own markers."""
    reader = other_customer
    client = client_for(reader)
    client.post(f"/t/{thread.pk}/seen/", {"seq": 1})  # read the question, then a reply arrives
    post_actions.reply(author=expert, thread=thread, body="Try a router reboot.")
    fresh = thread_actions.create_thread(author=expert, title="Printer jams on page two", body="b", tags="printer")
    viewers = {"visitor": None, "reader": reader, "newcomer": make_user("newbie"), "asker": customer}
    clients = {name: client_for(user) for name, user in viewers.items()}
    alone = {}
    for name in viewers:
        cache.clear()
        alone[name] = _list(clients[name])
    cache.clear()
    for name in order:
        assert _list(clients[name]) == alone[name], f"{name} after {order[: order.index(name)]}"
    reader_row = _row(alone["reader"], thread.title)
    assert "is-unread" in reader_row and "New activity since you read it" in reader_row
    assert "New to you" in _row(alone["reader"], fresh.title)
    assert "is-unread" not in alone["visitor"] + alone["newcomer"]
    assert "is-unread" not in _row(alone["asker"], thread.title)  # their own thread
    assert "New to you" in _row(alone["asker"], fresh.title)


def test_rows_follow_the_language(thread):
    english = _list(client_for(None))
    german = client_for(None)
    german.cookies["django_language"] = "de"
    assert _list(german) != english
    assert "Unbeantwortet" in _list(german)
    assert "Unanswered" in _list(client_for(None))


def test_a_list_renders_when_the_cache_is_down(thread, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set_many", down)
    assert thread.title in _list(client_for(None))
    assert thread.title in _hits(client_for(None), "wifi")


def test_search_hits_show_their_own_snippet_and_the_latest_state(thread, customer, expert, moderator):
    """The hit's frame is cached, the snippet is the query's and the reply count and duplicate note are current."""
    client = client_for(None)
    wifi = _hits(client, "wifi")
    sleep = _hits(client, "sleep")
    assert "<mark>wifi</mark>" in wifi and "<mark>sleep</mark>" not in wifi
    assert "<mark>sleep</mark>" in sleep and "0 replies" in sleep
    post_actions.reply(author=expert, thread=thread, body="Turn off wifi power saving.")
    assert "1 reply" in _hits(client, "wifi")
    canonical = thread_actions.create_thread(author=expert, title="Wifi gone after tablet sleeps", body="b")
    knowledge.mark_duplicate(user=moderator, thread=thread, canonical=canonical)
    hit = _hits(client, "sleep")
    assert re.search(r"Duplicate: answered in <a href=\"[^\"]+\">Wifi gone after tablet sleeps</a>", hit)
