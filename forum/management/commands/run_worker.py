"""Run the background worker: ``manage.py run_worker`` (docs/worker.md).

Runs queued tasks (emails, webhooks, digests, idle claims, clean-ups) with
retries, beats its heartbeat, puts back tasks whose worker died and
enqueues periodic jobs. Start as many as you like, on any host that reaches
the database; SIGINT or SIGTERM stops it after the current task.
"""

from __future__ import annotations

import logging
import signal

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import valid_interval, valid_max_tasks, validate_worker_id

from forum.worker import Maintenance, Worker, beat

logger = logging.getLogger("forum.worker")


class Command(BaseCommand):
    help = "Run background tasks with retries, heartbeats and stale-task recovery, and schedule periodic jobs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=valid_interval, default=1.0, help="Seconds to wait when idle.")
        parser.add_argument("--batch", action="store_true", help="Run what is ready now, then exit.")
        parser.add_argument("--max-tasks", type=valid_max_tasks, default=None, help="Exit after this many tasks.")
        parser.add_argument("--worker-id", type=validate_worker_id, default=None, help="Unique id (default: random).")
        parser.add_argument(
            "--no-schedule", action="store_false", dest="schedule", help="Do not enqueue periodic jobs."
        )

    def handle(
        self,
        *args,
        interval: float,
        batch: bool,
        max_tasks: int | None,
        worker_id: str | None,
        schedule: bool,
        verbosity: int = 1,
        **options,
    ) -> None:
        if verbosity > 1:
            logging.getLogger("django_tasks_db").setLevel(logging.DEBUG)
        worker_id = worker_id or get_random_string(32)
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        try:
            beat(worker_id)  # alive (and visible to /readyz) before the first task
        except DatabaseError:  # started while the database is away: the loops below wait for it
            logging.getLogger(__name__).warning("Worker %s started without the database", worker_id, exc_info=True)
        maintenance = Maintenance(worker_id, schedule=schedule)
        maintenance.start()
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        worker.configure_signals()  # the first SIGINT/SIGTERM finishes the current task, then exits
        self.stdout.write(f"Worker {worker_id} started.")
        try:
            worker.run()
        finally:
            maintenance.stop()
            for sig, handler in previous.items():  # when called in-process (tests, webhook_worker)
                signal.signal(sig, handler)
            self.stdout.write(f"Worker {worker_id} stopped.")
