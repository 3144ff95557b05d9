"""Moderated content stays moderated on every path: every output x every state x every audience.

One world per moderation state (built once, through the actions): a thread whose
question carries ``QSECRET`` (title and body, with an image) and, on a public
thread, a reply carrying ``RSECRET`` (with an image). Each output is probed as
each audience and classified from what it returns:

- ``shown``: the secret text is there;
- ``masked``: the thing is there without its text (a placeholder, a neutral title);
- ``absent``: neither (a 404, or no trace).

Outputs read by one person follow forum.timeline.presenter's rule for that person;
outputs sent to many at once (lists, search, feeds, the knowledge base, vendor pages,
digests, webhooks, live frames) show what a visitor may see, whoever reads them.
"""

from __future__ import annotations

import importlib
import io
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image
from taggit.models import Tag

from forum import digest, search, webhooks
from forum.actions import follows as follow_actions
from forum.actions import moderation as moderation_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.models import Event, EventKind, Notification, Post, Thread, User
from forum.tasks import send_notification_emails
from swarm import consumers
from tests.conftest import client_for, make_staff, make_user

pytestmark = pytest.mark.django_db

QSECRET = "Quokkasecret"
RSECRET = "Rhubarbsecret"
# Searched for instead of the secrets, because result pages repeat the query.
QWORD = "Wombatword"
RWORD = "Marmotword"
LINK = " Details at https://example.net/x"
STATES = ["pending", "rejected", "hidden", "deleted", "restored"]
AUDIENCES = ["visitor", "author", "other_customer", "vendor_staff", "other_staff", "moderator"]

SHOWN, MASKED, ABSENT = "shown", "masked", "absent"


def personal(state: str, audience: str) -> str:
    """What one person sees of the content in each state (forum.access.can_see_post's rule)."""
    if state == "restored":
        return SHOWN
    if state == "deleted":
        return ABSENT
    if audience == "moderator":
        return SHOWN
    if audience == "author" and state in ("pending", "hidden"):
        return SHOWN
    return MASKED if state == "hidden" else ABSENT


def announced(state: str, audience: str) -> str:
    """Events: pending and rejected content was never announced, so no event can carry it."""
    return ABSENT if state in ("pending", "rejected") else personal(state, audience)


def public(state: str, audience: str) -> str:
    """Lists and broadcasts: what a visitor may see, whoever looks."""
    return SHOWN if state == "restored" else ABSENT


def broadcast(state: str, audience: str) -> str:
    """One frame or payload for everybody: the visitor's view, with hidden content masked."""
    return {"restored": SHOWN, "hidden": MASKED}.get(state, ABSENT)


def image() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, "PNG")
    return SimpleUploadedFile("shot.png", out.getvalue(), content_type="image/png")


@dataclass
class World:
    state: str
    people: dict[str, User | None]
    question: Post
    reply: Post
    public_thread: Thread
    question_image: int | None
    reply_image: int | None
    live: list[dict] = field(default_factory=list)


