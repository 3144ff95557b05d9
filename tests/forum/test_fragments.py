"""The thread page's per-post fragment cache (forum/fragments.py): shared HTML reused across
viewers, nothing of one viewer's shown to another, every change visible on the next view."""

import itertools
import re

import pytest
from django.core.cache import cache
from django.test import override_settings

from forum.actions import accounts
from forum.actions import moderation as mod_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.fragments import fragment_key
from forum.models import Post
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROLES = ("visitor", "staff", "moderator", "author")
# What each response makes anew: form tokens and the reply form's idempotency key.
_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value="|value=")(?:[A-Za-z0-9]{64}|[0-9a-f]{32})(")')


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scene(customer, expert, staff, moderator, other_customer):
    """A thread by ``customer`` with an accepted staff answer, a flagged reply, an edited reply
    and a vote by the author: every per-viewer control has something to show."""
    thread = thread_actions.create_thread(author=customer, title="Router drops wifi at night", body="q", tags="wifi")
    answer = post_actions.reply(author=staff, thread=thread, body="Staff answer: update the firmware.")
    flagged = post_actions.reply(author=expert, thread=thread, body="Expert reply that someone flagged.")
    edited = post_actions.reply(author=other_customer, thread=thread, body="First words.")
    post_actions.edit_post(editor=other_customer, post=edited, body="Second words after an edit.")
    thread_actions.accept_answer(user=customer, thread=thread, post=answer)
    vote_actions.upvote(user=customer, post=flagged)
    mod_actions.flag_post(user=other_customer, post=flagged, reason="spam")
    viewers = {"visitor": None, "staff": staff, "moderator": moderator, "author": customer}
    return thread, viewers


def _page(client, thread) -> str:
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return _TOKEN.sub(r"\1TOKEN\2", response.content.decode())


@pytest.mark.parametrize("order", list(itertools.permutations(ROLES)), ids="-".join)
def test_no_viewer_sees_controls_rendered_for_another(scene, order):
    """In any order over one warm cache, each role gets the page it gets from an empty cache."""
    thread, viewers = scene
    clients = {role: client_for(viewers[role]) for role in ROLES}
    alone = {}
    for role in ROLES:
        cache.clear()
        alone[role] = _page(clients[role], thread)
    cache.clear()
    for role in order:
        assert _page(clients[role], thread) == alone[role], f"{role} after {order[: order.index(role)]}"
    # The roles really differ, so a leak would have shown.
    assert "open flag" in alone["moderator"] and "open flag" not in alone["visitor"] + alone["author"]
    assert "Accept as answer" in alone["author"] and "Accept as answer" not in alone["moderator"] + alone["staff"]
    assert "is-voted" in alone["author"] and "is-voted" not in alone["visitor"] + alone["moderator"]
    assert "Verify for" in alone["staff"] and "Verify for" not in alone["visitor"] + alone["moderator"]
    assert ">Edit<" in alone["moderator"] and ">Edit<" not in alone["visitor"]
    assert "flag-box" not in alone["visitor"]


def test_posts_are_rendered_once_and_reused_across_viewers(scene):
    thread, viewers = scene
    _page(client_for(None), thread)
    posts = list(Post.objects.filter(thread=thread).select_related("author", "staff_vendor"))
    for post in posts:
        post._prefetched_objects_cache = {"attachments": post.attachments.none()}
    keys = [fragment_key(post) for post in posts]
    assert len(cache.get_many(keys)) == len(posts)  # filled by the visitor's view...
    cache.set(keys[0], ("<b>from the cache</b>", "", "", ""))
    assert "<b>from the cache</b>" in _page(client_for(viewers["moderator"]), thread)  # ...and read by the next


def test_an_edit_shows_on_the_next_view(scene):
    thread, _viewers = scene
    post = Post.objects.get(thread=thread, body="Second words after an edit.")
    visitor = client_for(None)
    assert "Second words after an edit." in _page(visitor, thread)
    post_actions.edit_post(editor=post.author, post=post, body="Third words, edited again.")
    page = _page(visitor, thread)
    assert "Third words, edited again." in page and "Second words after an edit." not in page


def test_hiding_and_restoring_a_post_shows_at_once_and_hidden_stays_hidden(scene, moderator):
    thread, _viewers = scene
    post = Post.objects.get(thread=thread, body="Expert reply that someone flagged.")
    visitor, mod = client_for(None), client_for(moderator)
    assert "Expert reply that someone flagged." in _page(visitor, thread)
    mod_actions.hide_post(moderator=moderator, post=post, reason="spam")
    for _ in range(2):  # the second view reads the cache the first one filled
        page = _page(visitor, thread)
        assert "Expert reply that someone flagged." not in page
        assert "This post is hidden pending moderator review." in page
    assert "Expert reply that someone flagged." in _page(mod, thread)  # moderators still read it...
    assert "Expert reply that someone flagged." not in _page(visitor, thread)  # ...which leaks to nobody
    mod_actions.restore_post(moderator=moderator, post=Post.objects.get(pk=post.pk))
    assert "Expert reply that someone flagged." in _page(visitor, thread)


def test_a_rename_and_a_vote_show_on_the_next_view(scene, expert, other_customer):
    thread, _viewers = scene
    post = Post.objects.get(thread=thread, body="Expert reply that someone flagged.")
    visitor = client_for(None)
    _page(visitor, thread)
    accounts.update_display_name(user=expert, display_name="Renamed Expert")
    vote_actions.upvote(user=other_customer, post=post)
    page = _page(visitor, thread)
    assert "Renamed Expert" in page
    assert re.search(rf'id="post-{post.pk}".*?data-score>2<', page, re.S)


def test_the_page_works_while_the_cache_is_down(scene):
    """A cache that refuses connections is a miss: the page renders from the database."""
    from tests.services import free_port

    thread, _viewers = scene
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}
    ):
        page = _page(client_for(None), thread)
    assert "Staff answer: update the firmware." in page
