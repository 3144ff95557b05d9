"""WebSocket consumers. The frame schema is documented in docs/websocket.md.

A connection watches one thread. It receives every event of the thread's
public stream (and, for a vendor's verified staff, that vendor's private
stream) live from the channel layer. Live delivery is at-most-once; the
client tracks the last sequence number it applied and sends ``resume`` after
a gap or a reconnect, and the consumer replays the missed events from the
database. When too many were missed, it answers ``reload``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from forum import metrics
from forum.i18n import language_for_scope
from forum.models import Event, Membership, Thread
from forum.timeline import presenter, thread_group
from forum.timeline.record import frame_in
from swarm.actions import presence

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
REPLAY_LIMIT = 500
# Token bucket: bursts of RATE_BURST frames, refilled at RATE_PER_SECOND.
RATE_BURST = 20
RATE_PER_SECOND = 2.0

# Application close codes (docs/websocket.md). A refusal accepts the handshake and then closes
# with one of these: a refused handshake reaches the browser as 1006, which says nothing, and
# clients retry it for ever; a 44xx code tells them why, and that retrying will not help.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429

REFUSALS = {
    CLOSE_UNAUTHENTICATED: ("not_logged_in", gettext_lazy("Log in to see this live.")),
    CLOSE_FORBIDDEN: ("forbidden", gettext_lazy("You are not allowed to see this live.")),
    CLOSE_NOT_FOUND: ("not_found", gettext_lazy("This does not exist, or not for you.")),
}


async def refuse(consumer: AsyncWebsocketConsumer, code: int) -> None:
    """Accept, say why in an ``error`` frame, and close with the 44xx ``code``."""
    key, message = REFUSALS[code]
    with translation.override(language_for_scope(consumer.scope)):  # in the page's language
        text = str(message)
    await consumer.accept()
    await consumer.send(text_data=json.dumps({"type": "error", "error": text, "code": key}))
    await consumer.close(code=code)


@database_sync_to_async
def _thread(thread_id: int, user: Any) -> Thread | None:
    """The thread, if it exists for this viewer (a pending or rejected one does not, for others)."""
    thread = Thread.objects.filter(pk=thread_id).only("pk", "review_state", "author_id").first()
    if thread is None or presenter.thread(user, thread) is presenter.Seen.NOT_FOUND:
        return None
    return thread


@database_sync_to_async
def _join(thread: Thread, channel_name: str, user: Any) -> None:
    presence.join(thread=thread, channel_name=channel_name, user=user)


@database_sync_to_async
def _refresh(thread_id: int, channel_name: str, with_summary: bool) -> tuple[dict | None, int]:
    presence.refresh(channel_name=channel_name)
    last_seq = Thread.objects.filter(pk=thread_id).values_list("last_seq", flat=True).first() or 0
    return (presence.summary(thread_id=thread_id) if with_summary else None), last_seq


# A pong carries the full presence summary at most this often per connection; joins and
# leaves are broadcast anyway, this only catches connections whose process died.
PONG_SUMMARY_EVERY = 15.0


@database_sync_to_async
def _leave(channel_name: str) -> None:
    presence.leave(channel_name=channel_name)


@database_sync_to_async
def _summary(thread_id: int) -> dict:
    return presence.summary(thread_id=thread_id)


# Joins and leaves are coalesced per thread and per process: when a thousand people
# arrive at once, each process sends one presence frame per PRESENCE_COALESCE, not one
# per arrival (see bench/WS_RESULTS.md).
PRESENCE_COALESCE = 0.5
_presence_pending: dict[int, asyncio.Task] = {}


def _announce_presence(layer: Any, thread_id: int) -> None:
    if thread_id in _presence_pending:
        return

    async def later() -> None:
        try:
            await asyncio.sleep(PRESENCE_COALESCE)
            here = await _summary(thread_id)
            await layer.group_send(thread_group(thread_id), {"type": "presence.changed", "presence": here})
        finally:
            _presence_pending.pop(thread_id, None)

    _presence_pending[thread_id] = asyncio.ensure_future(later())


@database_sync_to_async
def _staff_vendor_ids(user: Any) -> list[int]:
    if user is None or not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, status=Membership.Status.VERIFIED).values_list("vendor_id", flat=True)
    )


@database_sync_to_async
def _still_staff(user: Any, vendor_id: int) -> bool:
    """Re-checked on every private frame and replay, so a revocation takes effect on open sockets at once."""
    from forum.models import Vendor
    from swarm.access import can_see_notes

    return user is not None and can_see_notes(user, Vendor(pk=vendor_id))


def replay(
    *, thread_id: int, vendor_id: int | None, after: int, user: Any, staff_vendor_ids: list[int], language: str = ""
) -> tuple[list[dict], bool]:
    """One stream's events after ``after``, as this viewer may see them (forum.timeline.presenter), in its language."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _replay(
            thread_id=thread_id, vendor_id=vendor_id, after=after, user=user, staff_vendor_ids=staff_vendor_ids
        )


