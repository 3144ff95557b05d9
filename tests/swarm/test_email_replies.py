"""Replies by email end to end: real SMTP servers, the gateway and the pipe command as processes, daphne and Redis.

A notification goes out through a capturing SMTP server started by the test; the test
answers it with smtplib to ``manage.py mail_gateway`` on loopback (or pipes it into
``manage.py mail_receive``), and a watcher's websocket on daphne receives the new post.
"""

from __future__ import annotations

import asyncio
import json
import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import Message

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings

from forum.actions import follows as follow_actions
from forum.actions import posts as post_actions
from forum.models import Post
from swarm.actions import claims, escalations, notes
from swarm.models import Escalation, StaffNote
from tests.conftest import make_staff
from tests.forum.mail_helpers import REPLY_DOMAIN, capturing_smtp, reply_to, smtp_mailers
from tests.services import free_port
from tests.swarm.conftest import ROOT, database_env, start_daphne

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


@pytest.fixture
def smtp(settings, tmp_path):
    """Outgoing mail of this process and of the servers it starts goes to a capturing SMTP server."""
    settings.REPLY_EMAIL_DOMAIN = REPLY_DOMAIN
    settings.MEDIA_ROOT = tmp_path
    with capturing_smtp() as (server, port):
        settings.MAILERS = smtp_mailers(port)
        server.port = port
        yield server


def server_env(smtp, redis_url: str = "") -> dict[str, str]:
    env = {
        **os.environ,
        **database_env(),
        "SECRET_KEY": django_settings.SECRET_KEY,  # the addresses were signed with it
        "SITE_URL": django_settings.SITE_URL,
        "REPLY_EMAIL_DOMAIN": REPLY_DOMAIN,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}?tls=0",
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def start_gateway(smtp, redis_url: str = "") -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mail_gateway", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=server_env(smtp, redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def listening() -> bool:
        assert process.poll() is None, process.stderr.read().decode()
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_for(listening, what="the mail gateway to listen")
    return process, port


@pytest.fixture
def gateway(smtp) -> Iterator[int]:
    process, port = start_gateway(smtp)
    yield port
    process.terminate()
    process.wait(10)


def send(port: int, message: Message) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.send_message(message)


def notification_to(smtp, user) -> Message:
    [message] = wait_for(lambda: smtp.to(user.email), what=f"an email to {user.email}")
    assert message["Reply-To"].startswith("reply+") and message["Reply-To"].endswith(f"@{REPLY_DOMAIN}")
    return message


def wants_email(user) -> None:
    follow_actions.update_notification_settings(
        user=user, new_thread_live=True, daily_digest=False, email_replies_mentions=True
    )


