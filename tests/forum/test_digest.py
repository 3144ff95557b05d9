"""The daily digest: who gets it, what it holds, and never twice a day."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from taggit.models import Tag

from forum import timeline
from forum.actions import follows as follow_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, NotificationSettings
from forum.tasks import send_daily_digests

pytestmark = pytest.mark.django_db


def opt_in(user, digest=True):
    follow_actions.update_notification_settings(
        user=user, new_thread_live=True, daily_digest=digest, email_replies_mentions=False
    )


@pytest.fixture
def follower(expert, vendor):
    follow_actions.follow_tag(user=expert, tag=Tag.objects.get_or_create(name="wifi")[0])
    follow_actions.follow_vendor(user=expert, vendor=vendor)
    opt_in(expert)
    mail.outbox.clear()
    return expert


def ask(author, title, body="Details here.", tags=""):
    return thread_actions.create_thread(author=author, title=title, body=body, tags=tags)


def test_the_digest_lists_new_threads_in_followed_tags_and_vendors(follower, customer, other_customer):
    in_tag = ask(customer, "Wifi drops after sleep", tags="wifi tablet")
    post_actions.reply(author=other_customer, thread=in_tag, body="Same here")
    with_vendor = ask(customer, "Northwind tablet will not charge", body="@northwind help", tags="power")
    ask(customer, "Unrelated printer question", tags="printing")
    result = send_daily_digests.enqueue()
    assert result.return_value == 1
    [message] = mail.outbox
    assert message.to == [follower.email]
    assert "2 new threads" in message.subject
    text = message.body
    assert "Wifi drops after sleep" in text and "Northwind tablet will not charge" in text
    assert "printer" not in text
    assert f"http://127.0.0.1:8000{in_tag.get_absolute_url()}" in text
    assert "Tags: tablet, wifi · 1 reply" in text or "Tags: wifi, tablet · 1 reply" in text
    assert "Tags: power · 0 replies" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://127.0.0.1:8000{with_vendor.get_absolute_url()}"' in html
    assert "/settings/notifications/" in html


def test_no_second_digest_on_the_same_day_but_one_the_next(follower, customer):
    first = ask(customer, "Wifi drops after sleep", tags="wifi")
    assert send_daily_digests.enqueue().return_value == 1
    ask(customer, "Wifi slow on the second floor", tags="wifi")
    assert send_daily_digests.enqueue().return_value == 0
    assert len(mail.outbox) == 1
    # Move the clock: the first digest (and the thread in it) were yesterday.
    yesterday = timezone.now() - timedelta(days=1)
    NotificationSettings.objects.filter(user=follower).update(digest_sent_at=yesterday)
    Event.objects.filter(thread=first).update(created_at=yesterday - timedelta(minutes=5))
    assert send_daily_digests.enqueue().return_value == 1
    assert len(mail.outbox) == 2
    second = mail.outbox[1].body
    assert "Wifi slow on the second floor" in second
    assert "Wifi drops after sleep" not in second
    assert NotificationSettings.objects.get(user=follower).digest_sent_at > yesterday


def test_nothing_new_sends_nothing_and_records_nothing(follower, customer):
    ask(customer, "Unrelated printer question", tags="printing")
    assert send_daily_digests.enqueue().return_value == 0
    assert mail.outbox == []
    assert NotificationSettings.objects.get(user=follower).digest_sent_at is None


def test_threads_older_than_a_day_and_ones_own_threads_are_left_out(follower, customer):
    old = ask(customer, "Wifi question from last week", tags="wifi")
    Event.objects.filter(thread=old).update(created_at=timezone.now() - timedelta(days=2))
    ask(follower, "My own wifi question today", tags="wifi")
    assert send_daily_digests.enqueue().return_value == 0
    assert mail.outbox == []


def test_people_who_did_not_ask_get_no_digest(follower, customer, other_customer):
    follow_actions.follow_tag(user=other_customer, tag=Tag.objects.get(name="wifi"))  # follows, never opted in
    opt_in(follower, digest=False)
    ask(customer, "Wifi drops after sleep", tags="wifi")
    assert send_daily_digests.enqueue().return_value == 0
    assert mail.outbox == []


def test_private_staff_events_never_reach_a_digest(follower, customer, vendor, staff):
    old = ask(customer, "Old northwind wifi question", body="@northwind", tags="wifi")
    Event.objects.filter(thread=old).update(created_at=timezone.now() - timedelta(days=3))
    with transaction.atomic():
        # A private-stream event today on the old thread, carrying staff-only text.
        posted = {"title": "SECRET refund policy", "tags": [], "mentions": [], "vendors": []}
        timeline.record(thread=old, kind=EventKind.POSTED, actor=staff, vendor=vendor, data=posted)
        timeline.record(thread=old, kind=EventKind.NOTE, actor=staff, vendor=vendor, data={"note": 0, "text": "SECRET"})
    ask(customer, "Fresh wifi question", tags="wifi")
    assert send_daily_digests.enqueue().return_value == 1
    body = mail.outbox[0].body + mail.outbox[0].alternatives[0][0]
    assert "Fresh wifi question" in body
    assert "Old northwind wifi question" not in body
    assert "SECRET" not in body


def test_the_command_queues_the_task(follower, customer):
    ask(customer, "Wifi drops after sleep", tags="wifi")
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert "Digests sent: 1" in out.getvalue()
    assert len(mail.outbox) == 1


def test_a_failed_send_is_tried_again_on_the_next_run(follower, customer, monkeypatch):
    ask(customer, "Wifi drops after sleep", tags="wifi")

    def refuse(self, fail_silently=False):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    # The task fails, so the worker retries it later (forum.worker); other people's digests went out meanwhile.
    assert send_daily_digests.enqueue().status == TaskResultStatus.FAILED
    assert NotificationSettings.objects.get(user=follower).digest_sent_at is None
    monkeypatch.undo()
    assert send_daily_digests.enqueue().return_value == 1
    assert len(mail.outbox) == 1
