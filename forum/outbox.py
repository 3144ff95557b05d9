"""Background work that belongs to a write is queued with it (docs/worker.md, "Queued with the write").

With the database task backend the task's row is inserted in the write's own transaction, an
outbox: the two commit together, so a crash or a PostgreSQL restart between the commit and the
queueing cannot lose the email, and a write that rolls back queues nothing. Any other backend
(the immediate one in tests, which would run the task inline, before the write is visible) gets
the task once the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)


def enqueue_with_write(get_task: Callable[[], Any], what: str, **kwargs: Any) -> None:
    """Queue ``get_task()`` (late: task modules import templates) with ``kwargs`` as part of the current write."""
    from django_tasks_db.backend import DatabaseBackend

    task = get_task()
    if isinstance(task.get_backend(), DatabaseBackend):
        try:
            with transaction.atomic():  # a savepoint: a failed insert leaves the write itself intact
                task.enqueue(**kwargs)
        except DatabaseError:
            logger.warning("Could not queue %s", what, exc_info=True)
        return
    transaction.on_commit(lambda: _after_commit(task, what, kwargs))


def _after_commit(task: Any, what: str, kwargs: dict[str, Any]) -> None:
    try:
        task.enqueue(**kwargs)
    except Exception:  # email must never break a committed write
        logger.warning("Could not queue %s", what, exc_info=True)
