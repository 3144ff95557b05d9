"""The demo data (``make run``: seed_demo then seed_swarm) tells the story the README promises."""

from __future__ import annotations

import io
import time
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from forum.models import AnswerVerification, Article, Event, Post, Thread, User, Vendor
from swarm import selectors
from swarm.models import Escalation, MeToo, RadarHit, StaffNote

LOGINS = ["jeff", "dana", "keith", "priya", "marco", "mod", "admin", "mei", "ines", "aiko"]


def seed() -> float:
    started = time.monotonic()
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_swarm", stdout=io.StringIO())
    return time.monotonic() - started


def kinds(thread: Thread) -> list[str]:
    return list(Event.objects.filter(thread=thread).order_by("created_at", "seq").values_list("kind", flat=True))


def counts() -> dict[str, int]:
    models = (Thread, Post, Event, Escalation, User, Vendor, MeToo, StaffNote, RadarHit, AnswerVerification)
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_tells_the_story_and_a_second_run_changes_nothing(db):
    assert seed() < 30
    titles = list(Thread.objects.values_list("title", flat=True))
    assert len(titles) == len(set(titles)) >= 30
    assert not any("(again)" in title for title in titles)

    # A tablet loses Wi-Fi after an update: escalated publicly to its maker, claimed, solved, confirmed, rated.
    tablet = Thread.objects.get(title="Slate 11 loses Wi-Fi after the 4.2 update")
    case = tablet.escalations.get()
    assert (case.vendor.handle, case.state, case.rating) == ("northwind", "confirmed", 5)
    assert case.solved_by_staff and tablet.status == Thread.Status.SOLVED
    assert tablet.accepted_post.author.username == "priya"
    story = kinds(tablet)
    for kind in ("posted", "replied", "escalated", "metoo", "claimed", "note", "resolved", "confirmed", "rated"):
        assert kind in story, kind
    assert story.index("escalated") < story.index("claimed") < story.index("resolved") < story.index("confirmed")

    # ...and its solution became a published Northwind article that links back to it.
    article = Article.objects.get(thread=tablet)
    assert (article.status, article.vendor.handle) == (Article.Status.PUBLISHED, "northwind")
    assert "4.2.1" in article.resolution

    # A laptop bounced between its maker and a carrier; both vendors' staff work it on the one thread.
    laptop = Thread.objects.get(title__startswith="Aero 14 LTE model")
    first = laptop.escalations.get(vendor__handle="northwind")
    second = laptop.escalations.get(vendor__handle="bluewave")
    assert (first.state, first.handed_to.handle) == ("handed_off", "bluewave")
    assert (second.state, second.handed_from.handle, second.claimed_by.username) == ("claimed", "northwind", "aiko")
    staff_vendors = set(laptop.posts.exclude(staff_vendor=None).values_list("staff_vendor__handle", flat=True))
    assert staff_vendors == {"northwind", "bluewave"}
    assert "handed_off" in kinds(laptop)

    # A knowledge-base answer grew out of a solved thread: the accepted answer, verified by Northwind.
    verified = AnswerVerification.objects.get(vendor__handle="northwind")
    assert verified.post.thread.accepted_post_id == verified.post_id
    assert verified.post.author.username == "dana"

    # Fabrikam first heard of a problem through its radar, then its staff replied.
    hit = RadarHit.objects.get(thread__title__startswith="Photos app shows grey", vendor__handle="fabrikam")
    assert hit.state == RadarHit.State.JOINED and hit.phrases == ["photo library"]
    staff_reply = hit.thread.posts.get(staff_vendor__handle="fabrikam")
    assert hit.created_at < staff_reply.created_at

    # An unclaimed vendor with an open escalation.
    contoso = Vendor.objects.get(handle="contoso")
    assert contoso.joined_at is None
    assert contoso.escalations.get().state == "open"

    # Every state, an idle claim returned to the inbox, me-toos and staff notes.
    states = set(Escalation.objects.values_list("state", flat=True))
    assert states == {"open", "claimed", "resolved", "confirmed", "handed_off"}
    idle = Event.objects.get(kind="released")
    assert idle.data["reason"] == "idle" and idle.thread.escalations.get().state == "open"
    assert MeToo.objects.count() >= 6 and StaffNote.objects.count() >= 3

    # Dates: every case is after its vendor joined and before now; posts follow their question.
    now = timezone.now()
    for escalation in Escalation.objects.select_related("vendor"):
        assert escalation.created_at <= now
        if escalation.vendor.joined_at:
            assert escalation.vendor.joined_at < escalation.created_at
        for later in (escalation.first_claimed_at, escalation.first_staff_reply_at, escalation.confirmed_at):
            assert later is None or escalation.created_at < later <= now
    for post in Post.objects.select_related("thread"):
        assert post.thread.created_at <= post.created_at <= now

    # Vendor pages show medians over 30 and 90 days, never "not enough data".
    for handle in ("northwind", "bluewave", "fabrikam"):
        vendor = Vendor.objects.get(handle=handle)
        for days in (30, 90):
            metrics = selectors.vendor_metrics(vendor=vendor, days=days)
            assert metrics.median_first_reply and metrics.median_claim and metrics.median_resolution, (handle, days)
            assert metrics.average_rating is not None
            assert timedelta(minutes=30) < metrics.median_first_reply < timedelta(days=2)
        page = Client().get(f"/v/{handle}/")
        assert page.status_code == 200
        assert "not enough data" not in page.content.decode()

    # The documented logins work.
    for username in LOGINS:
        assert Client().login(username=username, password="barnraise-demo"), username

    before = counts()
    seed()
    assert counts() == before
