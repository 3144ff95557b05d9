"""Radar: vendors watch for their products in new threads that did not tag them.

A keyword is a phrase; a thread matches when every word of the phrase appears
as a whole word in its title or question (any order, any case), so "tablet
wifi" finds "Wifi drops on my Surface tablet". Staff then join, dismiss, or
invite the author to escalate.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import timeline
from forum.models import Event, EventKind, Post, Thread, ThreadVendor, User, Vendor
from forum.validation import normalise_text
from swarm import access, notify
from swarm.live import wake_inboxes
from swarm.models import Escalation, RadarHit, RadarKeyword

MAX_KEYWORDS = 50
_WORD = re.compile(r"[\w][\w.+#-]*")


def words(text: str) -> set[str]:
    return {w.lower().strip(".-") for w in _WORD.findall(text or "")}


def clean_phrase(phrase: str) -> str:
    phrase = " ".join(normalise_text(phrase or "").split()).lower()
    if len(phrase) < 2:
        raise ValidationError(gettext("A keyword needs at least 2 characters."), code="too_short")
    if len(phrase) > 60:
        raise ValidationError(gettext("Keep a keyword under 60 characters."), code="too_long")
    if not words(phrase):
        raise ValidationError(gettext("A keyword needs at least one letter or digit."), code="no_words")
    return phrase


def add_keyword(*, admin: User, vendor: Vendor, phrase: str) -> RadarKeyword:
    access.require(
        admin,
        access.can_manage_radar(admin, vendor),
        gettext("Only %(name)s's admins can set radar keywords.") % {"name": vendor.name},
    )
    phrase = clean_phrase(phrase)
    if RadarKeyword.objects.filter(vendor=vendor).count() >= MAX_KEYWORDS:
        raise ValidationError(
            gettext("A vendor can watch at most %(max_keywords)s keywords.") % {"max_keywords": MAX_KEYWORDS},
            code="too_many",
        )
    try:
        with transaction.atomic():
            return RadarKeyword.objects.create(vendor=vendor, phrase=phrase, created_by=admin)
    except IntegrityError:
        raise ValidationError(
            gettext("“%(phrase)s” is already on the radar.") % {"phrase": phrase}, code="duplicate"
        ) from None


def remove_keyword(*, admin: User, keyword: RadarKeyword) -> None:
    access.require(
        admin,
        access.can_manage_radar(admin, keyword.vendor),
        gettext("Only %(name)s's admins can set radar keywords.") % {"name": keyword.vendor.name},
    )
    keyword.delete()


def scan_new_thread(*, thread: Thread, question: Post) -> list[RadarHit]:
    """Match a new thread against every vendor's radar. Runs inside create_thread's transaction."""
    text_words = words(thread.title) | words(question.body)
    involved = set(ThreadVendor.objects.filter(thread=thread).values_list("vendor_id", flat=True))
    matches: dict[int, list[str]] = {}
    for vendor_id, phrase in RadarKeyword.objects.exclude(vendor_id__in=involved).values_list("vendor_id", "phrase"):
        if words(phrase) <= text_words:
            matches.setdefault(vendor_id, []).append(phrase)
    hits = [RadarHit(vendor_id=vid, thread=thread, phrases=sorted(p)) for vid, p in matches.items()]
    RadarHit.objects.bulk_create(hits, ignore_conflicts=True)
    wake_inboxes(matches, "radar")
    return hits


def act_on_hit(*, staff: User, hit: RadarHit, action: str) -> RadarHit:
    """Join the thread, dismiss the hit, or invite the author to escalate (a public event)."""
    access.require(
        staff,
        access.can_work_for(staff, hit.vendor),
        gettext("Only verified staff of %(name)s can do that.") % {"name": hit.vendor.name},
    )
    states = {"join": RadarHit.State.JOINED, "dismiss": RadarHit.State.DISMISSED, "invite": RadarHit.State.INVITED}
    if action not in states:
        raise ValidationError(gettext("Choose join, dismiss or invite."), code="bad_action")
    with transaction.atomic():
        thread = access.lock_thread(hit.thread_id)  # thread before anything else on it (docs/escalations.md)
        hit = RadarHit.objects.select_for_update(of=("self",)).select_related("vendor").get(pk=hit.pk)
        hit.thread = thread
        if hit.state == states[action]:
            raise ValidationError(gettext("That's already done."), code="unchanged")
        if action == "invite":
            # Any escalation, finished ones too: the author can't escalate to a vendor twice (escalations.escalate).
            if Escalation.objects.filter(thread=hit.thread, vendor=hit.vendor).exists():
                raise ValidationError(gettext("The author has already escalated to you."), code="already_escalated")
            if hit.state == RadarHit.State.INVITED:
                raise ValidationError(gettext("You have already invited the author."), code="unchanged")
            event: Event = timeline.record(
                thread=hit.thread,
                kind=EventKind.INVITED,
                actor=staff,
                data={"vendor": hit.vendor.handle, "vendor_name": hit.vendor.name},
            )
            notify.invited(hit.thread.author_id, event)
        hit.state = states[action]
        hit.acted_by = staff
        hit.acted_at = timezone.now()
        hit.save(update_fields=["state", "acted_by", "acted_at"])
        wake_inboxes([hit.vendor_id], "radar")
    return hit
