"""The admin is not a back door: every change through its forms goes through the actions, or is refused."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db.models import Max, Sum
from django.test import Client
from django.urls import reverse

from forum import search
from forum.actions import moderation as mod_actions
from forum.actions import posts as post_actions
from forum.actions import vendors as vendor_actions
from forum.actions import votes as vote_actions
from forum.models import (
    Event,
    EventKind,
    Membership,
    Post,
    PostRevision,
    ReputationChange,
    Thread,
    ThreadVendor,
    User,
    Vendor,
    Vote,
)
from forum.models import moderation as moderation_models
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class ChangeForm(HTMLParser):
    """The fields a browser would send from the admin's change form, as it shows them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def site_login(username: str) -> Client:
    """Log in through the site's login page, as a person would, then use /admin/."""
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return browser


def submit(browser: Client, url: str, **changes) -> object:
    """GET the change form, change some fields (a None value unticks a checkbox), POST it back."""
    page = browser.get(url)
    assert page.status_code == 200
    data = ChangeForm(page.text).data
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = [str(value)]
    data["_save"] = ["Save"]
    return browser.post(url, data)


@pytest.fixture
def root(db) -> User:
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def scene(thread, reply, customer, vendor):
    vote_actions.upvote(user=customer, post=reply)
    STARTING_OFFSETS[thread.pk] = reputation_offsets()
    return {"thread": thread, "reply": reply}


