"""Badges: awarded once by the actions that earn them, with a notice; listed on /badges/ and profiles."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from forum import badges
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Notification, UserBadge
from tests.conftest import client_for, make_user
from tests.forum._reputation import veteran

pytestmark = pytest.mark.django_db


def held(user) -> list[tuple[str, str]]:
    return sorted(UserBadge.objects.filter(user=user).values_list("badge", "tag"))


def badge_notices(user) -> int:
    return Notification.objects.filter(recipient=user, kind=Notification.Kind.BADGE).count()


def test_a_first_reply_earns_first_answer_once_with_a_notice(thread, customer, expert):
    post_actions.reply(author=expert, thread=thread, body="Try this.")
    post_actions.reply(author=expert, thread=thread, body="And this.")
    assert held(expert) == [("first-answer", "")]
    assert badge_notices(expert) == 1
    # Replying on your own thread is not an answer.
    post_actions.reply(author=customer, thread=thread, body="Thanks.")
    assert held(customer) == []


def test_accepting_earns_scholar_and_first_accepted_once(thread, customer, reply, expert, other_customer):
    second = post_actions.reply(author=other_customer, thread=thread, body="Or update.")
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    thread_actions.reopen_thread(user=customer, thread=thread)
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    thread_actions.accept_answer(user=customer, thread=thread, post=second)
    assert held(customer) == [("scholar", "")]
    assert held(expert) == [("first-accepted", ""), ("first-answer", "")]
    assert ("first-accepted", "") in held(other_customer)
    # The answerer hears both that the answer was accepted and that a badge was earned.
    kinds = sorted(Notification.objects.filter(recipient=expert).values_list("kind", flat=True))
    assert kinds.count("accepted") >= 1
    assert badge_notices(expert) == 2  # first answer, first accepted


def test_accepting_your_own_reply_earns_nothing(thread, customer):
    own = post_actions.reply(author=customer, thread=thread, body="Fixed it.")
    thread_actions.accept_answer(user=customer, thread=thread, post=own)
    assert held(customer) == []


def test_teacher_needs_an_accepted_answer_with_an_upvote(thread, customer, reply, expert):
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    assert ("teacher", "") not in held(expert)
    vote_actions.upvote(user=customer, post=reply)
    assert ("teacher", "") in held(expert)


def test_helpful_at_score_five_and_only_once(reply, expert):
    voters = [make_user(f"voter{n}") for n in range(6)]
    for voter in voters[:4]:
        vote_actions.upvote(user=voter, post=reply)
    assert ("helpful", "") not in held(expert)
    vote_actions.upvote(user=voters[4], post=reply)
    assert ("helpful", "") in held(expert)
    vote_actions.withdraw_vote(user=voters[4], post=reply)
    vote_actions.upvote(user=voters[5], post=reply)
    vote_actions.upvote(user=voters[4], post=reply)
    assert UserBadge.objects.filter(user=expert, badge="helpful").count() == 1
    assert ("helpful", "") in held(expert)  # never taken back


def test_enthusiast_after_ten_votes(customer):
    voter = veteran("voter")
    author = make_user("writer")
    thread = thread_actions.create_thread(author=customer, title="Many answers here", body="Help.", tags="wifi")
    posts = [post_actions.reply(author=author, thread=thread, body=f"Idea {n}") for n in range(10)]
    for post in posts[:9]:
        vote_actions.upvote(user=voter, post=post)
    assert held(voter) == []
    vote_actions.upvote(user=voter, post=posts[9])
    assert held(voter) == [("enthusiast", "")]


def test_ten_accepted_answers_in_a_tag_make_a_tag_expert(customer, other_customer, expert):
    for n in range(10):
        asker = customer if n % 2 else other_customer
        thread = thread_actions.create_thread(author=asker, title=f"Wifi problem {n}", body="No wifi.", tags="wifi")
        answer = post_actions.reply(author=expert, thread=thread, body="Reset the adapter.")
        assert ("tag-expert", "wifi") not in held(expert)
        thread_actions.accept_answer(user=asker, thread=thread, post=answer)
    assert ("tag-expert", "wifi") in held(expert)
    assert badges.BADGES["tag-expert"].title("wifi") == "wifi expert"
    page = client_for(None).get(reverse("forum:profile", args=[expert.username]))
    assert "wifi expert" in page.text


def test_the_badges_page_lists_every_badge_with_how_many_people_hold_it(thread, expert, other_customer):
    post_actions.reply(author=expert, thread=thread, body="One.")
    post_actions.reply(author=other_customer, thread=thread, body="Two.")
    page = client_for(None).get(reverse("forum:badges"))
    assert page.status_code == 200
    for badge in badges.BADGES.values():
        assert escape(badge.description) in page.text
    assert "Tag expert" in page.text
    assert "2 people" in page.text
    assert "0 people" in page.text


def test_the_notifications_page_shows_a_badge_notice(thread, expert):
    post_actions.reply(author=expert, thread=thread, body="Try this.")
    page = client_for(expert).get(reverse("forum:notifications"))
    assert "You earned a badge" in page.text
    profile = client_for(None).get(reverse("forum:profile", args=[expert.username]))
    assert "First answer" in profile.text


def test_an_unknown_badge_cannot_be_awarded(thread, expert):
    with pytest.raises(ValueError):
        badges.award(user_id=expert.pk, slug="made-up", event=None)
