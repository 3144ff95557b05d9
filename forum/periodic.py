"""Periodic jobs, scheduled by the running workers themselves (no cron lines).

Each app registers its jobs at startup (``register``). Time is cut into slots
of ``every`` (aligned to the Unix epoch plus ``offset``, in UTC); the first
worker to see a new slot writes a ``ScheduledRun`` row for (job, slot) and
enqueues the task in the same transaction. The row is unique, so however
many workers tick, a slot is enqueued once; a slot missed while no worker ran
is not made up (the next slot does the work). Every job is also safe to run
twice, so an operator's manual run changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.tasks import Task
from django.utils import timezone

from forum.models import ScheduledRun

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    task: Task
    every: timedelta
    offset: timedelta = timedelta()

    def slot(self, now: datetime) -> datetime:
        """The start of the slot ``now`` falls in."""
        elapsed = now - EPOCH - self.offset
        return EPOCH + self.offset + self.every * (elapsed // self.every)


JOBS: dict[str, Job] = {}


def register(name: str, task: Task, *, every: timedelta, offset: timedelta = timedelta()) -> None:
    JOBS[name] = Job(name=name, task=task, every=every, offset=offset)


def enqueue_due(*, now: datetime | None = None, seen: dict[str, datetime] | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has enqueued yet; returns their names.

    ``seen`` remembers the slots this process already handled, so a tick
    within the same slot asks the database nothing.
    """
    now = now or timezone.now()
    seen = {} if seen is None else seen
    enqueued = []
    for job in JOBS.values():
        slot = job.slot(now)
        if seen.get(job.name) == slot:
            continue
        with transaction.atomic():
            run, created = ScheduledRun.objects.get_or_create(job=job.name, slot=slot)
            if created:
                run.task_id = str(job.task.enqueue().id)[:64]
                run.save(update_fields=["task_id"])
                enqueued.append(job.name)
        seen[job.name] = slot
    if enqueued:
        logger.info("Enqueued periodic jobs: %s", ", ".join(enqueued))
    return enqueued
