"""Actions: one Event per change, gap-free sequence numbers, nothing on failure."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Event, EventKind, Post, PostRevision, Thread, Vote

pytestmark = pytest.mark.django_db


def _seqs(thread):
    return list(Event.objects.filter(thread=thread, vendor__isnull=True).order_by("seq").values_list("seq", flat=True))


def test_each_action_records_one_event_with_gap_free_seq(thread, customer, expert, other_customer, moderator):
    assert _seqs(thread) == [1]
    answer = post_actions.reply(author=expert, thread=thread, body="Try forgetting the network.")
    assert _seqs(thread) == [1, 2]
    post_actions.edit_post(editor=expert, post=answer, body="Try forgetting the network, then rejoin.")
    vote_actions.upvote(user=other_customer, post=answer)
    vote_actions.withdraw_vote(user=other_customer, post=answer)
    thread_actions.accept_answer(user=customer, thread=thread, post=answer)
    thread_actions.reopen_thread(user=customer, thread=thread)
    thread_actions.set_locked(moderator=moderator, thread=thread, locked=True)
    assert _seqs(thread) == list(range(1, 9))
    kinds = list(Event.objects.filter(thread=thread).order_by("seq").values_list("kind", flat=True))
    assert kinds == [
        EventKind.POSTED, EventKind.REPLIED, EventKind.EDITED, EventKind.VOTED, EventKind.VOTE_WITHDRAWN,
        EventKind.ACCEPTED, EventKind.REOPENED, EventKind.LOCKED,
    ]  # fmt: skip
    thread.refresh_from_db()
    assert thread.last_seq == 8


def test_failed_actions_record_nothing(thread, reply, customer, expert, other_customer):
    before = Event.objects.count()
    with pytest.raises(ValidationError):
        post_actions.reply(author=expert, thread=thread, body="   ")
    with pytest.raises(ValidationError):
        vote_actions.upvote(user=expert, post=reply)  # own post
    with pytest.raises(PermissionDenied):
        thread_actions.accept_answer(user=other_customer, thread=thread, post=reply)
    with pytest.raises(PermissionDenied):
        post_actions.edit_post(editor=other_customer, post=reply, body="hijacked")
    with pytest.raises(ValidationError):
        post_actions.edit_post(editor=expert, post=reply, body=reply.body)  # unchanged
    with pytest.raises(ValidationError):
        thread_actions.reopen_thread(user=customer, thread=thread)  # already open
    vote_actions.upvote(user=other_customer, post=reply)
    with pytest.raises(ValidationError):
        vote_actions.upvote(user=other_customer, post=reply)
    assert Event.objects.count() == before + 1
    assert _seqs(thread) == [1, 2, 3]
    reply.refresh_from_db()
    assert reply.body == "Turn off MAC randomisation."
    assert reply.score == 1


def test_accept_marks_solved_and_reopen_reverts(thread, reply, customer):
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.SOLVED
    assert thread.accepted_post_id == reply.pk
    # Accepting the same answer twice changes nothing and records nothing.
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    assert _seqs(thread) == [1, 2, 3]
    thread_actions.reopen_thread(user=customer, thread=thread)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN
    assert thread.accepted_post_id is None


def test_cannot_accept_the_question_itself(thread, customer):
    question = Post.objects.get(thread=thread, is_question=True)
    with pytest.raises(ValidationError, match="not a reply"):
        thread_actions.accept_answer(user=customer, thread=thread, post=question)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_edit_keeps_history(thread, customer):
    question = Post.objects.get(thread=thread, is_question=True)
    post_actions.edit_post(
        editor=customer, post=question, body="New details.", title="Tablet drops wifi after every sleep"
    )
    revision = PostRevision.objects.get(post=question)
    assert revision.body == "Since the update my tablet loses **wifi** after sleep."
    assert revision.title == "Tablet drops wifi after sleep"
    thread.refresh_from_db()
    assert thread.title == "Tablet drops wifi after every sleep"
    question.refresh_from_db()
    assert question.edited_at is not None


def test_vote_score_and_withdraw(reply, other_customer):
    assert vote_actions.upvote(user=other_customer, post=reply) == 1
    with pytest.raises(ValidationError, match="already voted"):
        vote_actions.upvote(user=other_customer, post=reply)
    assert Vote.objects.filter(post=reply).count() == 1
    assert vote_actions.withdraw_vote(user=other_customer, post=reply) == 0
    with pytest.raises(ValidationError, match="not voted"):
        vote_actions.withdraw_vote(user=other_customer, post=reply)


def test_locked_thread_refuses_replies_but_not_moderators(thread, moderator, expert):
    thread_actions.set_locked(moderator=moderator, thread=thread, locked=True)
    with pytest.raises(PermissionDenied, match="locked"):
        post_actions.reply(author=expert, thread=thread, body="Hello")
    post_actions.reply(author=moderator, thread=thread, body="Moderator note")
    with pytest.raises(PermissionDenied):
        thread_actions.set_locked(moderator=expert, thread=thread, locked=False)


@pytest.mark.django_db(transaction=True)
def test_concurrent_actions_keep_seq_gap_free(customer, expert, other_customer):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    thread = thread_actions.create_thread(author=customer, title="Busy thread with many writers", body="q")
    question = Post.objects.get(thread=thread, is_question=True)
    voters = [customer.__class__.objects.create(username=f"voter{i}") for i in range(8)]

    def work(i):
        try:
            if i % 2:
                post_actions.reply(author=expert if i % 4 == 1 else other_customer, thread=thread, body=f"reply {i}")
            else:
                vote_actions.upvote(user=voters[i // 2 % 8], post=question)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(16)))
    thread.refresh_from_db()
    assert _seqs(thread) == list(range(1, 18))  # the question, then 16 concurrent actions
    assert thread.last_seq == 17
    assert thread.reply_count == 8
    assert thread.score == 8
    question.refresh_from_db()
    assert question.score == 8


def test_history_is_private_to_author_and_moderators(reply, expert, other_customer, moderator):
    from django.urls import reverse

    from tests.conftest import client_for

    post_actions.edit_post(editor=expert, post=reply, body="v2")
    url = reverse("forum:post_history", args=[reply.pk])
    assert client_for(other_customer).get(url).status_code == 403
    assert client_for(moderator).get(url).status_code == 200
    assert client_for(expert).get(url).status_code == 200


def test_reopen_by_someone_else_is_forbidden(thread, reply, customer, other_customer):
    from django.urls import reverse

    from tests.conftest import client_for

    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    response = client_for(other_customer).post(reverse("forum:reopen", args=[thread.pk]))
    assert response.status_code == 403
    assert "Only the person who asked" in response.text
    thread.refresh_from_db()
    assert thread.status == Thread.Status.SOLVED


def test_emoji_only_title_still_gets_a_working_url(customer):
    from tests.conftest import client_for

    thread = thread_actions.create_thread(author=customer, title="📶📶📶 😡😡😡 !!", body="no wifi")
    assert thread.slug == "thread"
    assert client_for(None).get(thread.get_absolute_url()).status_code == 200
