"""Webhooks end to end: a real receiver on 127.0.0.1 checks signatures, retries, order and re-sending."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from forum import timeline
from forum.actions import api as api_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import EventKind, WebhookDelivery
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/api.md shows it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Receiver:
    """A tiny HTTP server that records what it got and fails the first ``fail_first`` requests."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_first = 0
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
                time.sleep(receiver.delay)
                failing = len(receiver.received) <= receiver.fail_first
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_BACKOFF_BASE = 0  # retries are due at once, so the test needs no clock
    settings.WEBHOOK_TIMEOUT = 2.0
    r = Receiver()
    yield r
    r.close()


def run_worker(times: int = 1) -> None:
    for _ in range(times):
        call_command("webhook_worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115


def register(admin_client, url: str, kinds: list[str]) -> str:
    """Add a webhook on the vendor's API page; return the secret the page shows once."""
    response = admin_client.post(
        reverse("forum:vendor_webhook_create", args=["northwind"]), {"url": url, "kinds": kinds}
    )
    page = admin_client.get(response.url).text
    assert "signing secret" in page
    return page.split('<code class="secret-value">')[1].split("</code>")[0]


def test_deliveries_are_signed_retried_in_order_per_thread_and_logged(receiver, vendor, vendor_admin, customer, expert):
    secret = register(client_for(vendor_admin), receiver.url, ["posted", "replied"])
    thread = thread_actions.create_thread(author=customer, title="Hub offline", body="Help @northwind")
    post_actions.reply(author=expert, thread=thread, body="Power-cycle it.")
    post_actions.reply(author=customer, thread=thread, body="Still offline.")
    assert receiver.received == []  # nothing is sent in the request
    assert WebhookDelivery.objects.filter(state="pending").count() == 3

    receiver.fail_first = 2
    run_worker()
    assert [e["seq"] for e in receiver.events()] == [1]  # the later ones wait for the first
    run_worker()
    assert [e["seq"] for e in receiver.events()] == [1, 1]
    run_worker(5)
    assert [e["seq"] for e in receiver.events()] == [1, 1, 1, 3, 4]  # 2 is the escalation, not asked for
    assert [e["kind"] for e in receiver.events()[2:]] == ["posted", "replied", "replied"]

    for request in receiver.received:
        assert verify(secret, request["headers"]["X-Barnraise-Signature"], request["body"])
        assert not verify("whsec_wrong", request["headers"]["X-Barnraise-Signature"], request["body"])
    event = receiver.events()[-1]
    assert event["thread"]["id"] == thread.pk and event["actor"]["username"] == "jeff"
    assert event["post"]["body"] == "Still offline." and event["stream"] == "public"

    first = WebhookDelivery.objects.order_by("id").first()
    assert first.state == "delivered" and first.attempts == 3
    assert [a["status"] for a in first.log] == [500, 500, 204]
    assert all(isinstance(a["ms"], int) for a in first.log)
    page = client_for(vendor_admin).get(reverse("forum:vendor_api", args=["northwind"])).text
    assert "Delivered" in page and "204 in" in page


def test_a_timeout_is_retried_and_gives_up_after_the_retry_window(receiver, settings, vendor, vendor_admin, customer):
    settings.WEBHOOK_TIMEOUT = 0.2
    settings.WEBHOOK_GIVE_UP_AFTER = 0  # the window closes at the first failure
    register(client_for(vendor_admin), receiver.url, ["posted", "replied"])
    receiver.delay = 0.5
    thread = thread_actions.create_thread(author=customer, title="Hub offline", body="Help @northwind")
    post_actions.reply(author=customer, thread=thread, body="Anyone?")
    run_worker()
    first, second = WebhookDelivery.objects.order_by("id")
    assert first.state == "failed" and first.log[0]["error"] == "timeout" and first.log[0]["status"] is None
    receiver.delay = 0
    run_worker()
    second.refresh_from_db()
    assert second.state == "delivered"  # a delivery that gave up no longer holds the queue
    settings.WEBHOOK_GIVE_UP_AFTER = 3600
    client_for(vendor_admin).post(reverse("forum:vendor_redeliver", args=["northwind", first.pk]))
    run_worker()
    first.refresh_from_db()
    assert first.state == "delivered" and [a["status"] for a in first.log] == [None, 204]


def test_a_vendor_admin_re_sends_a_delivery_from_the_admin_page(receiver, vendor, vendor_admin, staff, customer):
    register(client_for(vendor_admin), receiver.url, ["posted"])
    thread_actions.create_thread(author=customer, title="Hub offline", body="Help @northwind")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    url = reverse("forum:vendor_redeliver", args=["northwind", delivery.pk])
    assert client_for(staff).post(url).status_code == 403
    run_worker()
    assert len(receiver.received) == 1
    client_for(vendor_admin).post(url)
    run_worker()
    assert [e["id"] for e in receiver.events()] == [delivery.event_id, delivery.event_id]
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and len(delivery.log) == 2


def test_only_vendors_on_the_thread_hear_and_private_events_go_to_their_own_vendor_only(
    receiver, vendor, other_vendor, vendor_admin, staff, customer
):
    from tests.conftest import make_staff

    bluewave_admin = make_staff("bo", other_vendor, "admin")
    api_actions.create_webhook(
        admin=vendor_admin, vendor=vendor, url=receiver.url + "/northwind", kinds=["note", "posted"]
    )
    api_actions.create_webhook(
        admin=bluewave_admin, vendor=other_vendor, url=receiver.url + "/bluewave", kinds=["note", "posted", "replied"]
    )
    thread = thread_actions.create_thread(author=customer, title="Hub offline", body="Help @northwind")
    with transaction.atomic():
        timeline.record(
            thread=thread, kind=EventKind.NOTE, actor=staff, vendor=vendor, data={"note": 0, "body": "SECRET"}
        )
    run_worker(3)
    assert {(r["path"], json.loads(r["body"])["kind"]) for r in receiver.received} == {
        ("/hook/northwind", "posted"),
        ("/hook/northwind", "note"),
    }
    post_actions.reply(author=customer, thread=thread, body="Maybe @bluewave knows?")
    run_worker(2)
    assert receiver.received[-1]["path"] == "/hook/bluewave"
    assert "SECRET" not in str([r["body"] for r in receiver.received if r["path"] == "/hook/bluewave"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hook", "must use https"),
        ("https://127.0.0.1/hook", "private"),
        ("https://10.1.2.3/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/hook", "private"),
        ("https://localhost/hook", "private"),
        ("not a url", "full URL"),
    ],
)
def test_webhook_urls_must_be_public_https(settings, vendor, vendor_admin, url, message):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError, match=message):
        api_actions.create_webhook(admin=vendor_admin, vendor=vendor, url=url, kinds=["posted"])


def test_only_vendor_admins_manage_webhooks_and_bad_input_changes_nothing(receiver, vendor, vendor_admin, staff):
    url = reverse("forum:vendor_webhook_create", args=["northwind"])
    assert client_for(staff).post(url, {"url": receiver.url, "kinds": ["posted"]}).status_code == 403
    page = client_for(vendor_admin).post(url, {"url": receiver.url, "kinds": ["nonsense"]}, follow=True).text
    assert "Unknown event kind" in page
    page = client_for(vendor_admin).post(url, {"url": receiver.url}, follow=True).text
    assert "Pick at least one kind" in page
    assert not vendor.webhooks.exists()
