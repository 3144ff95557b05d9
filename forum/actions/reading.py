"""Read markers: how far someone has read a thread, so lists can show what is new to them.

Not a visible change (nobody else sees it), so no timeline Event is recorded.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from forum.models import Thread, ThreadRead, User
from forum.timeline import presenter

BAD_SEQ = gettext_lazy("The position read must be a whole number.")
SEQ_RE = re.compile(r"[0-9]{1,18}")  # fits a 64-bit column; larger is never a real position


def mark_seen(*, user: User, thread_id: int, seq: str | int) -> int:
    """Record that ``user`` has read ``thread_id`` up to ``seq`` (capped at the thread's last seq).

    A marker never moves backwards (an old tab reporting late changes nothing). Returns the
    stored seq. Raises Http404 for a thread the user may not see, ValidationError for bad input.
    """
    if not SEQ_RE.fullmatch(str(seq)):
        raise ValidationError(BAD_SEQ)
    seq = int(seq)
    thread = Thread.objects.defer("search_vector").filter(pk=thread_id).first()
    if thread is None:
        raise Http404("No such thread.")
    presenter.require_thread(user, thread)
    seq = min(seq, thread.last_seq)
    with transaction.atomic():
        row = ThreadRead.objects.select_for_update().filter(user=user, thread=thread).first()
        if row is None:
            try:
                with transaction.atomic():  # a second tab may insert first: then update its row
                    ThreadRead.objects.create(user=user, thread=thread, seq=seq)
                    return seq
            except IntegrityError:
                row = ThreadRead.objects.select_for_update().get(user=user, thread=thread)
        if seq > row.seq:
            row.seq, row.seen_at = seq, timezone.now()
            row.save(update_fields=["seq", "seen_at"])
        return row.seq
