"""Escalation endpoints: the same swarm actions the web calls (docs/api.md).

A vendor API key acts as the vendor admin who created it, and only on its own
vendor's escalations and notes (``Principal.require_vendor_scope``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from forum.api.auth import Principal
from forum.api.errors import ERROR_CODES, ErrorOut
from forum.models import Thread, Vendor
from forum.timeline import presenter
from swarm import selectors
from swarm.actions import claims, escalations, notes, tickets
from swarm.models import Escalation, StaffNote, TicketLink

router = Router(tags=["escalations"])
ERRORS = {ERROR_CODES: ErrorOut}


EscalationState = Literal["open", "claimed", "resolved", "confirmed", "handed_off"]


class EscalationOut(Schema):
    id: int
    thread: int
    thread_title: str
    vendor: str
    state: EscalationState = Field(
        ..., description="confirmed and handed_off are final; handed_off: passed on to the vendor in handed_to"
    )
    escalated_by: str
    created_at: datetime
    handed_from: str | None
    claimed_by: str | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    rating: int | None
    handed_to: str | None
    handed_off_at: datetime | None


class EscalationPageOut(Schema):
    items: list[EscalationOut]
    next_cursor: int | None


class EscalateIn(Schema):
    vendor: str = Field(..., max_length=100, description="The vendor's handle, with or without @")


class HandOffIn(Schema):
    to_username: str | None = Field(None, max_length=150)
    to_handle: str | None = Field(None, max_length=100)
    note: str = Field("", max_length=10_000)


class ConfirmIn(Schema):
    solved: bool = Field(..., description="Did it solve the problem? false sends it back to the vendor")


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class NoteIn(Schema):
    vendor: str = Field(..., max_length=100)
    body: str = Field(..., max_length=100_000)


class NoteOut(Schema):
    id: int
    thread: int
    vendor: str
    author: str
    body: str
    body_html: str
    created_at: datetime


def _caller(request: HttpRequest) -> Principal:
    return request.auth  # type: ignore[attr-defined]


def _queryset():
    return Escalation.objects.select_related(
        "thread", "vendor", "escalated_by", "handed_from", "handed_to", "claimed_by"
    )


def escalation_out(e: Escalation) -> dict:
    return {
        "id": e.pk,
        "thread": e.thread_id,
        "thread_title": presenter.thread_title(presenter.PUBLIC, e.thread),  # a hidden question's title is masked
        "vendor": e.vendor.handle,
        "state": e.state,
        "escalated_by": e.escalated_by.username,
        "created_at": e.created_at,
        "handed_from": e.handed_from.handle if e.handed_from else None,
        "claimed_by": e.claimed_by.username if e.claimed_by else None,
        "claimed_at": e.claimed_at,
        "resolved_at": e.resolved_at,
        "rating": e.rating,
        "handed_to": e.handed_to.handle if e.handed_to else None,
        "handed_off_at": e.handed_off_at,
    }


def _fresh(escalation_id: int) -> dict:
    return escalation_out(_queryset().get(pk=escalation_id))


@router.get("/escalations", response={200: EscalationPageOut, **ERRORS}, summary="Escalations, newest first")
def list_escalations(
    request: HttpRequest,
    vendor: str | None = Query(None, max_length=30),
    state: EscalationState | None = None,
    thread: int | None = Query(None, ge=1, le=2**62),
    cursor: int | None = Query(None, ge=1, le=2**62),
    limit: int = Query(50, ge=1, le=100),
):
    qs = _queryset().order_by("-id")
    if vendor:
        qs = qs.filter(vendor=get_object_or_404(Vendor, handle=vendor))
    if state:
        qs = qs.filter(state=state)
    if thread:
        qs = qs.filter(thread_id=thread)
    if cursor:
        qs = qs.filter(id__lt=cursor)
    rows = list(qs[: limit + 1])
    return {
        "items": [escalation_out(e) for e in rows[:limit]],
        "next_cursor": rows[limit - 1].pk if len(rows) > limit else None,
    }


@router.get("/escalations/{escalation_id}", response={200: EscalationOut, **ERRORS}, summary="One escalation")
def read_escalation(request: HttpRequest, escalation_id: int):
    return escalation_out(get_object_or_404(_queryset(), pk=escalation_id))


@router.post(
    "/threads/{thread_id}/escalations",
    response={201: EscalationOut, **ERRORS},
    summary="Escalate a thread to a vendor (its author only)",
)
def create_escalation(request: HttpRequest, thread_id: int, payload: EscalateIn):
    _caller(request).require_person("Customers escalate their own threads; a vendor API key cannot.")
    thread = get_object_or_404(Thread, pk=thread_id)
    escalation = escalations.escalate(user=_caller(request).user, thread=thread, handle=payload.vendor)
    return Status(201, _fresh(escalation.pk))


def _staff_action(request: HttpRequest, escalation_id: int) -> tuple[Principal, Escalation]:
    principal = _caller(request)
    escalation = get_object_or_404(Escalation.objects.select_related("vendor"), pk=escalation_id)
    principal.require_vendor_scope(escalation.vendor)
    return principal, escalation


@router.post("/escalations/{escalation_id}/claim", response={200: EscalationOut, **ERRORS}, summary="Claim")
def claim(request: HttpRequest, escalation_id: int):
    principal, escalation = _staff_action(request, escalation_id)
    claims.claim(staff=principal.user, escalation=escalation)
    return _fresh(escalation.pk)


@router.post("/escalations/{escalation_id}/release", response={200: EscalationOut, **ERRORS}, summary="Release")
def release(request: HttpRequest, escalation_id: int):
    principal, escalation = _staff_action(request, escalation_id)
    claims.release(staff=principal.user, escalation=escalation)
    return _fresh(escalation.pk)


@router.post(
    "/escalations/{escalation_id}/hand-off",
    response={200: EscalationOut, **ERRORS},
    summary="Hand off to a colleague (to_username) or another vendor (to_handle)",
)
def hand_off(request: HttpRequest, escalation_id: int, payload: HandOffIn):
    principal, escalation = _staff_action(request, escalation_id)
    result = claims.hand_off(
        staff=principal.user,
        escalation=escalation,
        to_username=payload.to_username or None,
        to_handle=payload.to_handle or None,
        note=payload.note,
    )
    return _fresh(result.pk)


@router.post("/escalations/{escalation_id}/resolve", response={200: EscalationOut, **ERRORS}, summary="Resolve")
def resolve(request: HttpRequest, escalation_id: int):
    principal, escalation = _staff_action(request, escalation_id)
    claims.resolve(staff=principal.user, escalation=escalation)
    return _fresh(escalation.pk)


def _customer_action(request: HttpRequest, escalation_id: int) -> tuple[Principal, Escalation]:
    escalation = get_object_or_404(Escalation.objects.select_related("thread", "vendor"), pk=escalation_id)
    return _caller(request), escalation


@router.post(
    "/escalations/{escalation_id}/confirm",
    response={200: EscalationOut, **ERRORS},
    summary="The thread's author answers “did this solve it?”",
)
def confirm(request: HttpRequest, escalation_id: int, payload: ConfirmIn):
    principal, escalation = _customer_action(request, escalation_id)
    claims.confirm(user=principal.user, escalation=escalation, solved=payload.solved)
    return _fresh(escalation.pk)


@router.post(
    "/escalations/{escalation_id}/rating",
    response={200: EscalationOut, **ERRORS},
    summary="The thread's author rates the help, once, after confirming it solved",
)
def rate(request: HttpRequest, escalation_id: int, payload: RateIn):
    principal, escalation = _customer_action(request, escalation_id)
    claims.rate(user=principal.user, escalation=escalation, rating=payload.rating, comment=payload.comment)
    return _fresh(escalation.pk)


def note_out(note: StaffNote) -> dict:
    return {
        "id": note.pk,
        "thread": note.thread_id,
        "vendor": note.vendor.handle,
        "author": note.author.username,
        "body": note.body,
        "body_html": note.body_html,
        "created_at": note.created_at,
    }


def _notes_vendor(principal: Principal, handle: str) -> Vendor:
    vendor = get_object_or_404(Vendor, handle=handle.strip().lstrip("@").lower())
    principal.require_vendor_scope(vendor)
    return vendor


@router.get(
    "/threads/{thread_id}/notes",
    response={200: list[NoteOut], **ERRORS},
    summary="A vendor's staff-only notes on a thread (that vendor's verified staff and keys only)",
)
def list_notes(request: HttpRequest, thread_id: int, vendor: str = Query(..., max_length=100)):
    principal = _caller(request)
    thread = get_object_or_404(Thread.objects.only("pk"), pk=thread_id)
    vendor_obj = _notes_vendor(principal, vendor)
    if presenter.notes(principal.user, vendor_obj.pk, principal.private_vendor_ids()) is presenter.Seen.NOT_FOUND:
        raise Http404("No such notes.")  # notes one may not read do not exist for them
    notes = StaffNote.objects.filter(thread=thread, vendor=vendor_obj).select_related("author", "vendor")
    return [note_out(n) for n in notes.order_by("created_at", "id")]


@router.post(
    "/threads/{thread_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Write a staff-only note (the vendor's verified staff only)",
)
def add_note(request: HttpRequest, thread_id: int, payload: NoteIn):
    principal = _caller(request)
    thread = get_object_or_404(Thread, pk=thread_id)
    vendor = _notes_vendor(principal, payload.vendor)
    note = notes.add_note(staff=principal.user, thread=thread, vendor=vendor, body=payload.body)
    return Status(201, note_out(StaffNote.objects.select_related("author", "vendor").get(pk=note.pk)))


class TicketIn(Schema):
    key: str = Field(..., max_length=100_000, description="The ticket's key in your system, like NW-1234 (≤ 40)")
    url: str = Field(..., max_length=100_000, description="http(s) link to the ticket (≤ 500)")
    status: str = Field("", max_length=100_000, description="Free text, like “In progress” (≤ 40)")
    visibility: Literal["public", "staff"] = "public"


class TicketOut(Schema):
    escalation: int
    key: str
    url: str
    status: str
    visibility: Literal["public", "staff"]
    updated_at: datetime


def ticket_out(link: TicketLink) -> dict:
    return {
        "escalation": link.escalation_id,
        "key": link.key,
        "url": link.url,
        "status": link.status,
        "visibility": link.visibility,
        "updated_at": link.updated_at,
    }


@router.post(
    "/escalations/{escalation_id}/ticket",
    response={200: TicketOut, **ERRORS},
    summary="Link the escalation to your own ticket, or change the link's status (the vendor's staff and keys)",
)
def set_ticket(request: HttpRequest, escalation_id: int, payload: TicketIn):
    principal, escalation = _staff_action(request, escalation_id)
    link = tickets.link_ticket(
        staff=principal.user,
        escalation=escalation,
        key=payload.key,
        url=payload.url,
        status=payload.status,
        visibility=payload.visibility,
    )
    return ticket_out(link)


@router.get(
    "/escalations/{escalation_id}/ticket",
    response={200: TicketOut, **ERRORS},
    summary="The escalation's ticket link (staff-only links: the vendor's staff and keys only)",
)
def get_ticket(request: HttpRequest, escalation_id: int):
    principal = _caller(request)
    link = get_object_or_404(TicketLink.objects.select_related("escalation__thread"), escalation__pk=escalation_id)
    if presenter.thread(principal.user, link.escalation.thread) is presenter.Seen.NOT_FOUND:
        raise Http404("No such ticket link.")  # a thread one may not see has no links either
    if selectors.visible_ticket(principal.user, link.escalation, principal.private_vendor_ids()) is None:
        raise Http404("No such ticket link.")
    return ticket_out(link)
