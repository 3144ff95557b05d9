"""Request ids in every log line: from nginx's X-Request-ID (or made here), through the view,
the actions and the background tasks the request enqueued (docs/operations.md).

The id lives in a context variable. Tasks run in another process, so on enqueue
the id is kept in the cache under the task's id (shared by web and worker when
``REDIS_URL`` is set) and restored when the worker starts the task.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.tasks.signals import task_enqueued, task_finished, task_started

logger = logging.getLogger("barnraise.request")
task_logger = logging.getLogger("barnraise.tasks")

NONE = "-"
HEADER = "X-Request-ID"
# What an upstream proxy may hand us: nginx's $request_id is 32 hex digits; anything odd is replaced.
VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TASK_KEY = "barnraise:task-request:{}"
TASK_KEY_TTL = 7 * 24 * 3600

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NONE)
_restored: contextvars.ContextVar[contextvars.Token | None] = contextvars.ContextVar("restored", default=None)


class RequestIdFilter(logging.Filter):
    """Give every record a ``request_id`` attribute, for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    """Take the request id from the proxy or make one; echo it in the response; log the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        token = request_id.set(given if VALID.fullmatch(given) else uuid.uuid4().hex)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id.get()
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={"status": response.status_code, "ms": round((time.perf_counter() - started) * 1000, 1)},
            )
            return response
        finally:
            request_id.reset(token)


@receiver(task_enqueued, dispatch_uid="requestlog-enqueued")
def _remember(sender: Any, task_result: Any, **kwargs: Any) -> None:
    current = request_id.get()
    if current == NONE:
        return
    try:
        cache.set(TASK_KEY.format(task_result.id), current, timeout=TASK_KEY_TTL)
    except (redis.RedisError, OSError):  # a log nicety must never fail an enqueue (Redis down)
        logger.debug("Could not keep the request id of task %s", task_result.id)


@receiver(task_started, dispatch_uid="requestlog-started")
def _restore(sender: Any, task_result: Any, **kwargs: Any) -> None:
    if request_id.get() == NONE:  # the immediate backend runs inside the request: keep its id
        try:
            kept = cache.get(TASK_KEY.format(task_result.id))
        except (redis.RedisError, OSError):
            kept = None
        if kept:
            _restored.set(request_id.set(kept))
    task_logger.info("task %s started", task_result.task.module_path, extra={"task_id": str(task_result.id)})


@receiver(task_finished, dispatch_uid="requestlog-finished")
def _forget(sender: Any, task_result: Any, **kwargs: Any) -> None:
    task_logger.info(
        "task %s %s",
        task_result.task.module_path,
        str(task_result.status).lower(),
        extra={"task_id": str(task_result.id)},
    )
    token = _restored.get()
    if token is not None:  # a worker's next task must not inherit this one's id
        _restored.set(None)
        request_id.reset(token)