def assert_rows_agree(thread: Thread) -> None:
    """The timeline, the counters and the ledgers agree with the rows they summarise."""
    thread.refresh_from_db()
    seqs = list(Event.objects.filter(thread=thread, vendor__isnull=True).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert thread.last_seq == Event.objects.filter(thread=thread).aggregate(m=Max("seq"))["m"]
    replies = Post.objects.filter(thread=thread, is_question=False, review_state="visible").count()
    assert thread.reply_count == replies
    for post in Post.objects.filter(thread=thread):
        assert post.score == Vote.objects.filter(post=post).count()
    # Test fixtures start some people with points outside the ledger; that offset may never move.
    starting = STARTING_OFFSETS[thread.pk]
    assert {name: offset for name, offset in reputation_offsets().items() if offset or name in starting} == starting


STARTING_OFFSETS: dict[int, dict[str, int]] = {}


def reputation_offsets() -> dict[str, int]:
    """Each person's reputation minus the sum of their ledger."""
    ledger = dict(ReputationChange.objects.values_list("user__username").annotate(s=Sum("amount")))
    return {u.username: u.reputation - (ledger.get(u.username) or 0) for u in User.objects.all()}


def test_a_post_edited_in_the_admin_is_revised_announced_and_reindexed(root, scene):
    reply = scene["reply"]
    url = reverse("admin:forum_post_change", args=[reply.pk])
    browser = site_login("root")
    response = submit(browser, url, body="Flash the **zanzibar** firmware.", score=99, review_state="hidden")
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Flash the **zanzibar** firmware." and "<strong>zanzibar</strong>" in reply.body_html
    assert reply.score == 1 and reply.review_state == "visible"  # read-only fields ignored
    assert PostRevision.objects.filter(post=reply, edited_by=root).count() == 1
    edited = Event.objects.filter(thread=scene["thread"]).latest("seq")
    assert (edited.kind, edited.actor, edited.post_id) == (EventKind.EDITED, root, reply.pk)
    assert [h.thread.pk for h in search.search_threads("zanzibar")] == [scene["thread"].pk]
    assert_rows_agree(scene["thread"])


def test_a_body_the_edit_action_would_refuse_is_refused_on_the_form(root, scene):
    reply = scene["reply"]
    before = reply.body
    response = submit(site_login("root"), reverse("admin:forum_post_change", args=[reply.pk]), body="[" * 50_000)
    assert response.status_code == 200 and "too much formatting" in response.text
    reply.refresh_from_db()
    assert reply.body == before and not PostRevision.objects.exists()


def test_a_thread_changed_in_the_admin_only_locks_through_the_action(root, scene):
    thread, reply = scene["thread"], scene["reply"]
    url = reverse("admin:forum_thread_change", args=[thread.pk])
    response = submit(
        site_login("root"), url, is_locked="on", status="solved", accepted_post=reply.pk, reply_count=0, title="Pwned"
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.is_locked and thread.status == "open" and thread.accepted_post_id is None
    assert thread.title != "Pwned"
    assert Event.objects.filter(thread=thread).latest("seq").kind == EventKind.LOCKED
    submit(site_login("root"), url, is_locked=None)
    thread.refresh_from_db()
    assert not thread.is_locked and Event.objects.filter(thread=thread).latest("seq").kind == EventKind.UNLOCKED
    assert_rows_agree(thread)


def test_memberships_are_verified_and_removed_only_through_the_vendor_actions(root, vendor):
    zed = make_user("zed")
    pending = vendor_actions.request_membership(user=zed, vendor=vendor)
    browser = site_login("root")
    change = reverse("admin:forum_membership_change", args=[pending.pk])
    sneaky = submit(browser, change, status="verified", role="admin")
    assert sneaky.status_code == 403
    pending.refresh_from_db()
    assert pending.status == Membership.Status.PENDING
    changelist = reverse("admin:forum_membership_changelist")
    browser.post(changelist, {"action": "approve", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert (pending.status, pending.via, pending.verified_by) == ("verified", "admin", root)
    browser.post(reverse("admin:forum_membership_delete", args=[pending.pk]), {"post": "yes"})
    pending.refresh_from_db()  # the revocation stays on record, with who removed them
    assert (pending.status, pending.revoked_by) == (Membership.Status.REVOKED, root)
    assert browser.get(reverse("admin:forum_membership_add")).status_code == 403


def test_a_vendor_is_added_through_the_action_and_its_handle_stays(root):
    browser = site_login("root")
    add = reverse("admin:forum_vendor_add")
    response = submit(
        browser,
        add,
        name="Acme Routers",
        handle="acme",
        description="Routers",
        **{"domains-0-domain": "acme.example"},
    )
    assert response.status_code == 302, response.content[:2000]
    vendor = Vendor.objects.get(handle="acme")
    assert [d.domain for d in vendor.domains.all()] == ["acme.example"]
    submit(browser, reverse("admin:forum_vendor_change", args=[vendor.pk]), name="Acme", handle="pwned")
    vendor.refresh_from_db()
    assert (vendor.name, vendor.handle) == ("Acme", "acme")
    assert browser.post(reverse("admin:forum_vendor_delete", args=[vendor.pk]), {"post": "yes"}).status_code == 403


def test_reputation_cannot_be_set_from_the_admin(root, scene, expert):
    before = User.objects.get(pk=expert.pk).reputation
    url = reverse("admin:forum_user_change", args=[expert.pk])
    response = submit(site_login("root"), url, reputation=99_999, display_name="Dana W.")
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.display_name == "Dana W." and expert.reputation == before
    assert_rows_agree(scene["thread"])


def test_logs_votes_and_links_cannot_be_added_changed_or_deleted_from_the_admin(root, scene, customer, moderator):
    thread, reply = scene["thread"], scene["reply"]
    post_actions.edit_post(editor=reply.author, post=reply, body="Revised once.")
    mod_actions.flag_post(user=customer, post=reply, reason="spam")
    mod_actions.dismiss_flags(moderator=moderator, post=reply)
    rows = {
        "event": Event.objects.filter(thread=thread).first(),
        "vote": Vote.objects.get(),
        "postrevision": PostRevision.objects.get(),
        "reputationchange": ReputationChange.objects.first(),
        "moderationlog": moderation_models.ModerationLog.objects.first(),
        "flag": moderation_models.Flag.objects.get(),
        "threadvendor": ThreadVendor.objects.first(),
    }
    counts = {name: type(row).objects.count() for name, row in rows.items() if row is not None}
    browser = site_login("root")
    for name, row in rows.items():
        if row is None:
            continue
        change = reverse(f"admin:forum_{name}_change", args=[row.pk])
        page = browser.get(change)
        assert page.status_code == 200 and 'name="_save"' not in page.text, name
        assert browser.post(change, {"_save": "Save"}).status_code == 403, name
        assert browser.post(reverse(f"admin:forum_{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
        assert browser.get(reverse(f"admin:forum_{name}_add")).status_code == 403, name
    assert {name: type(row).objects.count() for name, row in rows.items() if row is not None} == counts
    for name in ("post", "thread"):
        assert browser.get(reverse(f"admin:forum_{name}_add")).status_code == 403
    assert browser.post(reverse("admin:forum_post_delete", args=[reply.pk]), {"post": "yes"}).status_code == 403
    assert_rows_agree(thread)
