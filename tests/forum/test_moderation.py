"""Moderation: flags, auto-hide, the moderators' queue, review of new accounts' links, suspensions."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum import search, selectors
from forum.actions import moderation as mod
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import votes as vote_actions
from forum.models import Event, EventKind, Flag, ModerationLog, Post, ReviewState, Thread, User
from forum.timeline.presenter import live_payload as payload_for
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

SECRET = "Zanzibarquux"  # a word that appears only in the post being hidden
PLACEHOLDER = "This post is hidden pending moderator review"


def old_user(username: str, **extra) -> User:
    """An account older than NEW_ACCOUNT_DAYS, so its links go straight out."""
    user = make_user(username, **extra)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=30))
    user.refresh_from_db()
    return user


@pytest.fixture
def trusted():
    """Established members: old enough and with enough reputation for their flags to count."""
    return [old_user(f"trusted{i}", reputation=100) for i in range(3)]


@pytest.fixture
def spam(thread, other_customer) -> Post:
    return post_actions.reply(author=other_customer, thread=thread, body=f"Buy cheap {SECRET} watches now")


def hide_by_flags(post: Post, flaggers: list[User]) -> Post:
    for user in flaggers:
        mod.flag_post(user=user, post=post, reason=Flag.Reason.SPAM)
    post.refresh_from_db()
    return post


def public_kinds(thread: Thread) -> list[str]:
    return list(Event.objects.filter(thread=thread, vendor=None).order_by("seq").values_list("kind", flat=True))


# ---- flagging -------------------------------------------------------------------------------


def test_flag_is_private_no_public_event(spam, customer):
    before = public_kinds(spam.thread)
    flag = mod.flag_post(user=customer, post=spam, reason="abuse", note="insulting")
    assert flag.reason == Flag.Reason.ABUSE and flag.note == "insulting" and not flag.trusted
    assert public_kinds(spam.thread) == before


def test_flag_twice_is_refused_with_a_clear_message(spam, customer):
    mod.flag_post(user=customer, post=spam, reason="spam")
    with pytest.raises(ValidationError, match="already flagged"):
        mod.flag_post(user=customer, post=spam, reason="abuse")
    assert Flag.objects.filter(post=spam).count() == 1


def test_flag_own_post_is_refused(spam, other_customer):
    with pytest.raises(ValidationError, match="your own post"):
        mod.flag_post(user=other_customer, post=spam, reason="spam")
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("nonsense", "", "Choose why"),
        ("", "", "Choose why"),
        ("spam", "x" * 501, "limit is 500"),
        ("other", "   ", "Say in a few words"),
    ],
)
def test_flag_bad_input(spam, customer, reason, note, message):
    with pytest.raises(ValidationError, match=message):
        mod.flag_post(user=customer, post=spam, reason=reason, note=note)
    assert not Flag.objects.exists()


def test_visitor_cannot_flag(spam):
    with pytest.raises(PermissionDenied, match="Log in"):
        mod.flag_post(user=AnonymousUser(), post=spam, reason="spam")


def test_flag_view(spam, customer):
    client = client_for(customer)
    response = client.post(f"/p/{spam.pk}/flag/", {"reason": "spam", "note": "link farm"}, follow=True)
    assert "the moderators will look at this post" in response.text
    response = client.post(f"/p/{spam.pk}/flag/", {"reason": "spam"}, follow=True)
    assert "already flagged this post" in response.text
    response = client.post(f"/p/{spam.pk}/flag/", {"reason": "bogus"}, follow=True)
    assert Flag.objects.count() == 1


def test_flag_view_refusals(spam):
    assert client_for(None).post(f"/p/{spam.pk}/flag/", {"reason": "spam"}).status_code == 302  # to log in
    assert client_for(make_user("zed")).post("/p/999999/flag/", {"reason": "spam"}).status_code == 404
    assert client_for(make_user("zod")).get(f"/p/{spam.pk}/flag/").status_code == 405


def test_flag_form_shown_to_others_not_to_author_or_visitor(spam, customer, other_customer):
    url = spam.thread.get_absolute_url()
    assert f'action="/p/{spam.pk}/flag/"' in client_for(customer).get(url).text
    assert f'action="/p/{spam.pk}/flag/"' not in client_for(other_customer).get(url).text
    assert "/flag/" not in client_for(None).get(url).text


# ---- auto-hide ------------------------------------------------------------------------------


def test_three_trusted_flags_hide_the_post(spam, trusted):
    hide_by_flags(spam, trusted[:2])
    assert spam.review_state == ReviewState.VISIBLE
    hide_by_flags(spam, trusted[2:])
    assert spam.review_state == ReviewState.HIDDEN
    event = Event.objects.filter(thread=spam.thread, kind=EventKind.HIDDEN).get()
    assert event.post_id == spam.pk and event.actor is None and event.vendor is None
    dumped = json.dumps(payload_for(event))
    assert SECRET not in dumped
    assert not any(u.username in dumped for u in trusted)
    assert ModerationLog.objects.filter(action=ModerationLog.Action.AUTO_HIDE, post=spam).exists()


def test_untrusted_flags_do_not_hide(spam, customer):
    others = [make_user(f"newbie{i}") for i in range(4)]
    hide_by_flags(spam, [customer, *others])
    assert spam.review_state == ReviewState.VISIBLE
    assert Flag.objects.filter(post=spam, status=Flag.Status.OPEN).count() == 5


def test_threshold_comes_from_settings(spam, trusted, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "FLAGS_TO_HIDE": 1}
    assert hide_by_flags(spam, trusted[:1]).review_state == ReviewState.HIDDEN


def test_hidden_post_placeholder_for_everyone_but_author_and_moderators(spam, trusted, customer, moderator):
    hide_by_flags(spam, trusted)
    url = spam.thread.get_absolute_url()
    for viewer in (None, customer, trusted[0]):
        page = client_for(viewer).get(url).text
        assert SECRET not in page
        assert PLACEHOLDER in page
    for viewer in (spam.author, moderator):
        page = client_for(viewer).get(url).text
        assert SECRET in page
        assert "Hidden pending moderator review" in page


def test_hidden_question_hides_title_lists_and_search(customer, trusted):
    thread = thread_actions.create_thread(
        author=customer, title=f"Cheap {SECRET} pills here", body=f"Buy {SECRET} today", tags="spam"
    )
    assert search.search_threads(SECRET)
    hide_by_flags(thread.posts.get(), trusted)
    thread.refresh_from_db()
    assert thread.review_state == ReviewState.HIDDEN
    assert search.search_threads(SECRET) == []
    assert SECRET not in client_for(None).get("/").text
    assert SECRET not in client_for(None).get("/tags/spam/").text
    response = client_for(None).get(thread.get_absolute_url(), follow=True)
    # The slug is made from the title, so a visitor is sent to a neutral one.
    assert response.redirect_chain == [(f"/t/{thread.pk}/hidden-thread/", 301)]
    assert SECRET not in response.text and PLACEHOLDER in response.text


def test_hidden_reply_left_out_of_search(spam, trusted):
    assert search.search_threads(SECRET)
    hide_by_flags(spam, trusted)
    assert search.search_threads(SECRET) == []
    assert spam.thread.get_absolute_url() not in client_for(None).get("/search/", {"q": SECRET}).text


def test_hidden_content_never_in_live_payloads(spam, trusted):
    hide_by_flags(spam, trusted)
    post_actions.edit_post(editor=spam.author, post=spam, body=f"Edited {SECRET} again")
    payloads = [payload_for(e) for e in Event.objects.filter(thread=spam.thread, vendor=None)]
    assert [p["kind"] for p in payloads][-2:] == [EventKind.HIDDEN, EventKind.EDITED]
    assert SECRET not in json.dumps(payloads)


def test_live_hidden_and_restored_frames_carry_the_public_view(spam, trusted, moderator):
    hide_by_flags(spam, trusted)
    hidden = payload_for(Event.objects.get(kind=EventKind.HIDDEN))
    assert PLACEHOLDER in hidden["html"] and SECRET not in hidden["html"]
    mod.restore_post(moderator=moderator, post=spam)
    restored = payload_for(Event.objects.get(kind=EventKind.RESTORED))
    assert SECRET in restored["html"]


def test_live_frame_published_for_an_edit_of_a_hidden_post_carries_no_text(spam, trusted, monkeypatch):
    hide_by_flags(spam, trusted)
    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append(message)

    monkeypatch.setattr(importlib.import_module("forum.timeline.record"), "get_channel_layer", lambda: Layer())
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        post_actions.edit_post(editor=spam.author, post=spam, body=f"Still {SECRET}")
    assert sent and SECRET not in json.dumps(sent)


# ---- the moderators' queue ------------------------------------------------------------------


def test_queue_is_for_moderators_only(customer, other_customer, expert):
    assert client_for(None).get("/mod/").status_code == 302
    for user in (customer, other_customer, expert):
        response = client_for(user).get("/mod/")
        assert response.status_code == 403
        assert "Only moderators can open the moderation queue" in response.text


def test_queue_lists_flags_with_counts_and_reasons(spam, customer, expert, moderator):
    mod.flag_post(user=customer, post=spam, reason="spam", note="sells watches")
    mod.flag_post(user=expert, post=spam, reason="spam")
    page = client_for(moderator).get("/mod/").text
    assert "2 open flags" in page
    assert "Spam × 2" in page
    assert "sells watches" in page and "Dana Whitfield" in page


def test_moderators_see_open_flag_counts_on_the_thread_page(spam, customer, expert, moderator):
    mod.flag_post(user=customer, post=spam, reason="spam")
    mod.flag_post(user=expert, post=spam, reason="abuse")
    assert "2 open flags" in client_for(moderator).get(spam.thread.get_absolute_url()).text
    for viewer in (None, customer, spam.author):
        assert "open flag" not in client_for(viewer).get(spam.thread.get_absolute_url()).text


def test_dismiss_flags_from_queue(spam, customer, moderator):
    mod.flag_post(user=customer, post=spam, reason="spam")
    response = client_for(moderator).post(f"/mod/p/{spam.pk}/dismiss/", follow=True)
    assert "Flags dismissed" in response.text
    assert Flag.objects.get().status == Flag.Status.DISMISSED
    assert selectors.moderation_queue().flagged == []
    spam.refresh_from_db()
    assert spam.review_state == ReviewState.VISIBLE


def test_moderator_hides_and_restores(spam, moderator, customer):
    mod.flag_post(user=customer, post=spam, reason="abuse")
    client = client_for(moderator)
    client.post(f"/mod/p/{spam.pk}/hide/")
    spam.refresh_from_db()
    assert spam.review_state == ReviewState.HIDDEN
    assert Flag.objects.get().status == Flag.Status.ACTED
    assert SECRET not in client_for(None).get(spam.thread.get_absolute_url()).text
    response = client.post(f"/mod/p/{spam.pk}/restore/", follow=True)
    assert "visible again" in response.text
    spam.refresh_from_db()
    assert spam.review_state == ReviewState.VISIBLE
    assert public_kinds(spam.thread)[-2:] == [EventKind.HIDDEN, EventKind.RESTORED]
    assert SECRET in client_for(None).get(spam.thread.get_absolute_url()).text
    assert search.search_threads(SECRET)
    actions = set(ModerationLog.objects.values_list("action", flat=True))
    assert {"hide", "restore"} <= actions


def test_restore_dismisses_flags_so_they_do_not_hide_again(spam, trusted, moderator):
    hide_by_flags(spam, trusted)
    mod.restore_post(moderator=moderator, post=spam)
    assert not Flag.objects.filter(status=Flag.Status.OPEN).exists()
    mod.flag_post(user=old_user("late", reputation=100), post=spam, reason="spam")
    spam.refresh_from_db()
    assert spam.review_state == ReviewState.VISIBLE


@pytest.mark.parametrize("decision", ["dismiss", "hide", "restore", "approve", "reject"])
def test_queue_decisions_refused_for_non_moderators(spam, customer, decision):
    assert client_for(customer).post(f"/mod/p/{spam.pk}/{decision}/").status_code == 403
    with pytest.raises(PermissionDenied):
        getattr(mod, mod_function(decision))(moderator=customer, post=spam)
    spam.refresh_from_db()
    assert spam.review_state == ReviewState.VISIBLE


def mod_function(decision: str) -> str:
    return {
        "dismiss": "dismiss_flags",
        "hide": "hide_post",
        "restore": "restore_post",
        "approve": "approve_post",
        "reject": "reject_post",
    }[decision]


def test_queue_bad_input(spam, moderator):
    client = client_for(moderator)
    assert client.post("/mod/p/999999/hide/").status_code == 404
    response = client.post(f"/mod/p/{spam.pk}/explode/", follow=True)
    assert "Choose dismiss, hide, restore, approve or reject" in response.text
    response = client.post(f"/mod/p/{spam.pk}/restore/", follow=True)
    assert "This post is not hidden" in response.text
    response = client.post(f"/mod/p/{spam.pk}/dismiss/", follow=True)
    assert "no open flags" in response.text
    response = client.post(f"/mod/p/{spam.pk}/approve/", follow=True)
    assert "not waiting for review" in response.text
    assert client.get("/mod/u/nobody-here/").status_code == 404


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _flag_many(thread, n, flaggers):
    for i in range(n):
        post = post_actions.reply(author=flaggers[0], thread=thread, body=f"Reply {i} https://spam.example")
        for user in flaggers[1:]:
            mod.flag_post(user=user, post=post, reason="spam", note=f"note {i}")


def test_queue_query_count_does_not_grow(thread, moderator, trusted):
    author = old_user("oldtimer")
    newbie = make_user("newbie")
    client = client_for(moderator)

    def add(n):
        _flag_many(thread, n, [author, trusted[0], trusted[1], trusted[2]])  # these get hidden
        _flag_many(thread, n, [author, trusted[0]])
        for i in range(n):
            post_actions.reply(author=newbie, thread=thread, body=f"Pending https://x.example/{i}")

    add(1)
    client.get("/mod/")
    small = _count(client, "/mod/")
    add(8)
    queue = selectors.moderation_queue()
    assert len(queue.hidden) == 9 and len(queue.pending) == 9 and len(queue.flagged) == 9
    assert _count(client, "/mod/") == small


@pytest.mark.parametrize("viewer", ["visitor", "author", "moderator"])
def test_thread_page_query_count_fixed_with_hidden_and_pending_posts(thread, trusted, moderator, viewer):
    spammer = make_user("spammer")
    post_actions.reply(author=spammer, thread=thread, body="first plain reply")
    client = client_for({"visitor": None, "author": spammer, "moderator": moderator}[viewer])
    url = thread.get_absolute_url()
    client.get(url)
    small = _count(client, url)
    for i in range(6):
        hide_by_flags(post_actions.reply(author=spammer, thread=thread, body=f"Hidden {i}"), trusted)
        mod.flag_post(user=trusted[0], post=post_actions.reply(author=spammer, thread=thread, body="x"), reason="spam")
        post_actions.reply(author=spammer, thread=thread, body=f"Pending https://x.example/{i}")
    client.get(url)  # the first view after new events refills the cached tags and vendor links
    assert _count(client, url) == small


# ---- locking and edit history ---------------------------------------------------------------


def test_moderator_locks_and_unlocks_from_the_thread_page(thread, moderator, customer):
    url = thread.get_absolute_url()
    assert "Lock thread" in client_for(moderator).get(url).text
    assert "Lock thread" not in client_for(customer).get(url).text
    response = client_for(moderator).post(f"/t/{thread.pk}/lock/", {"locked": "1"}, follow=True)
    assert "The thread is locked" in response.text and "Unlock thread" in response.text
    thread.refresh_from_db()
    assert thread.is_locked
    client_for(moderator).post(f"/t/{thread.pk}/lock/", {"locked": "0"})
    thread.refresh_from_db()
    assert not thread.is_locked
    assert public_kinds(thread)[-2:] == [EventKind.LOCKED, EventKind.UNLOCKED]


def test_lock_refused_for_others(thread, customer):
    assert client_for(customer).post(f"/t/{thread.pk}/lock/", {"locked": "1"}).status_code == 403
    assert client_for(None).post(f"/t/{thread.pk}/lock/", {"locked": "1"}).status_code == 302
    assert client_for(customer).post("/t/999999/lock/", {"locked": "1"}).status_code == 404
    thread.refresh_from_db()
    assert not thread.is_locked


def test_moderators_see_edit_history_of_every_edited_post(reply, moderator, customer):
    post_actions.edit_post(editor=reply.author, post=reply, body="Turn off MAC randomisation, then reboot.")
    page = client_for(moderator).get(reply.thread.get_absolute_url()).text
    assert f"/p/{reply.pk}/history/" in page
    assert client_for(moderator).get(f"/p/{reply.pk}/history/").status_code == 200
    assert client_for(customer).get(f"/p/{reply.pk}/history/").status_code == 403
    admin = make_user("root", is_superuser=True, is_staff=True)
    assert f"/p/{reply.pk}/history/" in client_for(admin).get(reply.thread.get_absolute_url()).text


# ---- suspensions ----------------------------------------------------------------------------


def test_suspended_user_can_do_nothing_and_is_told_until_when(thread, reply, customer, moderator):
    until = timezone.now() + timedelta(days=7)
    mod.suspend_user(moderator=moderator, user=customer, until=until, reason="Spamming links")
    customer.refresh_from_db()
    day = timezone.localtime(until).strftime("%Y-%m-%d")
    attempts = [
        lambda: thread_actions.create_thread(author=customer, title="Another question here", body="body"),
        lambda: post_actions.reply(author=customer, thread=thread, body="more"),
        lambda: vote_actions.upvote(user=customer, post=reply),
        lambda: mod.flag_post(user=customer, post=reply, reason="spam"),
        lambda: post_actions.edit_post(editor=customer, post=thread.posts.get(is_question=True), body="changed"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match=f"suspended until {day}"):
            attempt()
    assert Post.objects.filter(author=customer).count() == 1
    page = client_for(customer).get("/").text
    assert "Your account is suspended until" in page and "Spamming links" in page
    response = client_for(customer).post(f"/t/{thread.pk}/reply/", {"body": "hello"})
    assert response.status_code == 403 and f"suspended until {day}" in response.text
    log = ModerationLog.objects.get(action=ModerationLog.Action.SUSPEND)
    assert log.moderator == moderator and log.target_user == customer and log.reason == "Spamming links"


def test_indefinite_suspension_and_unsuspend(thread, customer, moderator):
    client = client_for(moderator)
    response = client.post("/mod/u/jeff/", {"decision": "suspend", "until": "", "reason": "Abuse"}, follow=True)
    assert "is suspended" in response.text
    customer.refresh_from_db()
    assert customer.is_suspended and customer.suspended_until is None
    with pytest.raises(PermissionDenied, match="suspended indefinitely"):
        post_actions.reply(author=customer, thread=thread, body="hi")
    client.post("/mod/u/jeff/", {"decision": "unsuspend"})
    customer.refresh_from_db()
    assert not customer.is_suspended
    post_actions.reply(author=customer, thread=thread, body="I'm back")
    page = client.get("/mod/u/jeff/").text
    assert "Suspended a user by morgan" in page and "Lifted a suspension by morgan" in page


def test_profile_links_moderators_to_the_member_page(customer, moderator, other_customer):
    assert "/mod/u/jeff/" in client_for(moderator).get("/u/jeff/").text
    assert "/mod/u/jeff/" not in client_for(other_customer).get("/u/jeff/").text


def test_suspension_with_a_date_from_the_form(customer, moderator):
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    client_for(moderator).post("/mod/u/jeff/", {"decision": "suspend", "until": day, "reason": "Cool off"})
    customer.refresh_from_db()
    assert customer.is_suspended
    assert timezone.localtime(customer.suspended_until).date().isoformat() == day


def test_suspension_ends_by_itself(thread, customer, moderator):
    mod.suspend_user(moderator=moderator, user=customer, until=timezone.now() + timedelta(hours=1), reason="x")
    User.objects.filter(pk=customer.pk).update(suspended_until=timezone.now() - timedelta(seconds=1))
    customer.refresh_from_db()
    assert not customer.is_suspended
    post_actions.reply(author=customer, thread=thread, body="free again")


@pytest.mark.parametrize(
    ("until", "reason", "message"),
    [
        ("2001-01-01", "x", "must be in the future"),
        ("next tuesday", "x", "YYYY-MM-DD"),
        ("", "", "Say why"),
        ("", "r" * 501, "limit is 500"),
    ],
)
def test_suspend_bad_input(customer, moderator, until, reason, message):
    response = client_for(moderator).post("/mod/u/jeff/", {"decision": "suspend", "until": until, "reason": reason})
    assert response.status_code == 400 and message in response.text
    customer.refresh_from_db()
    assert not customer.is_suspended


def test_moderators_and_superusers_cannot_be_suspended(moderator):
    other_mod = make_user("otto", is_moderator=True)
    admin = make_user("root", is_superuser=True)
    for target in (other_mod, admin, moderator):
        with pytest.raises(PermissionDenied):
            mod.suspend_user(moderator=moderator, user=target, until=None, reason="no")
    assert "can't be suspended here" in client_for(moderator).get("/mod/u/otto/").text


def test_only_moderators_suspend(customer, other_customer, expert):
    for actor in (other_customer, expert):
        with pytest.raises(PermissionDenied):
            mod.suspend_user(moderator=actor, user=customer, until=None, reason="no")
        assert client_for(actor).post("/mod/u/jeff/", {"reason": "no"}).status_code == 403
    assert client_for(None).get("/mod/u/jeff/").status_code == 302
    customer.refresh_from_db()
    assert not customer.is_suspended


# ---- review of new accounts' posts with links -----------------------------------------------


def test_new_accounts_question_with_link_waits_for_review(customer, moderator):
    thread = thread_actions.create_thread(
        author=customer, title=f"Great {SECRET} deals today", body=f"See [here](https://spam.example) {SECRET}"
    )
    assert thread.review_state == ReviewState.PENDING
    assert public_kinds(thread) == []
    assert search.search_threads(SECRET) == []
    assert SECRET not in client_for(None).get("/").text
    assert client_for(None).get(thread.get_absolute_url()).status_code == 404
    assert client_for(make_user("other")).get(thread.get_absolute_url()).status_code == 404
    page = client_for(customer).get(thread.get_absolute_url()).text
    assert "Waiting for review" in page and SECRET in page
    assert SECRET in client_for(moderator).get("/mod/").text

    client_for(moderator).post(f"/mod/p/{thread.posts.get().pk}/approve/")
    thread.refresh_from_db()
    assert thread.review_state == ReviewState.VISIBLE
    assert public_kinds(thread) == [EventKind.POSTED]
    assert search.search_threads(SECRET)
    assert SECRET in client_for(None).get("/").text


def test_new_accounts_reply_with_link_waits_and_counts_only_when_approved(thread, other_customer, moderator):
    before = public_kinds(thread)
    post = post_actions.reply(author=other_customer, thread=thread, body=f"{SECRET} at <https://spam.example>")
    thread.refresh_from_db()
    assert post.review_state == ReviewState.PENDING and thread.reply_count == 0
    assert public_kinds(thread) == before
    assert SECRET not in client_for(None).get(thread.get_absolute_url()).text
    assert SECRET not in client_for(thread.author).get(thread.get_absolute_url()).text
    own = client_for(other_customer).get(thread.get_absolute_url()).text
    assert SECRET in own and "Waiting for review" in own
    mod.approve_post(moderator=moderator, post=post)
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert public_kinds(thread) == [*before, EventKind.REPLIED]
    assert SECRET in client_for(None).get(thread.get_absolute_url()).text


def test_reply_view_tells_the_author_it_waits(thread, other_customer):
    response = client_for(other_customer).post(f"/t/{thread.pk}/reply/", {"body": "see www.example.com"}, follow=True)
    assert "wait for a moderator" in response.text


def test_rejected_post_disappears(thread, other_customer, moderator):
    post = post_actions.reply(author=other_customer, thread=thread, body=f"{SECRET} https://spam.example")
    client_for(moderator).post(f"/mod/p/{post.pk}/reject/")
    post.refresh_from_db()
    assert post.review_state == ReviewState.REJECTED
    for viewer in (None, other_customer, thread.author):
        assert SECRET not in client_for(viewer).get(thread.get_absolute_url()).text
    assert selectors.moderation_queue().pending == []
    assert ModerationLog.objects.filter(action="reject", post=post).exists()


def test_rejected_question_is_gone(customer, moderator):
    thread = thread_actions.create_thread(author=customer, title="Spammy question here", body="https://spam.example")
    mod.reject_post(moderator=moderator, post=thread.posts.get())
    assert client_for(customer).get(thread.get_absolute_url()).status_code == 404
    assert client_for(None).get(thread.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("body", ["no links at all", "an email me@mail.example is not a link"])
def test_posts_without_links_go_straight_out(thread, other_customer, body):
    assert post_actions.reply(author=other_customer, thread=thread, body=body).review_state == ReviewState.VISIBLE


def test_old_accounts_and_proven_members_post_links_freely(thread, moderator):
    veteran = old_user("veteran")
    assert post_actions.reply(author=veteran, thread=thread, body="https://ok.example").is_visible
    newcomer = make_user("newcomer")
    for i in range(3):
        post_actions.reply(author=newcomer, thread=thread, body=f"plain {i}")
    assert post_actions.reply(author=newcomer, thread=thread, body="https://ok.example").is_visible
    assert post_actions.reply(author=moderator, thread=thread, body="https://mod.example").is_visible


def test_new_account_days_from_settings(thread, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "NEW_ACCOUNT_DAYS": 0}
    user = make_user("fresh")
    assert post_actions.reply(author=user, thread=thread, body="https://ok.example").is_visible


def test_editing_a_pending_post_announces_nothing(thread, other_customer):
    post = post_actions.reply(author=other_customer, thread=thread, body="https://spam.example")
    before = public_kinds(thread)
    post_actions.edit_post(editor=other_customer, post=post, body="https://spam.example/changed")
    assert public_kinds(thread) == before


def test_pending_posts_cannot_be_flagged(thread, other_customer, customer):
    post = post_actions.reply(author=other_customer, thread=thread, body="https://spam.example")
    with pytest.raises(ValidationError, match="already waiting"):
        mod.flag_post(user=customer, post=post, reason="spam")


def test_pending_posts_cannot_be_voted_on_or_replied_to(thread, other_customer, customer, moderator):
    post = post_actions.reply(author=other_customer, thread=thread, body="https://spam.example")
    with pytest.raises(ValidationError, match="can't be voted on"):
        vote_actions.upvote(user=moderator, post=post)
    pending = thread_actions.create_thread(author=other_customer, title="A linky question", body="https://x.example")
    for user in (other_customer, customer):
        with pytest.raises(ValidationError, match="waiting for review"):
            post_actions.reply(author=user, thread=pending, body="hello")
    assert public_kinds(pending) == []


def test_hidden_or_pending_replies_cannot_be_accepted(thread, other_customer, customer, trusted):
    pending = post_actions.reply(author=other_customer, thread=thread, body="https://spam.example")
    hidden = hide_by_flags(post_actions.reply(author=other_customer, thread=thread, body="rude"), trusted)
    for post in (pending, hidden):
        with pytest.raises(ValidationError, match="hidden or waiting for review"):
            thread_actions.accept_answer(user=customer, thread=thread, post=post)
    thread.refresh_from_db()
    assert thread.accepted_post_id is None


# ---- admin ----------------------------------------------------------------------------------


def test_admin_lists_flags_and_the_audit_log(spam, customer, moderator):
    mod.flag_post(user=customer, post=spam, reason="spam")
    mod.hide_post(moderator=moderator, post=spam, reason="clear spam")
    admin = make_user("root", is_superuser=True, is_staff=True)
    client = client_for(admin)
    assert "jeff" in client.get("/admin/forum/flag/").text
    assert "clear spam" in client.get("/admin/forum/moderationlog/").text
    assert client.get(f"/admin/forum/user/{customer.pk}/change/").status_code == 200


# ---- auto-hide needs established accounts; staff answers go to the moderators ---------------------


def test_flags_from_new_accounts_with_reputation_do_not_hide(spam, trusted):
    """An account younger than NEW_VOTER_DAYS is new, whatever its reputation: two old + one new is not three."""
    newcomer = make_user("fresh", reputation=1000)  # joined today
    hide_by_flags(spam, [*trusted[:2], newcomer])
    assert spam.review_state == ReviewState.VISIBLE
    assert not Event.objects.filter(kind=EventKind.HIDDEN).exists()
    assert hide_by_flags(spam, trusted[2:]).review_state == ReviewState.HIDDEN


def test_flags_from_suspended_accounts_do_not_count(spam, trusted, moderator):
    hide_by_flags(spam, trusted[:2])
    mod.suspend_user(moderator=moderator, user=trusted[0], until=None, reason="vote ring")
    assert hide_by_flags(spam, trusted[2:]).review_state == ReviewState.VISIBLE
    assert hide_by_flags(spam, [old_user("fourth", reputation=100)]).review_state == ReviewState.HIDDEN


def test_a_staff_answer_goes_to_the_moderators_queue_instead_of_being_hidden(thread, trusted, staff, moderator):
    answer = post_actions.reply(author=staff, thread=thread, body=f"Install firmware 2.1 {SECRET}")
    assert answer.staff_vendor_id is not None
    hide_by_flags(answer, trusted)
    assert answer.review_state == ReviewState.VISIBLE
    assert SECRET in client_for(None).get(thread.get_absolute_url()).text
    assert not Event.objects.filter(kind=EventKind.HIDDEN).exists()
    log = ModerationLog.objects.get(post=answer)
    assert log.action == ModerationLog.Action.STAFF_FLAGGED
    assert [p.pk for p in selectors.moderation_queue().flagged] == [answer.pk]
    assert SECRET in client_for(moderator).get("/mod/").text
    hide_by_flags(answer, [old_user("fourth", reputation=100)])  # more flags: still one entry, still visible
    assert ModerationLog.objects.filter(post=answer).count() == 1
    assert answer.review_state == ReviewState.VISIBLE
