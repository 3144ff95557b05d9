"""Per-user rate limits for actions, counted in Django's cache (fixed windows).

Limits live in settings.BARNRAISE["RATE_LIMITS"] as ``{action: (count, seconds)}``;
an action missing there is not limited. Actions call ``check()`` after
validating their input, so a typo never uses up an attempt.
"""

from __future__ import annotations

import contextvars
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import ngettext

from forum import metrics

logger = logging.getLogger(__name__)
_exempt = contextvars.ContextVar("ratelimit_exempt", default=False)


class RateLimitedError(PermissionDenied):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(
            ngettext(
                "You're posting too fast; try again in %(count)d second.",
                "You're posting too fast; try again in %(count)d seconds.",
                self.retry_after,
            )
            % {"count": self.retry_after}
        )


def check(*, user_id: int, action: str) -> None:
    """Count one attempt of ``action`` by the user; raise RateLimitedError past the limit."""
    _check(action=action, who=str(user_id))


def check_address(*, address: str, action: str) -> None:
    """Count one attempt of ``action`` from a client address (on top of the per-user count)."""
    _check(action=action, who=f"ip:{address}")


def _check(*, action: str, who: str) -> None:
    if _exempt.get():
        return
    limit = settings.BARNRAISE.get("RATE_LIMITS", {}).get(action)
    if not limit:
        return
    count, period = limit
    now = time.time()
    window = int(now // period)
    key = f"ratelimit:{action}:{who}:{window}"
    used = count_in_window(key, period)
    if used is None:
        return
    if used > count:
        metrics.RATE_LIMITED.labels(action).inc()
        raise RateLimitedError(math.ceil((window + 1) * period - now))


def count_in_window(key: str, period: int) -> int | None:
    """Add one to a fixed-window counter in the cache and return it; None when the cache is down.

    The one counter every limit uses (these actions, the REST API). A Redis outage lets the
    request through rather than fail it: the limit is a guard, not the write path.
    """
    try:
        cache.add(key, 0, timeout=period + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            return 1
    except Exception:
        logger.warning("Rate limit %s not checked: the cache is unavailable", key.split(":", 2)[1], exc_info=True)
        return None


@contextmanager
def exempt() -> Iterator[None]:
    """No limits inside this block (demo data, imports run by the site's operators)."""
    token = _exempt.set(True)
    try:
        yield
    finally:
        _exempt.reset(token)
