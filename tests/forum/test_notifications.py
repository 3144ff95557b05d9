"""Who hears about what: replies on followed threads, mentions, accepted answers."""

import pytest
from django.urls import reverse

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Notification
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def kinds_for(user):
    """Notices about threads; badge notices are tested in test_badges.py."""
    notices = Notification.objects.filter(recipient=user).exclude(kind=Notification.Kind.BADGE)
    return sorted(notices.values_list("kind", flat=True))


def test_the_author_hears_of_a_reply_but_not_of_their_own(thread, customer, expert):
    post_actions.reply(author=expert, thread=thread, body="Try this.")
    post_actions.reply(author=customer, thread=thread, body="Thanks, trying.")
    assert kinds_for(customer) == ["reply"]
    # The expert replied, so now follows the thread and hears of the customer's answer.
    assert kinds_for(expert) == ["reply"]


def test_a_mention_notifies_once_even_for_a_follower(thread, customer, expert):
    post_actions.reply(author=expert, thread=thread, body="Hello")
    post_actions.reply(author=customer, thread=thread, body="@dana does this need a reset?")
    assert kinds_for(expert) == ["mention"]


def test_unknown_mentions_and_self_mentions_notify_nobody(thread, customer):
    post_actions.reply(author=customer, thread=thread, body="@nobody-here and @jeff")
    assert Notification.objects.count() == 0


def test_an_accepted_answer_tells_its_author(thread, customer, reply, expert):
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    assert "accepted" in kinds_for(expert)


def test_the_bell_shows_the_unread_count_and_the_page_lists_them(thread, customer, expert):
    post_actions.reply(author=expert, thread=thread, body="Try turning it off and on.")
    client = client_for(customer)
    page = client.get(reverse("forum:notifications"))
    assert page.status_code == 200
    assert "Dana Whitfield" in page.text
    assert "data-unread>1<" in page.text.replace(" ", "")
    client.post(reverse("forum:notifications_read"))
    assert Notification.objects.get(recipient=customer).read_at is not None


def test_notifications_need_a_login(client):
    assert client.get(reverse("forum:notifications")).status_code == 302
    assert client.get(reverse("forum:notifications_read")).status_code in (302, 405)
