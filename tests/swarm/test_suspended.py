"""A suspended account reads but cannot act in the swarm: every action refuses with the suspension notice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from forum.actions import moderation
from forum.models import Event
from swarm.actions import claims, escalations, notes, radar
from swarm.models import Escalation, MeToo, RadarHit, RadarKeyword, StaffNote
from tests.conftest import age, client_for, make_staff

pytestmark = pytest.mark.django_db

REASON = "Spamming vendors"


@pytest.fixture
def world(thread, customer, other_customer, staff, vendor_admin, vendor, other_vendor, moderator):
    age(other_customer)  # old enough to say "me too": the refusal under test is the suspension
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    colleague = make_staff("kim", vendor)
    keyword = radar.add_keyword(admin=vendor_admin, vendor=vendor, phrase="hinge")
    hit = RadarHit.objects.create(vendor=vendor, thread=thread, phrases=["hinge"])
    return {
        "thread": thread,
        "escalation": escalation,
        "customer": customer,
        "other_customer": other_customer,
        "staff": staff,
        "admin": vendor_admin,
        "colleague": colleague,
        "vendor": vendor,
        "keyword": keyword,
        "hit": hit,
        "moderator": moderator,
    }


def _claimed(w):
    claims.claim(staff=w["staff"], escalation=w["escalation"])


def _resolved(w):
    claims.resolve(staff=w["staff"], escalation=w["escalation"])


def _confirmed(w):
    _resolved(w)
    claims.confirm(user=w["customer"], escalation=w["escalation"], solved=True)


def _metoo(w):
    escalations.add_metoo(user=w["other_customer"], thread=w["thread"])


def _escalation(w) -> Escalation:
    return Escalation.objects.get(pk=w["escalation"].pk)


# action: (who acts, setup that makes the action allowed, the action)
ACTIONS: dict[str, tuple[str, Callable | None, Callable]] = {
    "escalate": ("customer", None, lambda w, u: escalations.escalate(user=u, thread=w["thread"], handle="bluewave")),
    "metoo": ("other_customer", None, lambda w, u: escalations.add_metoo(user=u, thread=w["thread"])),
    "withdraw_metoo": ("other_customer", _metoo, lambda w, u: escalations.withdraw_metoo(user=u, thread=w["thread"])),
    "claim": ("staff", None, lambda w, u: claims.claim(staff=u, escalation=_escalation(w))),
    "release": ("staff", _claimed, lambda w, u: claims.release(staff=u, escalation=_escalation(w))),
    "hand_off_colleague": (
        "staff",
        _claimed,
        lambda w, u: claims.hand_off(staff=u, escalation=_escalation(w), to_username="kim", note="yours"),
    ),
    "hand_off_vendor": (
        "staff",
        None,
        lambda w, u: claims.hand_off(staff=u, escalation=_escalation(w), to_handle="bluewave", note="theirs"),
    ),
    "resolve": ("staff", None, lambda w, u: claims.resolve(staff=u, escalation=_escalation(w))),
    "confirm": ("customer", _resolved, lambda w, u: claims.confirm(user=u, escalation=_escalation(w), solved=True)),
    "rate": ("customer", _confirmed, lambda w, u: claims.rate(user=u, escalation=_escalation(w), rating=5)),
    "note": (
        "staff",
        None,
        lambda w, u: notes.add_note(staff=u, thread=w["thread"], vendor=w["vendor"], body="internal"),
    ),
    "radar_add": ("admin", None, lambda w, u: radar.add_keyword(admin=u, vendor=w["vendor"], phrase="slate")),
    "radar_remove": ("admin", None, lambda w, u: radar.remove_keyword(admin=u, keyword=w["keyword"])),
    "radar_hit": ("staff", None, lambda w, u: radar.act_on_hit(staff=u, hit=w["hit"], action="join")),
}


def _state(w):
    esc = _escalation(w)
    return (
        esc.state,
        esc.claimed_by_id,
        esc.rating,
        Escalation.objects.count(),
        MeToo.objects.count(),
        StaffNote.objects.count(),
        sorted(RadarKeyword.objects.values_list("phrase", flat=True)),
        sorted(RadarHit.objects.values_list("state", flat=True)),
        Event.objects.count(),
    )


def _suspend(w, user):
    until = timezone.now() + timedelta(days=3)
    moderation.suspend_user(moderator=w["moderator"], user=user, until=until, reason=REASON)
    user.refresh_from_db()
    return user


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_action_works_for_the_member_before_suspension(world, action):
    """The same call succeeds unsuspended: the refusal below is the suspension's doing."""
    who, setup, run = ACTIONS[action]
    if setup:
        setup(world)
    before = _state(world)
    run(world, world[who])
    assert _state(world) != before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_suspended_member_is_refused_with_the_suspension_notice(world, action):
    who, setup, run = ACTIONS[action]
    if setup:
        setup(world)
    user = _suspend(world, world[who])
    before = _state(world)
    with pytest.raises(PermissionDenied) as refusal:
        run(world, user)
    assert "Your account is suspended until" in str(refusal.value)
    assert REASON in str(refusal.value)
    assert _state(world) == before


def test_a_suspended_staff_member_cannot_claim_through_the_page(world):
    user = _suspend(world, world["staff"])
    before = _state(world)
    response = client_for(user).post(f"/e/{world['escalation'].pk}/claim/")
    assert response.status_code == 403
    assert "Your account is suspended until" in response.content.decode()
    assert _state(world) == before
