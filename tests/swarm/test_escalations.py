"""The swarm workflow's actions: escalate, me too, claim, release, hand off, notes, resolve, confirm, rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, Notification, Thread
from swarm.actions import claims, escalations, notes
from swarm.models import Escalation, MeToo, StaffNote
from tests.conftest import age, client_for, make_staff

pytestmark = pytest.mark.django_db


def kinds(thread: Thread) -> list[str]:
    return list(Event.objects.filter(thread=thread, vendor__isnull=True).order_by("seq").values_list("kind", flat=True))


@pytest.fixture
def escalation(thread, customer, vendor, staff) -> Escalation:
    return escalations.escalate(user=customer, thread=thread, handle="@northwind")


def test_author_escalates_in_public(thread, customer, vendor, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        esc = escalations.escalate(user=customer, thread=thread, handle="Northwind")
    assert esc.state == Escalation.State.OPEN
    assert kinds(thread)[-1] == EventKind.ESCALATED
    event = Event.objects.get(thread=thread, kind=EventKind.ESCALATED)
    assert event.data["vendor"] == "northwind"
    assert Notification.objects.filter(recipient=staff, kind=Notification.Kind.ESCALATED).exists()
    [email] = [m for m in mail.outbox if "keith@northwind.example" in m.to]
    assert "escalated a thread to your vendor" in email.subject and thread.title in email.subject
    assert thread.get_absolute_url() in email.body


def test_escalating_twice_to_one_vendor_changes_nothing(escalation, customer, thread):
    before = kinds(thread)
    with pytest.raises(ValidationError, match="already escalated to @northwind"):
        escalations.escalate(user=customer, thread=thread, handle="northwind")
    assert kinds(thread) == before
    assert Escalation.objects.filter(thread=thread).count() == 1


def test_unknown_handle_suggests_close_matches(thread, customer, vendor):
    with pytest.raises(ValidationError, match=r"no vendor @northwnd\. Did you mean @northwind\?"):
        escalations.escalate(user=customer, thread=thread, handle="northwnd")
    assert not Escalation.objects.exists()


def test_only_the_author_escalates(thread, other_customer, vendor):
    with pytest.raises(PermissionDenied):
        escalations.escalate(user=other_customer, thread=thread, handle="northwind")


def test_several_vendors_each_with_their_own_state(thread, customer, vendor, other_vendor, staff):
    a = escalations.escalate(user=customer, thread=thread, handle="northwind")
    b = escalations.escalate(user=customer, thread=thread, handle="bluewave")
    claims.claim(staff=staff, escalation=a)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == (Escalation.State.CLAIMED, Escalation.State.OPEN)


def test_mentioning_a_vendor_in_the_question_escalates(customer, vendor):
    thread = thread_actions.create_thread(
        author=customer, title="Laptop will not join the hotspot", body="Any help @Northwind?"
    )
    assert Escalation.objects.filter(thread=thread, vendor=vendor).exists()
    assert kinds(thread) == [EventKind.POSTED, EventKind.ESCALATED]


def test_mentioning_a_vendor_in_a_reply_escalates_only_for_the_author(thread, customer, other_customer, vendor):
    post_actions.reply(author=other_customer, thread=thread, body="Same here, @northwind please look")
    assert not Escalation.objects.exists()
    post_actions.reply(author=customer, thread=thread, body="Could somebody from @northwind help?")
    assert Escalation.objects.filter(thread=thread, vendor=vendor).count() == 1
    post_actions.reply(author=customer, thread=thread, body="Still waiting @northwind")
    assert Escalation.objects.filter(thread=thread, vendor=vendor).count() == 1


def test_me_too_once_each_and_withdrawn(thread, other_customer, expert, customer):
    age(other_customer, expert, customer)
    assert escalations.add_metoo(user=other_customer, thread=thread) == 1
    assert escalations.add_metoo(user=expert, thread=thread) == 2
    with pytest.raises(ValidationError, match="already"):
        escalations.add_metoo(user=expert, thread=thread)
    with pytest.raises(PermissionDenied):
        escalations.add_metoo(user=customer, thread=thread)
    assert escalations.withdraw_metoo(user=expert, thread=thread) == 1
    assert MeToo.objects.filter(thread=thread).count() == 1
    assert kinds(thread)[-3:] == [EventKind.METOO, EventKind.METOO, EventKind.METOO_WITHDRAWN]


def test_claim_is_public_and_single(escalation, staff, vendor, customer, thread):
    colleague = make_staff("lena", vendor)
    claims.claim(staff=staff, escalation=escalation)
    event = Event.objects.get(thread=thread, kind=EventKind.CLAIMED)
    assert event.vendor_id is None and event.data["claimant"] == staff.name
    assert Notification.objects.filter(recipient=customer, kind=Notification.Kind.CLAIMED).exists()
    with pytest.raises(ValidationError, match="already claimed"):
        claims.claim(staff=colleague, escalation=escalation)


def test_non_members_cannot_claim(escalation, other_staff, expert, moderator):
    for outsider in (other_staff, expert, moderator):
        with pytest.raises(PermissionDenied):
            claims.claim(staff=outsider, escalation=escalation)
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN


def test_release_returns_to_inbox(escalation, staff, thread):
    claims.claim(staff=staff, escalation=escalation)
    claims.release(staff=staff, escalation=escalation)
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN and escalation.claimed_by is None
    assert Event.objects.filter(thread=thread, kind=EventKind.RELEASED, data__reason="released").exists()


def test_hand_to_colleague_with_private_note(escalation, staff, vendor, thread):
    colleague = make_staff("lena", vendor)
    claims.claim(staff=staff, escalation=escalation)
    claims.hand_off(staff=staff, escalation=escalation, to_username="lena", note="Needs the radio firmware team.")
    escalation.refresh_from_db()
    assert escalation.claimed_by == colleague
    note = StaffNote.objects.get(thread=thread)
    assert note.vendor == vendor
    assert Event.objects.get(thread=thread, kind=EventKind.NOTE).vendor == vendor


def test_hand_off_to_non_member_refused(escalation, staff, other_staff, expert):
    claims.claim(staff=staff, escalation=escalation)
    for name in (other_staff.username, expert.username, "nobody-here"):
        with pytest.raises(ValidationError, match="not verified staff of Northwind"):
            claims.hand_off(staff=staff, escalation=escalation, to_username=name)
    escalation.refresh_from_db()
    assert escalation.claimed_by == staff


def test_hand_to_other_vendor_keeps_history(escalation, staff, other_vendor, other_staff, thread):
    claims.claim(staff=staff, escalation=escalation)
    received = claims.hand_off(staff=staff, escalation=escalation, to_handle="@bluewave", note="Carrier side.")
    assert received.vendor == other_vendor and received.state == Escalation.State.OPEN
    assert received.handed_from_id == escalation.vendor_id
    assert received.thread == thread  # same thread: the whole history comes along
    escalation.refresh_from_db()
    assert (escalation.state, escalation.handed_to) == (Escalation.State.HANDED_OFF, other_vendor)
    assert StaffNote.objects.filter(thread=thread, vendor=other_vendor).exists()
    assert Notification.objects.filter(recipient=other_staff, kind=Notification.Kind.ESCALATED).exists()


def test_idle_claim_returns_publicly(escalation, staff, thread, settings):
    claims.claim(staff=staff, escalation=escalation)
    Escalation.objects.filter(pk=escalation.pk).update(last_staff_activity_at=timezone.now() - timedelta(hours=25))
    assert claims.release_idle_claims() == 1
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN
    assert Event.objects.filter(thread=thread, kind=EventKind.RELEASED, data__reason="idle").exists()


def test_staff_reply_keeps_claim_alive(escalation, staff, thread):
    claims.claim(staff=staff, escalation=escalation)
    Escalation.objects.filter(pk=escalation.pk).update(last_staff_activity_at=timezone.now() - timedelta(hours=25))
    post_actions.reply(author=staff, thread=thread, body="Looking at it now.")
    assert claims.release_idle_claims() == 0
    escalation.refresh_from_db()
    assert escalation.first_staff_reply_at is not None


def test_note_by_outsider_refused(thread, vendor, other_staff, customer, moderator):
    for outsider in (other_staff, customer, moderator):
        with pytest.raises(PermissionDenied):
            notes.add_note(staff=outsider, thread=thread, vendor=vendor, body="hello")
    assert not StaffNote.objects.exists()


def test_staff_resolve_does_not_solve_the_thread(escalation, staff, customer, thread):
    claims.claim(staff=staff, escalation=escalation)
    claims.resolve(staff=staff, escalation=escalation)
    thread.refresh_from_db()
    assert not thread.is_solved
    assert Notification.objects.filter(recipient=customer, kind=Notification.Kind.RESOLVED).exists()
    claims.confirm(user=customer, escalation=escalation, solved=True)
    thread.refresh_from_db()
    escalation.refresh_from_db()
    assert thread.is_solved and escalation.state == Escalation.State.CONFIRMED
    assert escalation.solved_by_staff is True


def test_no_reopens_to_the_claimant(escalation, staff, customer):
    claims.claim(staff=staff, escalation=escalation)
    claims.resolve(staff=staff, escalation=escalation)
    claims.confirm(user=customer, escalation=escalation, solved=False)
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.CLAIMED and escalation.claimed_by == staff
    assert Notification.objects.filter(recipient=staff, kind=Notification.Kind.CLAIM_ACTIVITY).exists()


def test_accepting_a_community_answer_asks_for_confirmation(escalation, customer, thread, reply):
    with pytest.raises(ValidationError, match="nothing to confirm"):
        claims.confirm(user=customer, escalation=escalation, solved=True)
    thread_actions.accept_answer(user=customer, thread=thread, post=reply)
    claims.confirm(user=customer, escalation=escalation, solved=True)
    escalation.refresh_from_db()
    assert escalation.solved_by_staff is False


def test_vendor_cannot_confirm_or_rate(escalation, staff):
    claims.claim(staff=staff, escalation=escalation)
    claims.resolve(staff=staff, escalation=escalation)
    with pytest.raises(PermissionDenied):
        claims.confirm(user=staff, escalation=escalation, solved=True)
    with pytest.raises(PermissionDenied):
        claims.rate(user=staff, escalation=escalation, rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None, "3.5", 10**30])
def test_rating_out_of_range(escalation, staff, customer, rating):
    claims.resolve(staff=staff, escalation=escalation)
    claims.confirm(user=customer, escalation=escalation, solved=True)
    with pytest.raises(ValidationError, match="from 1 to 5"):
        claims.rate(user=customer, escalation=escalation, rating=rating)
    escalation.refresh_from_db()
    assert escalation.rating is None


def test_rating_after_confirmation(escalation, staff, customer, thread):
    claims.resolve(staff=staff, escalation=escalation)
    with pytest.raises(ValidationError, match="Confirm"):
        claims.rate(user=customer, escalation=escalation, rating=4)
    claims.confirm(user=customer, escalation=escalation, solved=True)
    claims.rate(user=customer, escalation=escalation, rating="4", comment="Quick and kind.")
    escalation.refresh_from_db()
    assert (escalation.rating, escalation.rating_comment) == (4, "Quick and kind.")
    rated = Event.objects.get(thread=thread, kind=EventKind.RATED)
    assert rated.data["rating"] == 4 and "comment" not in rated.data


def test_the_rating_comment_is_shown_to_the_rated_vendors_staff_only(
    escalation, staff, other_staff, customer, expert, thread, vendor
):
    claims.resolve(staff=staff, escalation=escalation)
    claims.confirm(user=customer, escalation=escalation, solved=True)
    claims.rate(user=customer, escalation=escalation, rating=2, comment="Took three days to answer.")
    pages = (thread.get_absolute_url(), f"/t/{thread.pk}/swarm/", vendor.get_absolute_url())
    for page in pages:
        seen = client_for(staff).get(page).content.decode()
        assert "Took three days to answer." in seen, page
    for outsider in (None, customer, expert, other_staff):
        for page in pages:
            response = client_for(outsider).get(page)
            assert response.status_code == 200
            assert "Took three days to answer." not in response.content.decode(), (outsider, page)
            assert "rated 2/5" in response.content.decode()