def _replay(
    *, thread_id: int, vendor_id: int | None, after: int, user: Any, staff_vendor_ids: list[int]
) -> tuple[list[dict], bool]:
    rows = list(
        Event.objects.filter(thread_id=thread_id, vendor_id=vendor_id, seq__gt=after)
        .select_related("actor", "thread", "post", "post__author", "post__staff_vendor")
        .defer("thread__search_vector")
        .order_by("seq")[: REPLAY_LIMIT + 1]
    )
    if len(rows) > REPLAY_LIMIT:
        return [], True
    return presenter.event_payloads(rows, user or presenter.PUBLIC, staff_vendor_ids=staff_vendor_ids), False


_events_after = database_sync_to_async(replay)


# An event's frame in a language other than the one it was published in: rendered once per
# process and language, however many local sockets read it, by the first of them; the others
# await the same task. Only the last few events are kept: all local sockets get a message
# within moments of each other.
TRANSLATED_KEEP = 64
_translated: OrderedDict[tuple[int, str], asyncio.Future] = OrderedDict()
_frame_in = database_sync_to_async(frame_in)


async def translated_frame(event_id: int, language: str) -> str | None:
    """The event's live frame in ``language`` (None if it cannot be had: the caller sends the default one)."""
    key = (event_id, language)
    task = _translated.get(key)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = _translated[key] = asyncio.ensure_future(_frame_in(event_id, language))
        while len(_translated) > TRANSLATED_KEEP:
            _translated.popitem(last=False)
    try:
        # Shielded: one socket closing while it waits must not cancel the rendering for the others.
        return await asyncio.shield(task)
    except Exception:  # a frame in the default language beats none: live delivery is best effort
        logger.warning("Rendering event %s in %s failed; sent the default language", event_id, language, exc_info=True)
        return None


class ClosesWithAccount:
    """Joins the signed-in person's account group: deleting the account closes the socket (4401)."""

    account_group: str | None = None

    async def join_account(self, user: Any) -> None:
        from forum.notifications import account_group

        if user is not None and user.is_authenticated:
            self.account_group = account_group(user.pk)
            await self.channel_layer.group_add(self.account_group, self.channel_name)

    async def leave_account(self) -> None:
        if self.account_group:
            await self.channel_layer.group_discard(self.account_group, self.channel_name)
            self.account_group = None

    async def account_closed(self, message: dict) -> None:
        await self.leave_account()
        await self.close(code=CLOSE_UNAUTHENTICATED)


