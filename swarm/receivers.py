"""Swarm's reactions to forum events (connected in SwarmConfig.ready()).

forum never imports swarm; instead ``forum.hooks`` sends signals inside the
action's transaction, and these receivers do swarm's part in that same
transaction: escalate when the author tags a vendor, time staff replies and
customer waits, scan new threads against vendors' radars, notify claimants.
Marking a thread a duplicate changes nothing here: each escalation stays on
its own thread with its state and history.
"""

from __future__ import annotations

from django.dispatch import receiver

from forum import hooks
from forum.models import Event, EventKind, Thread
from swarm import notify
from swarm.actions import escalations, radar
from swarm.live import wake_inboxes
from swarm.models import Escalation

CLAIMANT_HEARS = {EventKind.REPLIED, EventKind.METOO, EventKind.ACCEPTED, EventKind.REOPENED, EventKind.ESCALATED}


@receiver(hooks.event_recorded)
def on_event(sender, event: Event, **kwargs) -> None:
    if event.vendor_id is not None:
        return
    thread = event.thread
    if event.kind in (EventKind.POSTED, EventKind.REPLIED) and event.actor_id:
        _timing(event, thread)
        escalations.escalate_mentioned(thread=thread, actor=event.actor, handles=event.data.get("vendors") or [])
    if event.kind == EventKind.POSTED and event.post is not None:
        radar.scan_new_thread(thread, event.post)
    if event.kind in CLAIMANT_HEARS:
        claimants = list(
            Escalation.objects.filter(thread=thread, state=Escalation.State.CLAIMED)
            .exclude(claimed_by=event.actor_id)
            .values_list("claimed_by_id", flat=True)
        )
        if claimants:
            notify.claim_activity(claimants, event)


def _timing(event: Event, thread: Thread) -> None:
    """A customer's post restarts their wait; a staff post is the vendor's activity (and maybe its first reply)."""
    now = event.created_at
    if event.actor_id == thread.author_id:
        waiting = Escalation.objects.ongoing().filter(thread=thread)
        vendor_ids = list(waiting.values_list("vendor_id", flat=True))
        if vendor_ids:
            # The only inbox column a post changes; other posts leave the inbox as it was.
            waiting.update(customer_posted_at=now)
            wake_inboxes(vendor_ids, "customer_posted")
    vendor_id = event.post.staff_vendor_id if event.post is not None else None
    if vendor_id is None or event.kind != EventKind.REPLIED:
        return
    # Only the vendor's current case; a finished one (confirmed, handed off) keeps its figures.
    mine = Escalation.objects.ongoing().filter(thread=thread, vendor_id=vendor_id)
    mine.filter(first_staff_reply_at__isnull=True).update(first_staff_reply_at=now)
    mine.update(last_staff_activity_at=now)
    if mine.exists():
        notify.staff_answered(thread.author_id, event)
