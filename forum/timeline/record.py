"""The timeline: every visible change is one Event, numbered gap-free per stream.

``record()`` must run inside the action's transaction. It allocates the next
sequence number of the thread's public stream with an UPDATE on the thread
row; the row lock that UPDATE takes is held until commit, so events on one
thread commit in sequence order. Private streams (a vendor's staff notes) are
numbered under the same lock. After commit, the event is published on the
channel layer; a failure there loses nothing, because readers replay from
the database (see docs/events.md).
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, F, Func, Max
from django.utils import timezone, translation

from forum import hooks, metrics, notifications, webhooks
from forum.models import Event, EventKind, Post, Thread, User, Vendor
from forum.timeline import kinds

logger = logging.getLogger(__name__)


def thread_group(thread_id: int, vendor_id: int | None = None) -> str:
    """The channel-layer group that carries one stream of a thread."""
    if vendor_id is None:
        return f"thread.{thread_id}"
    return f"thread.{thread_id}.vendor.{vendor_id}"


def _txid() -> Func | int:
    """The writing transaction's id, for commit-ordered feeds (inside the INSERT: no extra query)."""
    if transaction.get_connection().vendor == "postgresql":
        return Func(function="txid_current", output_field=BigIntegerField())
    return 0


def record(
    *,
    thread: Thread,
    kind: EventKind | str,
    actor: User | None,
    post: Post | None = None,
    vendor: Vendor | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event to the thread's timeline, inside the caller's transaction.

    ``kind`` must be registered (forum.timeline.kinds) and ``data`` fit its typed payload.
    """
    kinds.check(kinds.get(kind), data or {})
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("timeline.record() must run inside the action's transaction")
    if vendor is None:
        Thread.objects.filter(pk=thread.pk).update(last_seq=F("last_seq") + 1)
        seq = Thread.objects.filter(pk=thread.pk).values_list("last_seq", flat=True).get()
        thread.last_seq = seq
    else:
        Thread.objects.select_for_update(no_key=True).filter(pk=thread.pk).values_list("pk", flat=True).get()
        last = Event.objects.filter(thread=thread, vendor=vendor).aggregate(last=Max("seq"))["last"]
        seq = (last or 0) + 1
    event = Event.objects.create(
        thread=thread, seq=seq, kind=str(kind), actor=actor, post=post, vendor=vendor, data=data or {}, txid=_txid()
    )
    notifications.fan_out(event)
    webhooks.enqueue(event)
    hooks.event_recorded.send(sender=Event, event=event)
    transaction.on_commit(partial(publish, event))
    # One line per action (every visible change records one event), with the request id of who caused it.
    logger.info("%s: thread %s seq %s", kind, thread.pk, seq, extra={"event_kind": str(kind), "thread_id": thread.pk})
    return event


def _frame(payload: dict[str, Any]) -> str:
    return json.dumps({"type": "event", "event": payload}, separators=(",", ":"))


def live_message(payload: dict[str, Any], *, event_id: int | None = None, language: str = "") -> dict[str, Any]:
    """The channel-layer message for a live event: its socket frame, encoded once, here.

    Every watching socket, in every process, forwards ``text`` as it is: a reply seen by a
    thousand watchers is encoded once, not once per socket. ``payload`` is rendered in
    ``language`` (``LANGUAGE_CODE`` unless given); a socket in another language gets the frame
    from ``frame_in`` instead, rendered once per process (swarm/consumers.py). ``texts`` maps the
    language to the same text, as consumers of the previous release read it during a rolling
    deploy. ``stream`` lets the consumer decide who may receive it without decoding the frame.
    """
    text = _frame(payload)
    return {
        "type": "timeline.event",
        "stream": payload["stream"],
        "event_id": event_id,
        "language": language or settings.LANGUAGE_CODE,
        "text": text,
        "texts": {language or settings.LANGUAGE_CODE: text},
    }


def frame_in(event_id: int, language: str) -> str | None:
    """The live frame of a stored event rendered in ``language``; None if the event is gone.

    Called where a socket of that language watches, not by the poster: the event is read back
    and rendered as the stream's audience sees it now, exactly like a replay of it would be.
    """
    from forum.timeline.presenter import live_payload  # late: payloads render templates

    event = (
        Event.objects.filter(pk=event_id)
        .select_related("actor", "thread", "post", "post__author", "post__staff_vendor")
        .defer("thread__search_vector")
        .first()
    )
    if event is None:
        return None
    with translation.override(language):
        return _frame(live_payload(event))


def publish(event: Event) -> None:
    """Wake up everyone watching the event's stream. Best effort: the log is durable."""
    metrics.EVENTS_RECORDED.labels(event.kind).inc()  # here, after commit: a rolled-back event never counts
    try:
        from forum.timeline.presenter import live_payload  # late: payloads render templates

        # One rendering, in the default language, on the poster's time. Labels and the post's
        # controls are words, but rendering every language here cost the poster one rendering
        # per language on every event, watched in that language or not (bench/WS_RESULTS.md):
        # a socket in another language has it rendered in its own process, once (frame_in).
        with translation.override(settings.LANGUAGE_CODE):
            payload = live_payload(event)
        message = live_message(payload, event_id=event.pk, language=settings.LANGUAGE_CODE)
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(thread_group(event.thread_id, event.vendor_id), message)
            metrics.FANOUT_DELAY.observe((timezone.now() - event.created_at).total_seconds())
        metrics.EVENTS_PUBLISHED.labels("sent").inc()
    except Exception:  # live delivery must never break a committed write
        metrics.EVENTS_PUBLISHED.labels("failed").inc()
        logger.warning("Live delivery of event %s failed; clients will catch up by replay", event.pk, exc_info=True)
