"""Event payloads: the JSON shape of one timeline event, for live frames and replay.

The same function builds the payload for the websocket, the replay after a
reconnect and the API, so every reader sees the same thing.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from forum.models import Event, EventKind

# Events that carry a rendered post, so clients can insert it without a reload.
POST_KINDS = {EventKind.POSTED, EventKind.REPLIED, EventKind.EDITED}
# Moderation events carry the post as the public now sees it (a placeholder while hidden).
REVIEW_KINDS = {EventKind.HIDDEN, EventKind.RESTORED}


def payload_for(event: Event) -> dict[str, Any]:
    """The public description of an event. Callers decide who may receive it."""
    actor = event.actor
    payload: dict[str, Any] = {
        "thread": event.thread_id,
        "seq": event.seq,
        "stream": "public" if event.vendor_id is None else f"vendor:{event.vendor_id}",
        "kind": event.kind,
        "label": EventKind(event.kind).label,
        "created_at": event.created_at.isoformat(),
        "actor": {"username": actor.username, "name": actor.name} if actor else None,
        "post": event.post_id,
        "data": event.data,
    }
    # Hidden or unreviewed posts never travel in a public payload: _post.html shows the
    # public placeholder for any post that is not visible (forum.actions.moderation).
    post = event.post
    if event.kind in POST_KINDS | REVIEW_KINDS and post is not None and not post.is_question:
        payload["html"] = render_to_string("forum/_post.html", {"post": event.post, "thread_id": event.thread_id})
    return payload