class ThreadConsumer(ClosesWithAccount, AsyncWebsocketConsumer):
    """Live events of one thread: ``/ws/t/<thread_id>/``."""

    async def connect(self) -> None:
        self.thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        self.language = language_for_scope(self.scope)  # the page's language, for labels and rendered posts
        self.joined: list[str] = []
        self.user = self.scope.get("user")
        thread = await _thread(self.thread_id, self.user or presenter.PUBLIC)
        if thread is None:
            await refuse(self, CLOSE_NOT_FOUND)
            return
        self.vendor_ids = await _staff_vendor_ids(self.user)
        self.joined = [thread_group(self.thread_id)] + [thread_group(self.thread_id, v) for v in self.vendor_ids]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.join_account(self.user)
        self.tokens = float(RATE_BURST)
        self.refilled = time.monotonic()
        await self.accept()
        # Present before "hello", so a client that has its hello is already counted.
        await _join(thread, self.channel_name, self.user)
        streams = ["public"] + [f"vendor:{v}" for v in self.vendor_ids]
        await self.send_json({"type": "hello", "thread": self.thread_id, "streams": streams})
        _announce_presence(self.channel_layer, self.thread_id)

    async def disconnect(self, code: int) -> None:
        await self.leave_account()
        if not self.joined:
            return
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        await _leave(self.channel_name)
        _announce_presence(self.channel_layer, self.thread_id)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def error(self, message: str, values: dict | None = None, **extra: Any) -> None:
        """An ``error`` frame in the page's language (live.js shows it); ``values`` fill in ``message``."""
        with translation.override(getattr(self, "language", "") or language_for_scope(self.scope)):
            text = str(message) % values if values else str(message)
        await self.send_json({"type": "error", "error": text, **extra})

    def _allow_frame(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.refilled) * RATE_PER_SECOND)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self._allow_frame():
            await self.error(gettext_lazy("Too many frames; slow down."), code="rate_limited")
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        if bytes_data is not None:
            await self.error(gettext_lazy("Frames must be JSON text."), code="binary")
            return
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.error(gettext_lazy("Frame too large (64 KB at most)."), code="too_large")
            await self.close(code=CLOSE_TOO_LARGE)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.error(gettext_lazy("Frames must be valid JSON."), code="bad_json")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.error(gettext_lazy('A frame is a JSON object with a "type".'), code="bad_frame")
            return
        handler = {"resume": self.on_resume, "ping": self.on_ping, "typing": self.on_typing}.get(frame["type"])
        if handler is None:
            await self.error(
                gettext_lazy("Unknown frame type: %(type)s."), {"type": repr(frame["type"][:40])}, code="unknown_type"
            )
            return
        await handler(frame)

    async def on_ping(self, frame: dict) -> None:
        """Keep-alive: refreshes this connection's presence and answers with who is here."""
        now = time.monotonic()
        with_summary = now - getattr(self, "summary_sent", 0.0) >= PONG_SUMMARY_EVERY
        here, last_seq = await _refresh(self.thread_id, self.channel_name, with_summary)
        if with_summary:
            self.summary_sent = now
        # "seq" lets a client notice a live event it never received, and resume.
        frame = {"type": "pong", "seq": last_seq}
        if here is not None:
            frame["presence"] = here
        await self.send_json(frame)

    async def on_typing(self, frame: dict) -> None:
        if self.user is None or not self.user.is_authenticated:
            await self.error(gettext_lazy("Log in to reply."), code="not_logged_in")
            return
        await self.channel_layer.group_send(
            self.joined[0],
            {
                "type": "typing.started",
                "name": self.user.name,
                "username": self.user.username,
                "from": self.channel_name,
            },
        )

    async def presence_changed(self, message: dict) -> None:
        await self.send_json({"type": "presence", "presence": message["presence"]})

    async def typing_started(self, message: dict) -> None:
        if message["from"] != self.channel_name:
            await self.send_json({"type": "typing", "name": message["name"], "username": message["username"]})

    async def on_resume(self, frame: dict) -> None:
        """Replay each stream's events after the sequence numbers the client last applied."""
        after = frame.get("after")
        if not isinstance(after, dict):
            await self.error(gettext_lazy('"resume" needs "after": {"public": <seq>, ...}.'), code="bad_frame")
            return
        for stream, seq in after.items():
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                await self.error(gettext_lazy("Sequence numbers are whole numbers from 0."), code="bad_frame")
                return
            vendor_id = self._stream_vendor(stream)
            if vendor_id is not None and vendor_id is not False and not await self._keep_private(vendor_id):
                vendor_id = False
            if vendor_id is False:
                await self.error(
                    gettext_lazy("Unknown stream: %(stream)s."), {"stream": repr(str(stream)[:40])}, code="bad_stream"
                )
                return
            events, too_many = await _events_after(
                language=self.language,
                thread_id=self.thread_id,
                vendor_id=vendor_id,
                after=seq,
                user=self.user,
                staff_vendor_ids=self.vendor_ids,
            )
            if too_many:
                metrics.RELOADS.inc()
                await self.send_json({"type": "reload", "reason": "Too much happened while you were away."})
                return
            metrics.REPLAYS.inc()
            await self.send_json({"type": "replay", "stream": stream, "events": events})

    def _stream_vendor(self, stream: str) -> int | bool | None:
        """The vendor id of a stream this connection may read; None for public; False if not allowed."""
        if stream == "public":
            return None
        if isinstance(stream, str) and stream.startswith("vendor:") and stream[7:].isdigit():
            vendor_id = int(stream[7:])
            if vendor_id in self.vendor_ids:
                return vendor_id
        return False

    async def timeline_event(self, message: dict) -> None:
        """A wake-up from forum.timeline.publish: forward the event (a private one only to current staff).

        The frame arrives encoded once (forum.timeline.record.live_message), in the default
        language: a socket of that language sends it as it is, nothing is re-encoded per watcher.
        A socket in another language sends that language's frame, rendered once per process.
        """
        vendor_id = self._stream_vendor(message["stream"])
        if vendor_id is False or (vendor_id is not None and not await self._keep_private(vendor_id)):
            return
        text = message.get("texts", {}).get(self.language)
        if text is None and message.get("event_id") is not None:
            text = await translated_frame(message["event_id"], self.language)
        await self.send(text_data=text or message["text"])

    async def _keep_private(self, vendor_id: int) -> bool:
        """Whether the user is still the vendor's staff; if not, leave its private stream for good."""
        if await _still_staff(self.user, vendor_id):
            return True
        if vendor_id in self.vendor_ids:
            self.vendor_ids.remove(vendor_id)
            group = thread_group(self.thread_id, vendor_id)
            self.joined.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"type": "stream_closed", "stream": f"vendor:{vendor_id}"})
        return False


