"""A staff note's email to the colleagues on the thread, with a reply address that writes a note.

Who hears: the vendor's verified staff who claimed the thread or wrote a note on it,
except the note's author. The note is private: access is checked again when the mail
goes out (a colleague removed meanwhile gets nothing), and it goes to nobody else.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.text import Truncator
from django.utils.translation import gettext

from forum import outbox, replyaddress
from forum.i18n import speaking_to
from forum.models import SentMessage, User
from forum.tasks import send_once
from swarm import access
from swarm.models import Escalation, StaffNote

logger = logging.getLogger(__name__)


def note_written(note: StaffNote) -> None:
    """Queue the note's emails with the action's write (forum.outbox)."""
    outbox.enqueue_with_write(_note_task, f"the emails of note {note.pk}", note_id=note.pk)


def _note_task():
    from swarm.tasks import send_note_emails  # late: the task module imports this one

    return send_note_emails


def _colleagues(note: StaffNote) -> list[User]:
    claimants = Escalation.objects.filter(thread=note.thread, vendor=note.vendor).values("claimed_by_id")
    writers = StaffNote.objects.filter(thread=note.thread, vendor=note.vendor).values("author_id")
    people = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .exclude(pk=note.author_id)
        .filter(pk__in=claimants.union(writers))
    )
    return [person for person in people if access.can_see_notes(person, note.vendor)]


def send_note_emails(*, note_id: int) -> int:
    note = StaffNote.objects.select_related("thread", "vendor", "author").filter(pk=note_id).first()
    if note is None:
        return 0
    context = {
        "note": note,
        "excerpt": Truncator(note.body).chars(1000),
        "link": f"{settings.SITE_URL}{note.thread.get_absolute_url()}",
    }
    sent = 0
    with mail.mailers.default as mailer:
        for person in _colleagues(note):
            key = f"email:note:{note.pk}:{person.pk}"
            if SentMessage.objects.filter(key=key).exists():
                continue
            with speaking_to(person):
                body = render_to_string("swarm/email/note.txt", {**context, "user": person})
                subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + gettext("Staff note from %(name)s: %(title)s") % {
                    "name": note.author.name,
                    "title": note.thread.title,
                }
            headers = replyaddress.reply_headers(user_id=person.pk, thread_id=note.thread_id, vendor_id=note.vendor_id)
            message = EmailMessage(subject=subject, body=body, to=[person.email], headers=headers)
            sent += send_once(key, message, mailer=mailer)
    return sent
