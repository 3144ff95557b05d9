"""The event-kind registry: every kind registered by its app, typed, JSON-safe; set and clear apart."""

from __future__ import annotations

import importlib
import json
from typing import TypedDict

import pytest
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from forum import timeline
from forum.actions import knowledge as knowledge_actions
from forum.actions import votes as vote_actions
from forum.models import Article, Event, EventKind
from forum.timeline import kinds, presenter
from tests.conftest import make_user

from .knowledge_helpers import solved_thread

pytestmark = pytest.mark.django_db


def test_forum_and_swarm_each_register_their_own_kinds():
    assert kinds.get(EventKind.REPLIED).app == "forum"
    assert kinds.get(EventKind.CLAIMED).app == "swarm"
    assert kinds.get(EventKind.NOTE).label == "wrote a staff note"
    # Every constant code names is registered, so none can be recorded unlabelled.
    assert {k.value for k in EventKind} <= set(kinds.values())


@pytest.mark.parametrize("kind", kinds.all_kinds(), ids=lambda k: k.value)
def test_each_kinds_payload_round_trips_through_json(kind, thread):
    """A recorded event of every kind reads back, through the presenter and JSON, as it was written."""
    example = kind.example
    if kind.value in presenter.ARTICLE_KINDS:  # shown as the article it names is: name a published one
        article = Article.objects.create(
            thread=thread, title="T", environment="E", cause="C", resolution="R", resolution_html="<p>R</p>",
            author=thread.author, status=Article.Status.PUBLISHED, published_at=timezone.now(),
        )  # fmt: skip
        example = {**example, "article": article.pk}
    with transaction.atomic():
        event = timeline.record(thread=thread, kind=kind.value, actor=thread.author, data=example)
    stored = Event.objects.select_related("thread", "actor").get(pk=event.pk)
    assert json.loads(json.dumps(stored.data)) == example
    frame = json.loads(json.dumps(presenter.event_payloads([stored], presenter.PUBLIC)[0]))
    assert (frame["kind"], frame["label"]) == (kind.value, kind.label)
    if kind.value != EventKind.DUPLICATE:  # its canonical title is the canonical thread's, as the viewer sees it
        assert frame["data"] == example


def test_record_refuses_an_unregistered_kind_and_writes_nothing(thread):
    before = thread.last_seq
    with pytest.raises(kinds.UnknownEventKindError), transaction.atomic():
        timeline.record(thread=thread, kind="teleported", actor=thread.author)
    thread.refresh_from_db()
    assert thread.last_seq == before and not Event.objects.filter(kind="teleported").exists()


def test_record_refuses_data_that_does_not_fit_the_kinds_payload(thread):
    with pytest.raises(kinds.BadEventDataError, match="score"), transaction.atomic():
        timeline.record(thread=thread, kind=EventKind.VOTED, actor=thread.author, data={"score": "many"})
    with pytest.raises(kinds.BadEventDataError, match="title"), transaction.atomic():
        timeline.record(thread=thread, kind=EventKind.POSTED, actor=thread.author, data={"tags": []})


def test_an_app_may_register_a_new_kind_without_a_migration(thread):
    class Waved(TypedDict):
        at: str

    kinds.register("waved_test", "waved", Waved, app="tests", example={"at": "noon"})
    try:
        with transaction.atomic():
            event = timeline.record(thread=thread, kind="waved_test", actor=thread.author, data={"at": "noon"})
        assert Event.objects.get(pk=event.pk).label == "waved"
    finally:
        kinds._registry.pop("waved_test")


def _live_frames(monkeypatch) -> list[dict]:
    sent: list[dict] = []

    class Layer:
        async def group_send(self, group, message):
            sent.append(json.loads(message["text"])["event"])  # the frame as every socket gets it

    monkeypatch.setattr(importlib.import_module("forum.timeline.record"), "get_channel_layer", lambda: Layer())
    return sent


def test_clearing_an_outdated_flag_is_shown_live_as_a_clear(monkeypatch, customer, expert, moderator):
    _thread, answer = solved_thread(customer, expert, "Printer offline", "Restart the spooler.")
    knowledge_actions.flag_outdated(user=customer, post=answer, reason="Not with driver 5")
    sent = _live_frames(monkeypatch)
    with TestCase.captureOnCommitCallbacks(execute=True):
        knowledge_actions.clear_outdated(user=moderator, post=answer)
    assert [(f["kind"], f["label"]) for f in sent] == [("outdated_cleared", "cleared the outdated flag")]


def test_withdrawing_a_vote_and_unmarking_a_duplicate_are_their_own_kinds(monkeypatch, customer, reply, moderator):
    voter = make_user("voter")
    vote_actions.upvote(user=voter, post=reply)
    other, _ = solved_thread(customer, voter, "Same printer", "Restart it.")
    knowledge_actions.mark_duplicate(user=moderator, thread=reply.thread, canonical=other)
    sent = _live_frames(monkeypatch)
    with TestCase.captureOnCommitCallbacks(execute=True):
        vote_actions.withdraw_vote(user=voter, post=reply)
    with TestCase.captureOnCommitCallbacks(execute=True):
        knowledge_actions.unmark_duplicate(user=moderator, thread=reply.thread)
    assert [(f["kind"], f["label"]) for f in sent] == [
        ("vote_withdrawn", "withdrew a vote"),
        ("duplicate_cleared", "unmarked the thread as a duplicate"),
    ]


def test_migration_0014_turns_old_clears_into_their_own_kinds(thread):
    """Rows written before the registry stored a clear as its set kind with a marker in data."""
    from django.apps import apps

    migration = importlib.import_module("forum.migrations.0014_event_kinds")
    old = [
        Event.objects.create(thread=thread, seq=50, kind="outdated", data={"cleared": True}),
        Event.objects.create(thread=thread, seq=51, kind="duplicate", data={"canonical": None, "previous": 3}),
        Event.objects.create(thread=thread, seq=52, kind="outdated", data={"reason": "Fixed in 4.3"}),
    ]
    migration.split_clears(apps, None)
    rows = [(e.kind, e.data) for e in Event.objects.filter(pk__in=[e.pk for e in old]).order_by("seq")]
    assert rows == [
        ("outdated_cleared", {}),
        ("duplicate_cleared", {"previous": 3}),
        ("outdated", {"reason": "Fixed in 4.3"}),
    ]