def build(state: str, monkeypatch) -> World:
    """Everything in one state, through the actions a person would use."""
    northwind = vendor_actions.create_vendor(name="Northwind", handle="northwind", domains=["northwind.example"])
    bluewave = vendor_actions.create_vendor(name="Bluewave", handle="bluewave", domains=["bluewave.example"])
    vendor_staff = make_staff("vstaff", northwind)
    other_staff = make_staff("ostaff", bluewave)
    author = make_user("author")  # a new account: its posts with links wait for review
    other = make_user("other", date_joined=timezone.now() - timedelta(days=400))
    moderator = make_user("moddy", is_moderator=True)
    people = {
        "visitor": None,
        "author": author,
        "other_customer": other,
        "vendor_staff": vendor_staff,
        "other_staff": other_staff,
        "moderator": moderator,
    }
    frames: list[dict] = []

    class Layer:
        async def group_send(self, group, message):
            if message.get("type") == "timeline.event":
                frames.append(json.loads(message["text"])["event"])  # the frame as every socket gets it

    monkeypatch.setattr(importlib.import_module("forum.timeline.record"), "get_channel_layer", lambda: Layer())

    link = LINK if state in ("pending", "rejected") else ""
    public_thread = thread_actions.create_thread(
        author=other, title="Printer jams on page two", body="Any idea? @northwind", tags="wifi"
    )
    follow_actions.follow_tag(user=other, tag=Tag.objects.get(name="wifi"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        thread = thread_actions.create_thread(
            author=author,
            title=f"Router {QSECRET} {QWORD} drops wifi",
            body=f"The {QSECRET} firmware drops wifi. @northwind{link}",
            tags="wifi",
            images=[image()],
        )
        reply = post_actions.reply(
            author=author, thread=public_thread, body=f"Try the {RSECRET} {RWORD} setting.{link}", images=[image()]
        )
    question = thread.posts.get(is_question=True)
    if state in ("hidden", "restored", "deleted"):
        helper = post_actions.reply(author=other, thread=thread, body="Reset it.")
        thread_actions.accept_answer(user=author, thread=thread, post=helper)
        thread_actions.accept_answer(user=other, thread=public_thread, post=reply)
    question_image = question.attachments.values_list("pk", flat=True).first()
    reply_image = reply.attachments.values_list("pk", flat=True).first()
    if state in ("hidden", "restored", "deleted"):
        frames.clear()  # it was public then; what counts is what watchers get when its state changes
    with TestCase.captureOnCommitCallbacks(execute=True):
        if state == "rejected":
            moderation_actions.reject_post(moderator=moderator, post=question)
            moderation_actions.reject_post(moderator=moderator, post=reply)
        elif state in ("hidden", "restored"):
            moderation_actions.hide_post(moderator=moderator, post=question)
            moderation_actions.hide_post(moderator=moderator, post=reply)
            if state == "restored":
                moderation_actions.restore_post(moderator=moderator, post=question)
                moderation_actions.restore_post(moderator=moderator, post=reply)
        elif state == "deleted":
            # No action deletes content; the admin or an account removal can. The index follows.
            Thread.objects.filter(pk=thread.pk).delete()
            Post.objects.filter(pk=reply.pk).delete()
            search.index_thread(public_thread)
    return World(state, people, question, reply, public_thread, question_image, reply_image, frames)


# ---- Probes: (world, person) -> shown / masked / absent ----


_clients: dict = {}


def client(who):
    """One logged-in client per person and state (logging in for every probe is slow)."""
    key = who.pk if who is not None else None
    if key not in _clients:
        _clients[key] = client_for(who)
    return _clients[key]


def _classify(text: str, secret: str, exists: bool) -> str:
    if secret in text:
        return SHOWN
    return MASKED if exists else ABSENT


def thread_page(w: World, who) -> str:
    response = client(who).get(f"/t/{w.question.thread_id}/", follow=True)
    return _classify(response.text, QSECRET, response.status_code == 200)


def reply_on_page(w: World, who) -> str:
    text = client(who).get(f"/t/{w.public_thread.pk}/", follow=True).text
    return _classify(text, RSECRET, f'id="post-{w.reply.pk}"' in text)


def slug_redirect(w: World, who) -> str:
    """Redirects to the thread's address (a wrong slug, a suggestion opened from /ask/) agree."""
    seen = set()
    for url in (f"/t/{w.question.thread_id}/wrong-slug/", f"/t/{w.question.thread_id}/?from=ask"):
        response = client(who).get(url)
        if response.status_code == 404:
            seen.add(ABSENT)
        else:
            seen.add(SHOWN if QSECRET.lower() in response["Location"] else MASKED)
    return seen.pop() if len(seen) == 1 else f"disagree: {sorted(seen)}"


def attachment(image_field: str):
    def probe(w: World, who) -> str:
        pk = getattr(w, image_field)
        if pk is None:
            return ABSENT
        response = client(who).get(f"/a/{pk}/")
        if response.status_code == 404:
            return ABSENT
        # Only what everyone may see is cacheable by shared caches.
        assert response["Cache-Control"].startswith("public") == (w.state == "restored"), response["Cache-Control"]
        return SHOWN

    return probe


def api_thread(w: World, who) -> str:
    response = client(who).get(f"/api/threads/{w.question.thread_id}")
    return _classify(response.text, QSECRET, response.status_code == 200)


def api_post(w: World, who) -> str:
    response = client(who).get(f"/api/posts/{w.reply.pk}")
    return _classify(response.text, RSECRET, response.status_code == 200)


def api_events(w: World, who) -> str:
    texts = []
    for thread_id in (w.question.thread_id, w.public_thread.pk):
        response = client(who).get(f"/api/threads/{thread_id}/events")
        texts.append(response.text if response.status_code == 200 else "")
    joined = "".join(texts)
    if QSECRET in joined or RSECRET in joined:
        return SHOWN
    return MASKED if "This post is hidden" in joined or "Hidden thread" in joined else ABSENT


def replay(w: World, who) -> str:
    from forum.models import Membership

    staff_ids = list(Membership.objects.filter(user=who, status="verified").values_list("vendor_id", flat=True))
    payloads = []
    for thread_id in (w.question.thread_id, w.public_thread.pk):
        events, _ = consumers.replay(thread_id=thread_id, vendor_id=None, after=0, user=who, staff_vendor_ids=staff_ids)
        payloads += events
    joined = json.dumps(payloads)
    if QSECRET in joined or RSECRET in joined:
        return SHOWN
    return MASKED if "This post is hidden" in joined or "Hidden thread" in joined else ABSENT


def notification_email(w: World, who) -> str:
    """The reply's notification email, built now for this person (as a worker would, later)."""
    event = Event.objects.filter(thread=w.public_thread, kind=EventKind.REPLIED).first()
    if who is None or event is None:
        return ABSENT
    Notification.objects.get_or_create(recipient=who, event=event, defaults={"kind": Notification.Kind.REPLY})
    mail.outbox.clear()
    send_notification_emails.call(event_id=event.pk, user_ids=[who.pk])
    text = "".join(m.subject + m.body for m in mail.outbox)
    return _classify(text, RSECRET, bool(mail.outbox))


def inbox(w: World, who) -> str:
    response = client(who).get("/v/northwind/inbox/")
    if response.status_code != 200:
        return ABSENT
    return _classify(response.text, QSECRET, "Hidden thread" in response.text)


def notifications_page(w: World, who) -> str:
    if who is None:
        return ABSENT
    text = client(who).get("/notifications/").text
    return _classify(text, QSECRET, "Hidden thread" in text)


def search_page(w: World, who) -> str:
    text = client(who).get(f"/search/?q={QWORD}").text + client(who).get(f"/search/?q={RWORD}").text
    text += client(who).get(f"/ask/suggest/?title={QWORD}").text
    return SHOWN if QSECRET in text or RSECRET in text else ABSENT


def api_search(w: World, who) -> str:
    text = client(who).get(f"/api/search?q={QWORD}").text + client(who).get("/api/threads").text
    return SHOWN if QSECRET in text else ABSENT


def feeds(w: World, who) -> str:
    text = "".join(
        client(who).get(url).text for url in ("/feeds/tags/wifi/", "/feeds/v/northwind/", f"/feeds/search/?q={QWORD}")
    )
    return SHOWN if QSECRET in text else ABSENT


def lists(w: World, who) -> str:
    text = "".join(client(who).get(url).text for url in ("/", "/tags/wifi/", "/kb/", "/v/northwind/"))
    return SHOWN if QSECRET in text or RSECRET in text else ABSENT


def profile_page(w: World, who) -> str:
    text = client(who).get("/u/author/").text
    return SHOWN if QSECRET in text or RSECRET in text else ABSENT


def swarm_panel(w: World, who) -> str:
    """The escalation panel fragment: it exists only for those who may open the thread."""
    response = client(who).get(f"/t/{w.question.thread_id}/swarm/")
    return _classify(response.text, QSECRET, response.status_code == 200)


def api_escalations(w: World, who) -> str:
    text = client(who).get("/api/escalations?vendor=northwind").text
    return _classify(text, QSECRET, "Hidden thread" in text)


def digest_email(w: World, who) -> str:
    reader = w.people["other_customer"]
    now = timezone.now()
    threads = [t for t in digest.threads_for(reader, since=now - timedelta(days=1), until=now + timedelta(minutes=1))]
    if not threads:
        return ABSENT
    message = digest.message_for(reader, threads, day=now)
    return SHOWN if QSECRET in message.body + message.alternatives[0][0] else ABSENT


def webhook_payloads(w: World, who) -> str:
    events = Event.objects.filter(thread_id__in=[w.question.thread_id, w.public_thread.pk], vendor__isnull=True)
    joined = json.dumps([webhooks.payload(e) for e in events.select_related("thread", "actor", "post__author")])
    if QSECRET in joined or RSECRET in joined:
        return SHOWN
    return MASKED if "This post is hidden" in joined or "Hidden thread" in joined else ABSENT


def live_frames(w: World, who) -> str:
    """Frames published when the content changed state (what watchers received then)."""
    joined = json.dumps(w.live)
    if QSECRET in joined or RSECRET in joined:
        return SHOWN
    return MASKED if "This post is hidden" in joined else ABSENT


def files(state: str, audience: str) -> str:
    """A file has no placeholder: served whole, or a 404."""
    return SHOWN if personal(state, audience) == SHOWN else ABSENT


# output name -> (probe, expected(state, audience), the audiences it is read by)
EVERYONE = AUDIENCES
OUTPUTS = {
    "thread page": (thread_page, personal, EVERYONE),
    "reply on its thread page": (reply_on_page, personal, EVERYONE),
    "slug redirect": (slug_redirect, personal, EVERYONE),
    "question image /a/": (attachment("question_image"), files, EVERYONE),
    "reply image /a/": (attachment("reply_image"), files, EVERYONE),
    "API thread": (api_thread, personal, EVERYONE),
    "API post": (api_post, personal, EVERYONE),
    "API events": (api_events, announced, EVERYONE),
    "websocket replay": (replay, announced, EVERYONE),
    "notification email": (notification_email, announced, EVERYONE[1:]),
    "notifications page": (notifications_page, announced, ["vendor_staff"]),
    "vendor inbox": (inbox, broadcast, ["vendor_staff"]),
    "search and suggestions": (search_page, public, EVERYONE),
    "API search and lists": (api_search, public, EVERYONE),
    "Atom feeds": (feeds, public, EVERYONE),
    "lists, knowledge base, vendor page": (lists, public, EVERYONE),
    "digest email": (digest_email, public, ["other_customer"]),
    "profile page": (profile_page, public, EVERYONE),
    "escalation panel fragment": (swarm_panel, personal, EVERYONE),
    "API escalations": (api_escalations, broadcast, ["vendor_staff"]),
    "webhook payloads": (webhook_payloads, broadcast, ["vendor_staff"]),
    "live frames": (live_frames, broadcast, ["visitor"]),
}
# Outputs with no sign of a masked item (an email without its quote reads like one about nothing):
# only whether the secret is there is compared.
SHOWN_ONLY = {"notification email"}
# Outputs that never carry the text: only whether they exist for the person is compared.
EXISTS_ONLY = {"escalation panel fragment"}


@pytest.mark.parametrize("state", STATES)
def test_every_output_for_every_audience(state, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _clients.clear()
    world = build(state, monkeypatch)
    wrong = []
    for name, (probe, expected, audiences) in OUTPUTS.items():
        for audience in audiences:
            want = expected(state, audience)
            got = probe(world, world.people[audience])
            if name in SHOWN_ONLY:
                same = (got == SHOWN) == (want == SHOWN)
            elif name in EXISTS_ONLY:
                same = (got == ABSENT) == (want == ABSENT)
            else:
                same = got == want
            if not same:
                wrong.append(f"{name} as {audience}: expected {want}, got {got}")
    assert not wrong, f"{state}:\n" + "\n".join(wrong)


# ---- One real websocket: a daphne process, a websockets client, a moderator's real request ----


@pytest.fixture
def daphne(transactional_db):
    from tests.swarm.conftest import start_daphne

    server = start_daphne()
    yield server
    server.kill()


@pytest.mark.django_db(transaction=True)
async def test_a_real_watcher_gets_the_placeholder_when_a_reply_is_hidden_and_no_socket_for_a_pending_thread(
    daphne, customer, expert, moderator
):
    import asyncio

    import websockets
    from asgiref.sync import sync_to_async

    from tests.swarm.conftest import csrf_token, logged_in_client

    def setup():
        thread = thread_actions.create_thread(author=expert, title="Printer jams", body="Any idea?")
        reply = post_actions.reply(author=expert, thread=thread, body=f"Try the {RSECRET} setting.")
        pending = thread_actions.create_thread(author=customer, title="Hidden help", body=f"See {LINK}")
        return thread, reply, pending

    thread, reply, pending = await sync_to_async(setup)()
    origin = daphne.http
    # A thread that does not exist for the visitor is refused like a missing one (4404 after accept).
    async with websockets.connect(f"{daphne.ws}/ws/t/{pending.pk}/", origin=origin, open_timeout=10) as refused:
        assert json.loads(await refused.recv())["code"] == "not_found"
        with pytest.raises(websockets.ConnectionClosed):
            await refused.recv()
        assert refused.close_code == 4404

    watcher = await websockets.connect(f"{daphne.ws}/ws/t/{thread.pk}/", origin=origin, open_timeout=10)

    def hide() -> int:
        client = logged_in_client(daphne, moderator)
        token = csrf_token(client, thread.get_absolute_url())
        return client.post(
            f"/mod/p/{reply.pk}/hide/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{daphne.http}{thread.get_absolute_url()}"},
        ).status_code

    assert await sync_to_async(hide)() == 302
    while True:
        frame = json.loads(await asyncio.wait_for(watcher.recv(), 10))
        if frame["type"] == "event" and frame["event"]["kind"] == "hidden":
            break
    assert RSECRET not in json.dumps(frame) and "hidden pending moderator review" in frame["event"]["html"]
    await watcher.close()
