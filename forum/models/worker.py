"""Bookkeeping for the background worker (docs/worker.md).

``WorkerHeartbeat``: one row per running worker, refreshed every few seconds;
a task left RUNNING by a worker whose heartbeat went stale is run again, and
``/readyz`` reads the newest ``last_seen``. ``ScheduledRun``: one row per
(periodic job, time slot), so however many workers tick, each slot is
enqueued once. ``SentMessage``: the idempotency key of every email sent,
written in the send's transaction, so a task that runs again never sends a
message twice.
"""

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class ScheduledRun(models.Model):
    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot.isoformat()}"


class SentMessage(models.Model):
    key = models.CharField(max_length=200, unique=True)  # "<channel>:<what>:<event>:<recipient>"
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key
