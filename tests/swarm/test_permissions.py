"""One permission test over every role and every swarm action, through the web views.

Each case starts from the same world: Jeff's thread escalated to @northwind,
with Keith (staff) and Nadia (admin) at Northwind and Marco at Bluewave.
An allowed role changes the state; every other role gets 403 (or the log-in
page, for a visitor) and changes nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from forum.models import Event
from swarm.actions import claims, escalations
from swarm.models import Escalation, MeToo, RadarKeyword, StaffNote
from tests.conftest import age, client_for

pytestmark = pytest.mark.django_db

ROLES = ["visitor", "customer", "other_customer", "expert", "staff", "other_staff", "vendor_admin", "moderator"]
NORTHWIND = {"staff", "vendor_admin"}


@pytest.fixture
def world(thread, customer, other_customer, expert, staff, other_staff, vendor_admin, moderator, vendor, other_vendor):
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    age(customer, other_customer, expert, staff, other_staff, vendor_admin, moderator)  # not brand-new (me too)
    people = {
        "visitor": None,
        "customer": customer,
        "other_customer": other_customer,
        "expert": expert,
        "staff": staff,
        "other_staff": other_staff,
        "vendor_admin": vendor_admin,
        "moderator": moderator,
    }
    return {"thread": thread, "escalation": escalation, "people": people, "vendor": vendor}


def _resolved(w):
    claims.resolve(staff=w["people"]["staff"], escalation=w["escalation"])


def _confirmed(w):
    _resolved(w)
    claims.confirm(user=w["people"]["customer"], escalation=w["escalation"], solved=True)


def _state(w):
    esc = Escalation.objects.get(pk=w["escalation"].pk)
    return (
        esc.state,
        esc.claimed_by_id,
        esc.rating,
        Escalation.objects.count(),
        MeToo.objects.count(),
        StaffNote.objects.count(),
        RadarKeyword.objects.count(),
        Event.objects.count(),
    )


# action: (allowed roles, setup, method, url, data)
ACTIONS = {
    "escalate": ({"customer"}, None, "post", "/t/{t}/escalate/", {"handle": "bluewave"}),
    "metoo": (set(ROLES) - {"visitor", "customer"}, None, "post", "/t/{t}/metoo/", {}),
    "claim": (NORTHWIND, None, "post", "/e/{e}/claim/", {}),
    "resolve": (NORTHWIND, None, "post", "/e/{e}/resolve/", {}),
    "hand_off_to_vendor": (NORTHWIND, None, "post", "/e/{e}/handoff/", {"to_handle": "bluewave"}),
    "note": (NORTHWIND, None, "post", "/t/{t}/notes/", {"vendor": "northwind", "note": "internal"}),
    "confirm": ({"customer"}, _resolved, "post", "/e/{e}/confirm/", {"solved": "yes"}),
    "rate": ({"customer"}, _confirmed, "post", "/e/{e}/rate/", {"rating": "5"}),
    "radar_keyword": ({"vendor_admin"}, None, "post", "/v/northwind/radar/", {"phrase": "slate"}),
    "inbox": (NORTHWIND, None, "get", "/v/northwind/inbox/", {}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_role_and_action(world, role, action):
    allowed, setup, method, url, data = ACTIONS[action]
    if setup:
        setup(world)
    url = url.format(t=world["thread"].pk, e=world["escalation"].pk)
    user = world["people"][role]
    client = client_for(user) if user else Client()
    before = _state(world)
    response = getattr(client, method)(url, data)
    if role in allowed:
        assert response.status_code in (200, 302), response.content[:300]
        if method == "post":
            assert _state(world) != before, f"{role} was allowed to {action} but nothing changed"
            assert (response.status_code == 302 and response.url == world["thread"].get_absolute_url()) or (
                action == "radar_keyword"
            )
    else:
        if user is None:
            assert response.status_code == 302 and "/accounts/login/" in response.url
        else:
            assert response.status_code == 403, (role, action, response.status_code)
        assert _state(world) == before
