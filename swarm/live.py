"""Wake-ups for the vendor inbox: after commit, tell the vendor's open inboxes to refresh.

The inbox re-reads its rows from the database on each wake-up, so a lost
wake-up costs only freshness: the next one, or a reload, shows everything.
Every change that wakes an inbox changed one of the vendor's escalations, so it
also drops the vendor page's cached figures (``swarm.selectors.public_figures``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def inbox_group(vendor_id: int) -> str:
    return f"vendor.{vendor_id}.inbox"


def figures_key(vendor_id: int) -> str:
    return f"swarm:figures:{vendor_id}"


def forget_figures(vendor_ids: Iterable[int]) -> None:
    """Drop these vendors' cached public figures now and again after commit (a page read in between
    may have cached the figures from before the change)."""
    keys = [figures_key(vendor_id) for vendor_id in set(vendor_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def wake_inboxes(vendor_ids: Iterable[int], reason: str) -> None:
    """After the current transaction commits, nudge the inboxes of these vendors (and drop their figures)."""
    ids = sorted(set(vendor_ids))
    if ids:
        forget_figures(ids)
        transaction.on_commit(lambda: _send(ids, reason))


def _send(vendor_ids: list[int], reason: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for vendor_id in vendor_ids:
        try:
            async_to_sync(layer.group_send)(inbox_group(vendor_id), {"type": "inbox.changed", "reason": reason})
        except Exception:  # best effort: the inbox catches up on its next refresh
            logger.warning("Inbox wake-up for vendor %s failed", vendor_id, exc_info=True)
