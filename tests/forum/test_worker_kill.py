"""A worker killed with SIGKILL in the middle of a batch loses nothing and sends nothing twice.

Real processes: ``manage.py run_worker`` on the test's database file (or the
test PostgreSQL), a counting SMTP server on loopback, and for webhooks a
receiver on loopback.
"""

from __future__ import annotations

import select
import signal
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tasks_db.models import DBTaskResult

from forum.actions import follows as follow_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions.api import create_webhook
from forum.models import SentMessage, WebhookDelivery
from tests.conftest import make_user
from tests.forum.worker_helpers import DB_BACKEND, smtp_server, start_worker, stop, wait_for

FOLLOWERS = 8
REPLIES = 3


@pytest.fixture
def followers(transactional_db, thread):
    people = []
    for n in range(FOLLOWERS):
        person = make_user(f"follower{n}")
        follow_actions.follow_thread(user=person, thread=thread)
        follow_actions.update_notification_settings(
            user=person, new_thread_live=True, daily_digest=False, email_replies_mentions=True
        )
        people.append(person)
    return people


def all_tasks_done() -> bool:
    return not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def test_a_killed_worker_loses_no_email_and_sends_none_twice(settings, thread, expert, followers):
    settings.TASKS = DB_BACKEND
    for n in range(REPLIES):  # each reply is one task emailing every follower: a batch of 8
        post_actions.reply(author=expert, thread=thread, body=f"Try this, step {n}.")
    assert DBTaskResult.objects.filter(task_path="forum.tasks.send_notification_emails").count() == REPLIES
    expected = FOLLOWERS * REPLIES
    assert SentMessage.objects.count() == 0  # nothing was sent in the request

    with smtp_server(hold=0.15) as (server, email_url):
        first = start_worker(env={"EMAIL_URL": email_url})
        try:
            # Kill while the 5th message of the first batch is on the wire, not yet accepted.
            wait_for(lambda: server.arrived >= 5, what="the first worker to be mid-batch")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            stop(first)
        assert 0 < server.total() < expected
        assert DBTaskResult.objects.filter(status="RUNNING").count() == 1  # left behind by the dead worker

        second = start_worker(env={"EMAIL_URL": email_url})
        try:
            wait_for(lambda: server.total() >= expected and all_tasks_done(), what="every email")
        finally:
            errors = stop(second)

    assert server.total() == expected, errors
    assert set(server.accepted.values()) == {1}, "a message reached a recipient twice"
    per_person = Counter(rcpt for rcpt, _ in server.accepted)
    assert per_person == {p.email: REPLIES for p in followers}
    runs = [len(r.worker_ids) for r in DBTaskResult.objects.filter(task_path="forum.tasks.send_notification_emails")]
    assert sorted(runs) == [1] * (REPLIES - 1) + [2]  # the interrupted task ran again, on the second worker


class Receiver(BaseHTTPRequestHandler):
    """Counts deliveries it accepted, by delivery id. It takes 0.15 s to process each one and
    accepts only if the sender is still there to get the 200 (a sender that died mid-request
    has not delivered, and will send again)."""

    accepted: Counter = Counter()
    arrived = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            type(self).arrived += 1
        time.sleep(0.15)
        readable, _, _ = select.select([self.connection], [], [], 0)
        if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
            return  # the sender hung up: nothing was accepted
        with self.lock:
            type(self).accepted[self.headers["X-Barnraise-Delivery"]] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_killed_worker_loses_no_webhook_and_sends_none_twice(
    settings, transactional_db, customer, expert, vendor_admin, vendor
):
    settings.TASKS = DB_BACKEND
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    Receiver.accepted = Counter()
    Receiver.arrived = 0
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        create_webhook(
            admin=vendor_admin, vendor=vendor, url=f"http://127.0.0.1:{http.server_port}/hook", kinds=["replied"]
        )
        escalated = thread_actions.create_thread(author=customer, title="Hub offline", body="Help @northwind")
        for n in range(6):
            post_actions.reply(author=expert, thread=escalated, body=f"Webhook step {n}.")
        expected = set(WebhookDelivery.objects.values_list("pk", flat=True))
        assert len(expected) == 6
        assert not WebhookDelivery.objects.exclude(state="pending").exists()  # nothing sent in the request

        env = {"WEBHOOK_ALLOW_LOOPBACK": "1", "WEBHOOK_TIMEOUT": "0.5", "WEBHOOK_BACKOFF_BASE": "0.2"}
        first = start_worker(env=env)
        try:
            wait_for(lambda: Receiver.arrived >= 3, what="the first worker to be mid-batch")
            first.send_signal(signal.SIGKILL)
        finally:
            stop(first)
        assert 0 < len(Receiver.accepted) < len(expected)
        second = start_worker(env=env)
        try:
            wait_for(
                lambda: WebhookDelivery.objects.filter(state="delivered").count() == len(expected),
                timeout=60,  # the leased one goes out on the next 15 s periodic run at the latest
                what="every delivery",
            )
        finally:
            errors = stop(second)
    finally:
        http.shutdown()
        http.server_close()
    assert set(Receiver.accepted) == {str(pk) for pk in expected}, errors
    assert set(Receiver.accepted.values()) == {1}, "a delivery was accepted twice"
