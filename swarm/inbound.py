"""Staff notes by email: a reply to a note's notification (forum.inbound, docs/email.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext

from forum import inbound, replyaddress
from forum.models import Thread, User, Vendor
from forum.replyaddress import Target
from swarm.actions import notes


def note_by_email(
    *, user: User, thread: Thread, target: Target, body: str, images: list[UploadedFile], idempotency_key: str
) -> int:
    vendor = Vendor.objects.filter(pk=target.vendor_id).first()
    if vendor is None:
        raise ValidationError(gettext("That vendor no longer exists."), code="no_vendor")
    if images:  # notes carry no attachments: say so rather than drop them unseen
        raise ValidationError(
            gettext("Staff notes cannot carry images. Send the note without them, or add them on the web page."),
            code="note_images",
        )
    note = notes.add_note(staff=user, thread=thread, vendor=vendor, body=body, idempotency_key=idempotency_key)
    return note.pk


def register() -> None:
    inbound.register(replyaddress.NOTE, note_by_email)
