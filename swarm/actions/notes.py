"""Staff notes: written on the vendor's private stream, read only by that vendor's verified staff."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import idempotency, timeline
from forum.markdown import render
from forum.models import EventKind, Thread, User, Vendor
from forum.validation import normalise_text
from swarm import access, notes_mail
from swarm.models import Escalation, StaffNote

NOTE_MAX = 10_000


def add_note(
    *, staff: User, thread: Thread, vendor: Vendor, body: str, idempotency_key: str | None = None
) -> StaffNote:
    """A private note for the vendor's staff. Counts as staff activity on the vendor's claim."""
    with transaction.atomic():
        thread = access.access_thread_for_update(
            staff,
            thread.pk,
            check=lambda user, _thread: access.can_write_note(user, vendor),
            message=f"Only verified staff of {vendor.name} can write notes.",
        )
        earlier = idempotency.earlier_result(user=staff, key=idempotency_key, scope=f"note:{thread.pk}:{vendor.pk}")
        if earlier is not None:
            return idempotency.existing(StaffNote.objects.filter(author=staff), earlier)
        note = write_note(thread=thread, vendor=vendor, author=staff, body=body)
        # The vendor's current case only; finished ones (confirmed, handed off) keep their times.
        Escalation.objects.ongoing().filter(thread=thread, vendor=vendor).update(last_staff_activity_at=note.created_at)
        idempotency.remember_result(user=staff, key=idempotency_key, result_id=note.pk)
    return note


def write_note(*, thread: Thread, vendor: Vendor, author: User, body: str) -> StaffNote:
    """Save the note and record it on the vendor's private stream. Runs inside the caller's transaction."""
    body = normalise_text(body or "").strip()
    if not body:
        raise ValidationError(gettext("Write something in the note."), code="empty")
    if len(body) > NOTE_MAX:
        raise ValidationError(
            gettext("Keep notes under %(note_max)s characters.") % {"note_max": format(NOTE_MAX, ",")}, code="too_long"
        )
    note = StaffNote.objects.create(
        thread=thread, vendor=vendor, author=author, body=body, body_html=render(body).html, created_at=timezone.now()
    )
    timeline.record(thread=thread, kind=EventKind.NOTE, actor=author, vendor=vendor, data={"note": note.pk})
    notes_mail.note_written(note)
    return note
