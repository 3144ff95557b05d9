"""The background worker: tasks wait for it, failures retry with backoff, dead workers' tasks run again,
a task cut off by a PostgreSQL restart finishes once the database is back, periodic jobs are enqueued
once per slot however many workers run, and running a job twice is harmless."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.core.management import call_command
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from forum import periodic, worker
from forum.actions import follows as follow_actions
from forum.actions import posts as post_actions
from forum.models import Event, EventKind, ScheduledRun, SentMessage, WorkerHeartbeat
from forum.tasks import send_notification_emails
from swarm.actions import claims, escalations
from swarm.models import Escalation
from swarm.tasks import release_idle_claims
from tests.conftest import make_user
from tests.forum.worker_helpers import DB_BACKEND, CountingMailServer, smtp_server, start_worker, stop, wait_for
from tests.services import free_port, missing, started_postgres

pytestmark = pytest.mark.django_db(transaction=True)

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_BACKEND
    settings.MAILERS = LOCMEM
    settings.TASK_RETRY_BASE = 30


@pytest.fixture
def emailed_follower(thread, other_customer):
    follow_actions.follow_thread(user=other_customer, thread=thread)
    follow_actions.update_notification_settings(
        user=other_customer, new_thread_live=True, daily_digest=False, email_replies_mentions=True
    )
    return other_customer


def run_batch() -> None:
    call_command("run_worker", "--batch", "--no-schedule", "--interval", "0", stdout=StringIO())


def email_task() -> DBTaskResult:
    return DBTaskResult.objects.get(task_path="forum.tasks.send_notification_emails")


def test_a_reply_queues_its_email_and_the_worker_sends_it(db_tasks, thread, expert, emailed_follower):
    post_actions.reply(author=expert, thread=thread, body="Try a different channel.")
    assert mail.outbox == []  # not sent inside the request
    assert email_task().status == "READY"
    run_batch()
    assert [m.to for m in mail.outbox] == [[emailed_follower.email]]
    assert email_task().status == "SUCCESSFUL"


def test_a_failed_task_is_retried_later_with_backoff_and_then_succeeds(
    db_tasks, settings, thread, expert, emailed_follower
):
    closed = free_port()  # nothing listens: the mail server is down
    settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": closed, "timeout": 2}}}
    post_actions.reply(author=expert, thread=thread, body="Try a different channel.")
    before = timezone.now()
    run_batch()
    task = email_task()
    assert task.status == "READY" and len(task.worker_ids) == 1
    assert task.exception_class_path.endswith("ConnectionRefusedError")
    assert before + timedelta(seconds=14) < task.run_after < before + timedelta(seconds=46)  # 30 s +/- 50%
    assert not SentMessage.objects.exists()

    run_batch()  # not due yet: nothing happens
    assert email_task().worker_ids == task.worker_ids

    with smtp_server() as (server, email_url):
        _, port = email_url.split("?")[0].rsplit(":", 1)
        settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": int(port), "use_tls": False}}}
        DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())  # the backoff has passed
        run_batch()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and len(task.worker_ids) == 2
    assert [rcpt for rcpt, _ in server.accepted] == [emailed_follower.email]


def test_a_task_that_keeps_failing_stops_after_the_last_attempt(db_tasks, settings, thread, expert, emailed_follower):
    settings.TASK_MAX_ATTEMPTS = 2
    settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2}}}
    post_actions.reply(author=expert, thread=thread, body="Try a different channel.")
    run_batch()
    DBTaskResult.objects.update(run_after=timezone.now())
    run_batch()
    task = email_task()
    assert task.status == "FAILED" and len(task.worker_ids) == 2
    assert "ConnectionRefusedError" in task.traceback


def test_backoff_doubles_per_attempt_up_to_the_cap(settings):
    settings.TASK_RETRY_BASE = 10
    settings.TASK_RETRY_MAX = 60
    for attempts, nominal in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = [worker.retry_delay(attempts) for _ in range(50)]
        assert all(nominal * 0.5 <= d <= nominal * 1.5 for d in delays)


def claim_as(task: DBTaskResult, worker_id: str, *, started: datetime) -> None:
    DBTaskResult.objects.filter(pk=task.pk).update(status="RUNNING", worker_ids=[worker_id], started_at=started)


def test_a_task_left_running_by_a_silent_worker_runs_again(db_tasks, settings, thread, expert, emailed_follower):
    settings.WORKER_LEASE = 30
    now = timezone.now()
    long_ago = now - timedelta(minutes=5)
    post_actions.reply(author=expert, thread=thread, body="First.")
    post_actions.reply(author=expert, thread=thread, body="Second.")
    dead_task, busy_task = DBTaskResult.objects.order_by("enqueued_at")
    worker.beat("dead", now=long_ago)
    worker.beat("busy", now=now)
    claim_as(dead_task, "dead", started=long_ago)
    claim_as(busy_task, "busy", started=long_ago)  # a long task on a live worker

    assert worker.recover_stale(now=now) == 1
    dead_task.refresh_from_db()
    busy_task.refresh_from_db()
    assert dead_task.status == "READY" and busy_task.status == "RUNNING"
    run_batch()
    dead_task.refresh_from_db()
    assert dead_task.status == "SUCCESSFUL" and len(dead_task.worker_ids) == 2
    assert len(mail.outbox) == 1


def test_a_task_that_killed_its_worker_too_often_is_failed_not_retried(db_tasks, settings, thread, expert):
    settings.TASK_MAX_ATTEMPTS = 1
    task = send_notification_emails.enqueue(event_id=0, user_ids=[])
    claim_as(DBTaskResult.objects.get(pk=task.id), "gone", started=timezone.now() - timedelta(hours=1))
    assert worker.recover_stale() == 1
    assert DBTaskResult.objects.get(pk=task.id).status == "FAILED"


def test_each_periodic_slot_is_enqueued_once_however_many_workers_tick(db_tasks):
    at = datetime(2026, 3, 1, 6, 0, 5, tzinfo=UTC)
    results: list[list[str]] = []

    def tick() -> None:
        results.append(periodic.enqueue_due(now=at))

    ticking = [threading.Thread(target=tick) for _ in range(4)]
    for t in ticking:
        t.start()
    for t in ticking:
        t.join()
    enqueued = sorted(name for names in results for name in names)
    assert enqueued == sorted(periodic.JOBS)  # each job by exactly one of the four
    assert DBTaskResult.objects.count() == len(periodic.JOBS)

    assert periodic.enqueue_due(now=at + timedelta(seconds=9)) == []  # same slots
    assert periodic.enqueue_due(now=at + timedelta(seconds=10)) == ["deliver_webhooks"]  # its next 15 s slot
    next_day = periodic.enqueue_due(now=at + timedelta(days=1))
    assert "send_daily_digests" in next_day and "release_idle_claims" in next_day
    assert ScheduledRun.objects.filter(job="send_daily_digests").count() == 2


def test_the_digest_slot_starts_at_the_configured_hour():
    job = periodic.JOBS["send_daily_digests"]
    assert job.slot(datetime(2026, 3, 1, 5, 59, tzinfo=UTC)) == datetime(2026, 2, 28, 6, 0, tzinfo=UTC)
    assert job.slot(datetime(2026, 3, 1, 6, 0, tzinfo=UTC)) == datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def test_running_the_email_task_twice_sends_each_email_once(thread, expert, emailed_follower, settings):
    settings.MAILERS = LOCMEM
    post_actions.reply(author=expert, thread=thread, body="Try a different channel.")  # sent inline here
    event = Event.objects.get(kind=EventKind.REPLIED)
    assert len(mail.outbox) == 1
    assert send_notification_emails.call(event_id=event.pk, user_ids=[emailed_follower.pk]) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].endswith("@127.0.0.1>")


def test_running_the_idle_claim_job_twice_releases_once(thread, customer, vendor, staff, settings):
    escalation = escalations.escalate(user=customer, thread=thread, handle="@northwind")
    claims.claim(staff=staff, escalation=escalation)
    Escalation.objects.filter(pk=escalation.pk).update(last_staff_activity_at=timezone.now() - timedelta(hours=25))
    assert release_idle_claims.call() == 1
    assert release_idle_claims.call() == 0
    assert Event.objects.filter(thread=thread, kind=EventKind.RELEASED).count() == 1


def test_a_running_worker_beats_schedules_and_stops_cleanly_on_sigterm(transactional_db):
    assert worker.last_heartbeat() is None
    first, second = start_worker(), start_worker()  # two workers, one schedule
    try:
        wait_for(lambda: WorkerHeartbeat.objects.count() == 2, what="both heartbeats")
        wait_for(
            lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() >= len(periodic.JOBS),
            what="the periodic jobs to run",
        )
        seen = worker.last_heartbeat()
        wait_for(lambda: worker.last_heartbeat() > seen, what="a fresh heartbeat")
        for job in ("send_daily_digests", "prune_worker_records", "release_idle_claims"):
            assert DBTaskResult.objects.filter(task_path__endswith=job).count() == 1, job
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        for process in (first, second):
            assert process.wait(10) == 0
        assert not WorkerHeartbeat.objects.exists()  # a stopped worker says so
    finally:
        stop(first)
        stop(second)


class HeldMailServer(CountingMailServer):
    """Holds the first message, received in full, until ``release`` is set: the sender waits for its 250."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        if not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.postgres
