"""Rate limits: per user and action, checked inside the actions, with a clear 'try again in' message."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from forum import ratelimit
from forum.actions import moderation as mod
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Flag, Post, Thread, Vote
from forum.ratelimit import RateLimitedError
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    def set_limits(**values):
        settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": values}

    return set_limits


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_000_000.0)  # a window boundary for 60-second windows: 1_000_000 % 60 == 40
    monkeypatch.setattr(ratelimit.time, "time", clock)
    return clock


def test_error_is_a_permission_denied_with_retry_after():
    error = RateLimitedError(42)
    assert isinstance(error, PermissionDenied)
    assert error.retry_after == 42
    assert str(error) == "You're posting too fast; try again in 42 seconds."
    assert str(RateLimitedError(1)) == "You're posting too fast; try again in 1 second."


def test_fixed_window_counts_per_user_and_action(limits, clock):
    limits(reply=(2, 60))
    ratelimit.check(user_id=1, action="reply")
    ratelimit.check(user_id=1, action="reply")
    with pytest.raises(RateLimitedError) as caught:
        ratelimit.check(user_id=1, action="reply")
    assert caught.value.retry_after == 20  # the window started 40 s ago
    ratelimit.check(user_id=2, action="reply")  # another person
    ratelimit.check(user_id=1, action="vote")  # another action, not limited here
    clock.now += 20
    ratelimit.check(user_id=1, action="reply")  # a new window


def test_unlisted_actions_and_exempt_blocks_are_not_limited(limits):
    limits(reply=(1, 60))
    for _ in range(5):
        ratelimit.check(user_id=1, action="thread")
    ratelimit.check(user_id=1, action="reply")
    with ratelimit.exempt():
        for _ in range(5):
            ratelimit.check(user_id=1, action="reply")


def test_an_unavailable_cache_lets_people_post(limits, monkeypatch):
    limits(reply=(1, 60))

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit.cache, "add", down)
    for _ in range(3):
        ratelimit.check(user_id=1, action="reply")


def test_default_limits_are_configured():
    import config.settings as config_settings  # the module itself: tests override django.conf.settings

    defaults = config_settings.BARNRAISE["RATE_LIMITS"]
    assert set(defaults) == {
        "thread",
        "reply",
        "edit",
        "vote",
        "flag",
        "suggestion_open",
        "metoo",
        "vendor_proof_email",
        "preview",
        "mention_suggest",
        "content_gap",
        "account_delete",
        "article",
    }
    assert all(count >= 5 for count, _ in defaults.values())


def test_threads_are_limited(customer, limits, clock):
    limits(thread=(2, 60))
    for i in range(2):
        thread_actions.create_thread(author=customer, title=f"Question number {i}", body="body")
    with pytest.raises(RateLimitedError, match="try again in 20 seconds"):
        thread_actions.create_thread(author=customer, title="One question too many", body="body")
    assert Thread.objects.count() == 2


def test_replies_are_limited(thread, expert, other_customer, limits, clock):
    limits(reply=(1, 60))
    post_actions.reply(author=expert, thread=thread, body="first")
    with pytest.raises(RateLimitedError):
        post_actions.reply(author=expert, thread=thread, body="second")
    post_actions.reply(author=other_customer, thread=thread, body="someone else")
    assert Post.objects.filter(is_question=False).count() == 2


def test_bad_input_does_not_use_up_attempts(thread, expert, limits):
    limits(reply=(1, 60))
    with pytest.raises(Exception, match="empty"):
        post_actions.reply(author=expert, thread=thread, body="   ")
    post_actions.reply(author=expert, thread=thread, body="a real reply")


def test_votes_are_limited(thread, customer, expert, limits):
    limits(vote=(2, 60))
    posts = [post_actions.reply(author=expert, thread=thread, body=f"answer {i}") for i in range(3)]
    vote_actions.upvote(user=customer, post=posts[0])
    vote_actions.withdraw_vote(user=customer, post=posts[0])
    with pytest.raises(RateLimitedError):
        vote_actions.upvote(user=customer, post=posts[1])
    assert not Vote.objects.exists()


def test_flags_are_limited(thread, expert, customer, limits):
    limits(flag=(1, 600))
    posts = [post_actions.reply(author=expert, thread=thread, body=f"answer {i}") for i in range(2)]
    mod.flag_post(user=customer, post=posts[0], reason="spam")
    with pytest.raises(RateLimitedError):
        mod.flag_post(user=customer, post=posts[1], reason="spam")
    assert Flag.objects.count() == 1


def test_reply_view_keeps_the_text_and_says_when(thread, expert, limits, clock):
    limits(reply=(1, 60))
    client = client_for(expert)
    client.post(f"/t/{thread.pk}/reply/", {"body": "first"})
    response = client.post(f"/t/{thread.pk}/reply/", {"body": "my carefully typed second reply"})
    assert response.status_code == 429
    assert response["Retry-After"] == "20"  # a client (or a proxy) knows when to try again
    assert "You&#x27;re posting too fast; try again in 20 seconds." in response.text
    assert "my carefully typed second reply" in response.text


def test_ask_view_answers_429(customer, limits, clock):
    limits(thread=(1, 60))
    client = client_for(customer)
    client.post("/ask/", {"title": "First question here", "body": "body", "tags": ""})
    response = client.post("/ask/", {"title": "Second question here", "body": "second body", "tags": ""})
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert "try again in 20 seconds" in response.text
    assert Thread.objects.count() == 1


def test_vote_view_answers_429_with_retry_after(reply, customer, limits, clock):
    limits(vote=(1, 60))
    client = client_for(customer)
    client.post(f"/p/{reply.pk}/vote/")
    response = client.post(f"/p/{reply.pk}/vote/", {"action": "withdraw"})
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert "try again in 20 seconds" in response.text
    response = client.post(f"/p/{reply.pk}/vote/", HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    assert response.json() == {"detail": "You're posting too fast; try again in 20 seconds.", "retry_after": 20}


def test_flag_view_answers_429(reply, customer, limits):
    limits(flag=(0, 60))
    response = client_for(customer).post(f"/p/{reply.pk}/flag/", {"reason": "spam"})
    assert response.status_code == 429
    assert "posting too fast" in response.text
    assert not Flag.objects.exists()


def test_sixth_rapid_failed_login_is_refused(customer):
    client = client_for(None)
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "jeff", "password": "wrong-password"})
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.text
    response = client.post("/accounts/login/", {"login": "jeff", "password": "wrong-password"})
    assert "Too many failed login attempts. Try again later." in response.text
    # Even the right password is refused until the window passes.
    response = client.post("/accounts/login/", {"login": "jeff", "password": "correct-horse-battery"})
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_login_limit_is_per_account(customer, other_customer):
    client = client_for(None)
    for _ in range(6):
        client.post("/accounts/login/", {"login": "jeff", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"login": "mei", "password": "correct-horse-battery"})
    assert response.status_code == 302


def test_edits_are_rate_limited_like_posts(reply, expert, limits, clock):
    limits(edit=(2, 60))
    post_actions.edit_post(editor=expert, post=reply, body="second version")
    post_actions.edit_post(editor=expert, post=reply, body="third version")
    with pytest.raises(RateLimitedError):
        post_actions.edit_post(editor=expert, post=reply, body="fourth version")
    reply.refresh_from_db()
    assert reply.body == "third version" and reply.revisions.count() == 2


def test_edit_view_keeps_the_text_and_answers_429(reply, expert, limits, clock):
    limits(edit=(1, 60))
    client = client_for(expert)
    client.post(f"/p/{reply.pk}/edit/", {"body": "second version"})
    response = client.post(f"/p/{reply.pk}/edit/", {"body": "my carefully typed third version"})
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert "try again in 20 seconds" in response.text
    assert "my carefully typed third version" in response.text
    reply.refresh_from_db()
    assert reply.body == "second version"
