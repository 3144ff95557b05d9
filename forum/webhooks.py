"""Webhooks: an outbox written with the event, sent later by the worker (``forum.tasks.deliver_webhooks``).

``enqueue(event)`` runs inside the action's transaction (called by
``forum.timeline.record``): a public event goes to the endpoints of every
vendor on the thread (``ThreadVendor``) that asked for its kind; a private
event (a vendor's staff stream) only to that vendor's own endpoints. Nothing
is sent in the request.

``deliver_due()`` sends what is due, strictly in order per (endpoint, thread):
a delivery waits while an earlier one for the same endpoint and thread is
still pending. Failures (non-2xx, timeouts, refused connections) are retried
with exponential backoff and jitter until ``give_up_at`` (24 hours). Every
attempt is logged on the delivery with its status code and response time.
See docs/api.md for the signature receivers check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from forum import metrics, netguard
from forum.models import Event, ThreadVendor, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Barnraise-Signature"


def enqueue(event: Event) -> list[WebhookDelivery]:
    """Write the outbox rows for one event, inside the event's transaction. One or two queries."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True)
    if event.vendor_id is not None:
        endpoints = endpoints.filter(vendor_id=event.vendor_id)
    else:
        on_thread = ThreadVendor.objects.filter(thread_id=event.thread_id, vendor_id=OuterRef("vendor_id"))
        endpoints = endpoints.filter(Exists(on_thread))
    wanted = [e for e in endpoints.only("pk", "event_kinds") if event.kind in (e.event_kinds or [])]
    if not wanted:
        return []
    give_up = event.created_at + timedelta(seconds=settings.WEBHOOK_GIVE_UP_AFTER)
    transaction.on_commit(_kick_worker)
    return WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=e, event=event, thread_id=event.thread_id, give_up_at=give_up, next_attempt_at=event.created_at
            )
            for e in wanted
        ]
    )


def _kick_worker() -> None:
    """Ask the worker to send now rather than at its next periodic run (every 15 s)."""
    from forum.tasks import deliver_webhooks  # late: the tasks module imports this one

    try:
        deliver_webhooks.enqueue()
    except Exception:  # the periodic run sends it anyway; a committed write must not fail
        logger.warning("Could not enqueue webhook delivery", exc_info=True)


def payload(event: Event) -> dict[str, Any]:
    """The JSON body of a delivery, built by the presenter: what the receiving vendor may see."""
    from forum.timeline.presenter import webhook_payload  # late: the presenter renders templates

    return webhook_payload(event)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of X-Barnraise-Signature: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def backoff(attempts: int) -> float:
    """Seconds before the next try: base * 2^(attempts-1), capped, with +/-50% jitter."""
    base = settings.WEBHOOK_BACKOFF_BASE
    cap = settings.WEBHOOK_BACKOFF_MAX
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.5, 1.5)  # jitter, not a secret


def _due(now) -> list[WebhookDelivery]:
    earlier_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        thread_id=OuterRef("thread_id"),
        state=WebhookDelivery.State.PENDING,
        id__lt=OuterRef("id"),
    )
    return list(
        WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now)
        .filter(~Exists(earlier_pending))
        .select_related("endpoint", "event", "event__thread", "event__actor", "event__post__author")
        .order_by("id")[:100]
    )


def attempt(delivery: WebhookDelivery) -> bool:
    """Send one delivery once, log the attempt, and schedule a retry or give up. True when delivered."""
    endpoint = delivery.endpoint
    body = json.dumps(payload(delivery.event), separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Barnraise-Webhooks/1",
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        "X-Barnraise-Event": delivery.event.kind,
        "X-Barnraise-Delivery": str(delivery.pk),
    }
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        # Resolved, vetted and pinned again at send time: DNS may have changed since the URL was saved.
        response = netguard.post(endpoint.url, content=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT)
        status = response.status_code
        if 300 <= status < 400:
            error = "redirect not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
    except (netguard.BlockedAddressError, httpx.HTTPError) as exc:
        # The vendor reads this log: a short category, never the exception's text.
        error = netguard.failure_category(exc)
        logger.info("Webhook delivery %s failed: %r", delivery.pk, exc)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    now = timezone.now()
    ok = status is not None and 200 <= status < 300
    metrics.WEBHOOKS.labels("success" if ok else "failure").inc()
    delivery.attempts += 1
    delivery.log = [*delivery.log, {"at": now.isoformat(), "status": status, "ms": elapsed_ms, "error": error}][-50:]
    if ok:
        delivery.state = WebhookDelivery.State.DELIVERED
        delivery.delivered_at = now
    else:
        give_up_at = delivery.give_up_at or delivery.created_at + timedelta(days=1)
        next_at = now + timedelta(seconds=backoff(delivery.attempts))
        if next_at > give_up_at:
            delivery.state = WebhookDelivery.State.FAILED
        delivery.next_attempt_at = next_at
    delivery.save(update_fields=["attempts", "log", "state", "delivered_at", "next_attempt_at"])
    return ok


def deliver_due() -> int:
    """Send every delivery that is due and first in line for its (endpoint, thread). Returns how many tried."""
    now = timezone.now()
    tried = 0
    for delivery in _due(now):
        # Claim it with a lease, so two workers never send the same delivery at once.
        lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT * 4)
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk, state=WebhookDelivery.State.PENDING, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=lease)
        if not claimed:
            continue
        try:
            attempt(delivery)
        except Exception:  # one broken delivery must not stop the others
            logger.exception("Webhook delivery %s failed unexpectedly", delivery.pk)
        tried += 1
    return tried
