"""Swarm's part of forum's actions: what a new post changes in the swarm.

``swarm.receivers`` calls these from ``forum.hooks.event_recorded``, inside the
forum action's transaction and after ``timeline.record()`` has locked the thread
row, so they keep the one lock order (thread, then escalations). They record no
event of their own unless they open an escalation (``escalations.escalate_mentioned``):
timing fields and notices are not changes on the thread's timeline.
"""

from __future__ import annotations

from forum.models import Event, EventKind
from swarm import notify
from swarm.live import forget_figures, wake_inboxes
from swarm.models import Escalation

# Public events a vendor's claimant hears about (bell and email), unless they caused them.
# Me-toos are told by the me-too action itself (swarm.notify.metoo), with emails batched per thread.
CLAIMANT_HEARS = {EventKind.REPLIED, EventKind.ACCEPTED, EventKind.REOPENED, EventKind.ESCALATED}


def time_post(*, event: Event) -> None:
    """A customer's post restarts their wait; a staff post is the vendor's activity (and maybe its first reply).

    Only ongoing escalations move: a finished one (confirmed, handed off) keeps its figures.
    """
    thread = event.thread
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
    mine = Escalation.objects.ongoing().filter(thread=thread, vendor_id=vendor_id)
    if mine.filter(first_staff_reply_at__isnull=True).update(first_staff_reply_at=now):
        forget_figures([vendor_id])  # a first reply is in the public median; the inbox needs no wake-up
    if mine.update(last_staff_activity_at=now):
        notify.staff_answered(thread.author_id, event)


def tell_claimants(*, event: Event) -> None:
    """Staff who hold a claim on the thread hear of its activity, except what they did themselves."""
    if event.kind not in CLAIMANT_HEARS:
        return
    claimants = list(
        Escalation.objects.filter(thread_id=event.thread_id, state=Escalation.State.CLAIMED)
        .exclude(claimed_by=event.actor_id)
        .values_list("claimed_by_id", flat=True)
    )
    if claimants:
        notify.claim_activity(claimants, event)
