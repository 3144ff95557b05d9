"""Prometheus metrics (prometheus-client), served at /metrics to configured addresses or a token.

Several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (before the process
starts), prometheus-client keeps every process's values in memory-mapped files
in that directory and /metrics sums them, so any one daphne process answers for
all of them and the worker. Without it, each process reports only itself
(fine for one process). docs/operations.md has the details.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)
disable_created_metrics()  # no "*_created" series: they double the output and nobody graphs them

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "barnraise_http_requests", "HTTP requests answered, by view and status.", ["view", "method", "status"]
)
LATENCY = Histogram(
    "barnraise_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view"],
    buckets=LATENCY_BUCKETS,
)
WEBSOCKETS = Gauge(
    "barnraise_websockets_open", "Open websocket connections, by route.", ["route"], multiprocess_mode="livesum"
)
EVENTS_RECORDED = Counter("barnraise_events_recorded", "Timeline events committed, by kind.", ["kind"])
EVENTS_PUBLISHED = Counter(
    "barnraise_events_published", "Wake-ups sent on the channel layer after commit, by outcome.", ["outcome"]
)
FANOUT_DELAY = Histogram(
    "barnraise_event_fanout_delay_seconds",
    "From an event's creation in its transaction to its wake-up handed to the channel layer.",
    buckets=LATENCY_BUCKETS,
)
REPLAYS = Counter("barnraise_ws_replays", "Replays sent to websocket clients that resumed.")
RELOADS = Counter("barnraise_ws_reloads", "Resumes answered with reload (too much missed).")
WEBHOOKS = Counter("barnraise_webhook_deliveries", "Webhook delivery attempts, by outcome.", ["outcome"])
RATE_LIMITED = Counter("barnraise_rate_limit_refusals", "Requests refused by a rate limit, by limit.", ["limit"])


def websocket_route(path: str) -> str:
    for prefix, route in (("/ws/t/", "thread"), ("/ws/me/", "me"), ("/ws/v/", "inbox")):
        if path.startswith(prefix):
            return route
    return "other"


def count_websockets(app: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """ASGI wrapper: a websocket counts as open from its accept until its consumer ends."""

    async def counted(scope: dict, receive: Callable, send: Callable) -> Any:
        gauge = WEBSOCKETS.labels(websocket_route(scope.get("path", "")))
        opened = False

        async def watching_send(message: dict) -> None:
            nonlocal opened
            await send(message)
            if message["type"] == "websocket.accept" and not opened:
                opened = True
                gauge.inc()

        try:
            return await app(scope, receive, watching_send)
        finally:
            if opened:
                gauge.dec()

    return counted


class RequestMetrics:
    """Middleware: count and time every request by the view that answered it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None:
            view = match.view_name
        else:  # bounded: whitenoise's static files share one label, and so do all 404s
            view = "static" if request.path.startswith(settings.STATIC_URL) else "unresolved"
        LATENCY.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method or "", str(response.status_code)).inc()
        return response


class TaskQueueCollector:
    """Queue depth and oldest waiting task, read from the task backend's table at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("barnraise_task_queue_depth", "Tasks waiting to run.")
        oldest = GaugeMetricFamily("barnraise_task_oldest_age_seconds", "Age of the oldest waiting task.")
        waiting = self._waiting()
        if waiting is not None:
            count, first = waiting
            depth.add_metric([], count)
            oldest.add_metric([], (timezone.now() - first).total_seconds() if first else 0.0)
            yield depth
            yield oldest

    @staticmethod
    def _waiting() -> tuple[int, Any] | None:
        # django-tasks-db's table (forum.worker runs it); unreadable before its migration.
        from django_tasks_db.models import DBTaskResult

        try:
            row = DBTaskResult.objects.filter(status="READY").aggregate(n=Count("pk"), first=Min("enqueued_at"))
        except DatabaseError:
            logger.warning("Task queue metrics skipped: the task table cannot be read", exc_info=True)
            return None
        return row["n"], row["first"]


def render() -> bytes:
    """Every metric of every process (multiprocess mode) or of this one, plus the task queue."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(TaskQueueCollector())
    return output + generate_latest(queue)


def allowed(request: HttpRequest) -> bool | None:
    """True for a configured address or the bearer token; False otherwise; None when metrics are off."""
    token = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_IPS
    if not token and not networks:
        return None
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        # The peer itself, never X-Forwarded-For: scrape the app port directly, not through the proxy.
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