@pytest.mark.parametrize("back_before_the_250", [True, False], ids=["quick-restart", "still-down-at-the-250"])
def test_a_task_in_flight_when_postgresql_restarts_finishes_with_each_email_sent_once(
    settings, thread, expert, back_before_the_250
):
    """PostgreSQL restarts while the worker waits for the mail server to accept the first email of a
    batch; the server accepts it while the worker's session is gone. Once the database is back the
    task still finishes, and each follower gets the email once: none lost, none sent twice."""
    postgres = started_postgres()
    if postgres is None:
        missing("a PostgreSQL server started by the tests (unset DATABASE_URL)")
    settings.TASKS = DB_BACKEND
    people = []
    for n in range(3):
        person = make_user(f"restartfollower{n}")
        follow_actions.follow_thread(user=person, thread=thread)
        follow_actions.update_notification_settings(
            user=person, new_thread_live=False, daily_digest=False, email_replies_mentions=True
        )
        people.append(person)
    post_actions.reply(author=expert, thread=thread, body="Try a different channel.")

    server = HeldMailServer()
    with smtp_server(handler=server) as (_, email_url):
        process = start_worker("--no-schedule", env={"EMAIL_URL": email_url})
        try:
            wait_for(server.holding.is_set, what="the worker to send the first email")
            postgres.halt("fast")  # ends every session, as a restart does
            try:
                if back_before_the_250:
                    postgres.resume()
                server.release.set()  # the mail server accepts; the worker's commit of its key fails
                time.sleep(2)  # the worker cannot record the task's outcome either, when the database is down
            finally:
                if not back_before_the_250:
                    postgres.resume()
                close_old_connections()  # this process's connection died with the server too
                # So did the one of asgiref's shared thread, where async tests run their ORM calls:
                # later tests would get "the connection is closed" from it.
                asyncio.run(sync_to_async(connections.close_all)())
            try:
                wait_for(lambda: email_task().status not in ("RUNNING", "READY"), timeout=20, what="the task")
            except AssertionError:
                task = email_task()
                raise AssertionError(
                    f"the interrupted task is still {task.status} after 20 s (runs: {len(task.worker_ids)}); "
                    f"the worker said: {stop(process)[-3000:]}"
                ) from None
            assert process.poll() is None, "the worker exited"
        finally:
            errors = stop(process)

    task = email_task()
    assert task.status == "SUCCESSFUL", errors
    assert len(task.worker_ids) == 2  # the interrupted run, then the one that finished it
    assert set(server.accepted.values()) == {1}, f"a message reached a recipient twice: {server.accepted}"
    assert Counter(rcpt for rcpt, _ in server.accepted) == {p.email: 1 for p in people}
    assert SentMessage.objects.filter(key__startswith="email:notice:").count() == 3


def test_a_replys_email_is_queued_in_the_replys_own_transaction(db_tasks, thread, expert, emailed_follower):
    """An outbox: the task row commits with the reply, so nothing between the commit and a
    callback after it (a crash, a PostgreSQL restart) can lose the email, and a write that
    rolls back queues nothing."""
    with transaction.atomic():
        post_actions.reply(author=expert, thread=thread, body="Queued with the reply itself.")
        assert email_task().status == "READY"  # before the commit, inside the same transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        post_actions.reply(author=expert, thread=thread, body="This write rolls back.")
        raise RuntimeError("the action failed after queueing")
    assert DBTaskResult.objects.filter(task_path="forum.tasks.send_notification_emails").count() == 1
