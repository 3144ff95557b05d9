"""The API keeps moderation's rules: hidden text only for its author and moderators, unreviewed posts unseen."""

from __future__ import annotations

import pytest
from django.test import Client

from forum.actions import moderation
from forum.models import Post, ReviewState
from tests.forum.api_helpers import token_client

pytestmark = pytest.mark.django_db

SECRET = "the spam text that was hidden"


@pytest.fixture
def hidden(thread, expert, moderator):
    from forum.actions import posts as post_actions

    post = post_actions.reply(author=expert, thread=thread, body=SECRET)
    moderation.hide_post(moderator=moderator, post=post)
    return post


def test_hidden_reply_is_masked_for_others(hidden, thread, other_customer):
    for client in (Client(), token_client(other_customer)):
        for path in (f"/api/threads/{thread.pk}", f"/api/posts/{hidden.pk}"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert SECRET not in response.content.decode(), path
            assert "hidden pending moderator review" in response.content.decode()


def test_hidden_reply_is_readable_by_author_and_moderators(hidden, expert, moderator):
    for user in (expert, moderator):
        assert SECRET in token_client(user).get(f"/api/posts/{hidden.pk}").content.decode()


def test_unreviewed_post_is_not_found_for_others(thread, expert, other_customer, moderator):
    from forum.actions import posts as post_actions

    post = post_actions.reply(author=expert, thread=thread, body="pending text")
    Post.objects.filter(pk=post.pk).update(review_state=ReviewState.PENDING)
    assert token_client(other_customer).get(f"/api/posts/{post.pk}").status_code == 404
    assert Client().get(f"/api/posts/{post.pk}").status_code == 404
    assert token_client(expert).get(f"/api/posts/{post.pk}").status_code == 200
    assert token_client(moderator).get(f"/api/posts/{post.pk}").status_code == 200