async def next_event(ws, kind: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if frame["type"] == "event" and frame["event"]["kind"] == kind:
            return frame["event"]


@pytest.mark.redis
async def test_a_reply_by_email_reaches_a_watcher_live(smtp, redis_url, thread, customer, expert):
    await sync_to_async(wants_email)(customer)
    await sync_to_async(post_actions.reply)(author=expert, thread=thread, body="Which router model is it?")
    notification = await sync_to_async(notification_to)(smtp, customer)
    assert "Which router model is it?" in notification.get_body(preferencelist=("plain",)).get_content()

    daphne = await sync_to_async(start_daphne)(redis_url)
    gateway, port = await sync_to_async(start_gateway)(smtp, redis_url)
    try:
        ws = await websockets.connect(f"{daphne.ws}/ws/t/{thread.pk}/", origin=daphne.http, open_timeout=10)
        reply = reply_to(notification, "It is a Northwind R7, firmware 2.0.", sender=customer.email)
        await sync_to_async(send)(port, reply)
        event = await next_event(ws, "replied")
        assert event["actor"]["username"] == customer.username
        assert "It is a Northwind R7, firmware 2.0." in event["html"]
        assert "Which router model" not in event["html"], "the quoted notification is left out"
        await ws.close()
    finally:
        gateway.terminate()
        daphne.kill()
    post = await sync_to_async(Post.objects.get)(pk=event["post"])
    assert post.author_id == customer.pk


def test_a_forged_reply_to_the_gateway_is_answered_once_and_posts_nothing(smtp, gateway, thread, customer, expert):
    wants_email(customer)
    post_actions.reply(author=expert, thread=thread, body="Which router model is it?")
    notification = notification_to(smtp, customer)
    reply = reply_to(notification, "Posting as Jeff.", sender="mallory@evil.example")
    send(gateway, reply)
    [answer] = wait_for(lambda: smtp.to("mallory@evil.example"), what="the refusal")
    assert "belongs to another person" in answer.get_body(preferencelist=("plain",)).get_content()
    send(gateway, reply)  # delivered again: no second answer
    time.sleep(0.5)
    assert len(smtp.to("mallory@evil.example")) == 1
    assert Post.objects.filter(thread=thread, author=customer, is_question=False).count() == 0
    # A bounce of that reply (null return path) is not answered: no loop.
    with smtplib.SMTP("127.0.0.1", gateway, timeout=20) as client:
        client.sendmail("", [notification["Reply-To"]], bytes(reply_to(notification, "Undeliverable", sender="x@y.z")))
    time.sleep(0.5)
    assert len(smtp.to("mallory@evil.example")) == 1 and smtp.to("x@y.z") == []
    # An address that is not a reply address is refused by the gateway during the SMTP dialogue.
    with smtplib.SMTP("127.0.0.1", gateway, timeout=20) as client, pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("jeff@mail.example", [f"postmaster@{REPLY_DOMAIN}"], b"Subject: hi\r\n\r\nhello\r\n")


def test_staff_answer_an_escalation_email_and_post_with_the_badge(smtp, gateway, thread, customer, vendor, staff):
    escalations.escalate(user=customer, thread=thread, handle=vendor.handle)
    notification = notification_to(smtp, staff)  # every verified staff member hears of an escalation
    send(gateway, reply_to(notification, "Northwind here: firmware 2.1 fixes this.", sender=staff.email))
    post = wait_for(lambda: Post.objects.filter(thread=thread, author=staff).first(), what="the staff reply")
    assert post.staff_vendor_id == vendor.pk
    assert post.body == "Northwind here: firmware 2.1 fixes this."


def test_a_staff_note_by_replying_to_a_notes_email(smtp, gateway, thread, customer, vendor, staff):
    colleague = make_staff("sam", vendor)
    escalation = escalations.escalate(user=customer, thread=thread, handle=vendor.handle)
    claims.claim(staff=colleague, escalation=Escalation.objects.get(pk=escalation.pk))
    notes.add_note(staff=staff, thread=thread, vendor=vendor, body="Customer is on the beta firmware.")
    # The claimant hears of the note; the customer does not.
    note_mail = wait_for(
        lambda: [m for m in smtp.to(colleague.email) if "Staff note" in m["Subject"]], what="the note email"
    )[0]
    assert "Customer is on the beta firmware." in note_mail.get_body(preferencelist=("plain",)).get_content()
    assert not any("beta firmware" in str(m) for m in smtp.to(customer.email))
    send(gateway, reply_to(note_mail, "Then roll back to 2.0 first.", sender=colleague.email))
    note = wait_for(lambda: StaffNote.objects.filter(author=colleague).first(), what="the emailed note")
    assert (note.vendor_id, note.body) == (vendor.pk, "Then roll back to 2.0 first.")
    assert not Post.objects.filter(thread=thread, body__contains="roll back").exists(), "a note is never public"


def test_mail_receive_posts_one_message_from_standard_input(smtp, thread, customer, expert):
    wants_email(customer)
    post_actions.reply(author=expert, thread=thread, body="Did the reset help?")
    notification = notification_to(smtp, customer)
    raw = bytes(reply_to(notification, "Yes, the reset helped.", sender=customer.email))
    for _ in range(2):  # the MTA delivers it twice: one post
        done = subprocess.run(
            [sys.executable, "manage.py", "mail_receive"],
            cwd=ROOT,
            env=server_env(smtp),
            input=raw,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode()
    replies = Post.objects.filter(thread=thread, author=customer, is_question=False)
    assert list(replies.values_list("body", flat=True)) == ["Yes, the reset helped."]
