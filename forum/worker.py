"""The background worker: django-tasks-db's worker, plus what it lacks (docs/worker.md).

- Heartbeats: a ``WorkerHeartbeat`` row per worker, refreshed every
  ``WORKER_HEARTBEAT`` seconds by a side thread (so a long task keeps it fresh).
  ``last_heartbeat()`` is the cheap read for ``/readyz``.
- Stale-claim recovery: django-tasks-db leaves a task RUNNING for ever when its
  worker dies (SIGKILL, OOM, power loss). A RUNNING task whose worker has been
  silent for ``WORKER_LEASE`` seconds goes back to READY and runs again.
- A lost database (a PostgreSQL restart): the worker waits for it, then puts back
  the task it could not finish or record, itself (its heartbeat stays fresh, so
  the lease never would).
- Retries: a task that raises is queued again after an exponential backoff
  with jitter, up to ``TASK_MAX_ATTEMPTS`` runs; then it stays FAILED.
- Periodic jobs: the side thread enqueues what ``forum.periodic`` says is due.

Every task must therefore be safe to run twice (forum.tasks keeps a sent-log).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections, connection
from django.db.models import Max
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as DBWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import retry

from forum import periodic, tasks
from forum.models import WorkerHeartbeat

logger = logging.getLogger(__name__)
RECONNECT_DELAY = 1.0  # seconds between attempts while the database is away


def last_heartbeat() -> datetime | None:
    """When any worker last said it was alive (None if none ever did). One indexed query."""
    return WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]


def beat(worker_id: str, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "started_at": now, "last_seen": now},
        )


def retry_delay(attempts: int) -> float:
    """Seconds before run ``attempts + 1``: base * 2^(attempts-1), capped, with +/-50% jitter."""
    delay = min(settings.TASK_RETRY_MAX, settings.TASK_RETRY_BASE * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.5, 1.5)  # jitter spreads retries of one outage, not a secret


def put_back(result: DBTaskResult, *, now: datetime, why: str) -> int:
    """Queue a RUNNING task again, or fail it for good after ``TASK_MAX_ATTEMPTS`` runs; 1 if done.

    Conditional on the claim (``started_at``): a task another worker took back meanwhile is left alone.
    """
    same_claim = DBTaskResult.objects.filter(
        pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
    )
    if len(result.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
        return same_claim.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="forum.worker.WorkerLost",
            traceback=why,
        )
    return same_claim.update(status=TaskResultStatus.READY, started_at=None, run_after=now)


def recover_stale(*, now: datetime | None = None) -> int:
    """Put RUNNING tasks whose worker went silent back in the queue (or fail them after too many runs).

    Returns how many were put back or failed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WORKER_LEASE)
    alive = set(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True))
    recovered = 0
    for result in DBTaskResult.objects.running().filter(started_at__lt=cutoff).only("pk", "worker_ids", "started_at"):
        if result.worker_ids and result.worker_ids[-1] in alive:
            continue  # a long task on a live worker
        why = f"Worker {result.worker_ids[-1]} stopped answering while running this task."
        recovered += put_back(result, now=now, why=why)
        logger.warning("Task %s was left running by worker %s; queued again", result.pk, result.worker_ids[-1:])
    return recovered


def release_claims(worker_id: str, *, now: datetime | None = None) -> int:
    """Put back every task ``worker_id`` left RUNNING; only while that worker runs none. Returns how many.

    A worker that lost the database mid-task cannot record the outcome, so the task stays
    RUNNING under a worker whose heartbeat is fresh again: ``recover_stale`` never takes it.
    """
    now = now or timezone.now()
    released = 0
    for result in DBTaskResult.objects.running().only("pk", "worker_ids", "started_at"):
        if result.worker_ids[-1:] == [worker_id]:
            why = f"Worker {worker_id} lost the database while running this task."
            released += put_back(result, now=now, why=why)
            logger.warning("Task %s was interrupted by a lost database; queued again", result.pk)
    return released


@retry()  # as django-tasks-db's own set_failed: a briefly locked SQLite must not lose the outcome
def fail_or_retry(result: DBTaskResult, exc: BaseException) -> None:
    """Record a failed run: queue the task again after a backoff, or mark it FAILED for good."""
    tasks.save_unsaved_keys()  # before the task can run again, here or on another worker
    if len(result.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
        type(result).set_failed(result, exc)
        return
    delay = retry_delay(len(result.worker_ids))
    result.status = TaskResultStatus.READY
    result.run_after = timezone.now() + timedelta(seconds=delay)
    result.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
    result.traceback = ""
    result.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
    logger.warning("Task %s failed (%s); retry %d in %.0f s", result.pk, exc, len(result.worker_ids) + 1, delay)


class Worker(DBWorker):
    """django-tasks-db's worker with retries; the side thread (``Maintenance``) does the rest."""

    def run(self) -> None:
        """The base loop, kept alive through a lost database (a PostgreSQL restart, a failover).

        The base class lets any error but SQLite's "locked" end the process. Once the
        database answers again, and before claiming anything, the worker saves the keys of
        messages the mail server took while their key could not commit, then puts back the
        task it was running (its outcome was not recorded): the task runs again, at once,
        and skips what already went out.
        """
        lost = False
        while self.running:
            try:
                if lost:
                    saved = tasks.save_unsaved_keys()
                    released = release_claims(self.worker_id)
                    logger.warning(
                        "Worker is back on the database (%d key(s) saved, %d task(s) requeued)", saved, released
                    )
                    lost = False
                super().run()
                return  # stopped by a signal, or --batch/--max-tasks reached
            except (DatabaseError, InterfaceError) as error:
                # One traceback per outage, then a line a second: an outage must not flood the log.
                logger.warning(
                    "Worker lost the database; retrying in %.0f s: %s", RECONNECT_DELAY, error, exc_info=not lost
                )
                lost = True
                close_old_connections()
                connection.close()
                time.sleep(RECONNECT_DELAY)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The base class records any failure through set_failed(); route it through the retry policy.
        db_task_result.set_failed = lambda exc: fail_or_retry(db_task_result, exc)
        super().run_task(db_task_result)


class Maintenance(threading.Thread):
    """Beat, recover stale tasks and enqueue periodic jobs, beside the worker's main loop."""

    def __init__(self, worker_id: str, *, schedule: bool = True) -> None:
        super().__init__(name="worker-maintenance", daemon=True)
        self.worker_id = worker_id
        self.schedule = schedule
        self.stopping = threading.Event()
        self.enqueued: dict[str, datetime] = {}  # job -> last slot seen, so a tick costs no query
        self.next_beat = 0.0

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_beat:
            beat(self.worker_id)
            recover_stale()
            self.next_beat = now + settings.WORKER_HEARTBEAT
        if self.schedule:
            periodic.enqueue_due(seen=self.enqueued)

    def run(self) -> None:
        failing = False
        try:
            while not self.stopping.wait(min(settings.WORKER_HEARTBEAT, 1.0)):
                try:
                    self.tick()
                    failing = False
                except Exception as error:  # a locked or restarting database: try again next tick
                    logger.warning("Worker maintenance failed; retrying: %s", error, exc_info=not failing)
                    failing = True
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
