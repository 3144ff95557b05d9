"""Swarm's event kinds, registered from ``SwarmConfig.ready()``.

Swarm owns these: a new swarm kind is one entry here (and a constant in
``SwarmKind`` if code names it), with no forum migration or forum edit.
"""

from __future__ import annotations

from typing import TypedDict

from django.utils.translation import gettext_noop

from forum.models import EventKind
from forum.timeline import kinds


class VendorData(TypedDict):
    """What every public swarm event says about the vendor it concerns (swarm.actions.common.vendor_data)."""

    escalation: int
    vendor: str
    vendor_name: str


class Escalated(VendorData):
    handed_from: str | None


class Count(TypedDict):
    count: int


class Claimed(VendorData):
    claimant: str


class Released(VendorData):
    reason: str
    previous: str | None


class HandedOff(VendorData):
    to_user: str | None
    to_vendor: str | None


class Note(TypedDict):
    note: int


class Confirmed(VendorData):
    solved_by_staff: bool


class Rated(VendorData):
    rating: int


class Unresolved(VendorData):
    claimant: str | None


class Invited(TypedDict):
    vendor: str
    vendor_name: str


class Ticket(VendorData):
    key: str
    url: str
    status: str
    previous_status: str | None
    visibility: str


class TeamChanged(TypedDict):
    escalation: int
    team: str | None
    previous: str | None


class TargetAtRisk(VendorData):
    target: str  # "first_reply" or "resolution"


class SwarmKind:
    """Swarm's kinds that have no forum constant (new ones are registered here alone)."""

    TICKET_LINKED = "ticket_linked"
    TICKET_STATUS = "ticket_status"
    TEAM_CHANGED = "team_changed"
    TARGET_AT_RISK = "target_at_risk"


_V = {"escalation": 1, "vendor": "northwind", "vendor_name": "Northwind"}

SWARM_KINDS: list[tuple[str, str, type, dict]] = [
    (EventKind.ESCALATED, gettext_noop("escalated to a vendor"), Escalated, _V | {"handed_from": None}),
    (EventKind.METOO, gettext_noop("said me too"), Count, {"count": 2}),
    (EventKind.METOO_WITHDRAWN, gettext_noop("withdrew me too"), Count, {"count": 1}),
    (EventKind.CLAIMED, gettext_noop("claimed the escalation"), Claimed, _V | {"claimant": "Priya"}),
    (EventKind.RELEASED, gettext_noop("released the escalation"), Released, _V | {"reason": "", "previous": "Priya"}),
    (
        EventKind.HANDED_OFF,
        gettext_noop("handed the escalation off"),
        HandedOff,
        _V | {"to_user": None, "to_vendor": "bluewave"},
    ),
    (EventKind.NOTE, gettext_noop("wrote a staff note"), Note, {"note": 9}),
    (EventKind.RESOLVED, gettext_noop("marked the escalation resolved"), VendorData, _V),
    (EventKind.CONFIRMED, gettext_noop("confirmed the resolution"), Confirmed, _V | {"solved_by_staff": True}),
    (EventKind.RATED, gettext_noop("rated the help"), Rated, _V | {"rating": 5}),
    (EventKind.UNRESOLVED, gettext_noop("said it is not solved yet"), Unresolved, _V | {"claimant": None}),
    (
        SwarmKind.TICKET_LINKED,
        gettext_noop("linked the vendor's ticket"),
        Ticket,
        _V
        | {"key": "NW-1234", "url": "https://t.example/NW-1234", "status": "New", "previous_status": None}
        | {"visibility": "public"},
    ),
    (
        SwarmKind.TICKET_STATUS,
        gettext_noop("changed the ticket's status"),
        Ticket,
        _V
        | {"key": "NW-1234", "url": "https://t.example/NW-1234", "status": "Done", "previous_status": "New"}
        | {"visibility": "public"},
    ),
    (
        SwarmKind.TEAM_CHANGED,
        gettext_noop("moved the escalation to a team"),
        TeamChanged,
        {"escalation": 1, "team": "Tablets", "previous": None},
    ),
    (
        SwarmKind.TARGET_AT_RISK,
        gettext_noop("is about to miss a published response target"),
        TargetAtRisk,
        _V | {"target": "first_reply"},
    ),
    (
        EventKind.INVITED,
        gettext_noop("invited the author to escalate"),
        Invited,
        {"vendor": "northwind", "vendor_name": "Northwind"},
    ),
]


def register() -> None:
    for value, label, payload, example in SWARM_KINDS:
        kinds.register(value, label, payload, app="swarm", example=example)