@database_sync_to_async
def _unread(user: Any) -> int:
    from forum.notifications import unread_count

    return unread_count(user)


class NotificationConsumer(ClosesWithAccount, AsyncWebsocketConsumer):
    """A logged-in user's personal channel: ``/ws/me/``. Sends the unread count when it changes."""

    async def connect(self) -> None:
        from forum.notifications import user_group

        self.user = self.scope.get("user")
        self.group = None
        if self.user is None or not self.user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.join_account(self.user)
        await self.accept()
        await self.notifications_changed({})

    async def disconnect(self, code: int) -> None:
        await self.leave_account()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(
            text_data=json.dumps({"type": "error", "error": "This channel only sends.", "code": "read_only"})
        )

    async def notifications_changed(self, message: dict) -> None:
        unread = await _unread(self.user)
        await self.send(text_data=json.dumps({"type": "notifications", "unread": unread}))


@database_sync_to_async
def _inbox_vendor(handle: str, user: Any) -> tuple[int | None, bool]:
    from forum.models import Vendor
    from swarm.access import can_see_inbox

    vendor = Vendor.objects.filter(handle=handle).first()
    if vendor is None:
        return None, False
    return vendor.pk, can_see_inbox(user, vendor)


class InboxConsumer(ClosesWithAccount, AsyncWebsocketConsumer):
    """A vendor's live inbox: ``/ws/v/<handle>/inbox/``, for that vendor's verified staff only.

    Sends ``{"type": "changed", "reason": ...}`` whenever an escalation or radar
    hit of the vendor changes; the page then re-reads its rows over HTTP, so a
    missed wake-up only delays freshness until the next one or a reconnect.
    """

    async def connect(self) -> None:
        from swarm.live import inbox_group

        self.group = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        vendor_id, allowed = await _inbox_vendor(self.scope["url_route"]["kwargs"]["handle"], user)
        if vendor_id is None:
            await refuse(self, CLOSE_NOT_FOUND)
            return
        if not allowed:
            await refuse(self, CLOSE_FORBIDDEN)
            return
        self.vendor_id = vendor_id
        self.group = inbox_group(vendor_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.join_account(user)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello"}))

    async def disconnect(self, code: int) -> None:
        await self.leave_account()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None and len(text_data) <= 1024:
            try:
                frame = json.loads(text_data)
            except ValueError:
                frame = None
            if isinstance(frame, dict) and frame.get("type") == "ping":
                await self.send(text_data=json.dumps({"type": "pong"}))
                return
        await self.send(text_data=json.dumps({"type": "error", "error": "Send only pings here.", "code": "read_only"}))

    async def inbox_changed(self, message: dict) -> None:
        # Every wake-up re-checks access: revoking someone wakes the vendor's inboxes, and theirs closes.
        if not await _still_staff(self.user, self.vendor_id):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.send(text_data=json.dumps({"type": "changed", "reason": str(message.get("reason", ""))}))
