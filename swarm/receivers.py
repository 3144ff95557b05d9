"""Swarm's reactions to forum events (connected in SwarmConfig.ready()).

forum never imports swarm; instead ``forum.hooks`` sends signals inside the
action's transaction, and these receivers do swarm's part in that same
transaction: escalate when the author tags a vendor, time staff replies and
customer waits, scan new threads against vendors' radars, notify claimants,
and move escalations when a thread is marked a duplicate.
"""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from forum import hooks
from forum.models import Event, EventKind, Thread, User
from swarm import notify
from swarm.actions import escalations, radar
from swarm.live import wake_inboxes
from swarm.models import Escalation, MeToo

# Me-toos are told by the me-too action itself (swarm.notify.metoo), with emails batched per thread.
CLAIMANT_HEARS = {EventKind.REPLIED, EventKind.ACCEPTED, EventKind.REOPENED, EventKind.ESCALATED}


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
        vendor_ids = list(Escalation.objects.filter(thread=thread).values_list("vendor_id", flat=True))
        if vendor_ids:
            # The only inbox column a post changes; other posts leave the inbox as it was.
            Escalation.objects.filter(thread=thread).update(customer_posted_at=now)
            wake_inboxes(vendor_ids, "customer_posted")
    vendor_id = event.post.staff_vendor_id if event.post is not None else None
    if vendor_id is None or event.kind != EventKind.REPLIED:
        return
    mine = Escalation.objects.filter(thread=thread, vendor_id=vendor_id)
    mine.filter(first_staff_reply_at__isnull=True).update(first_staff_reply_at=now)
    mine.update(last_staff_activity_at=now)
    if mine.filter(~Q(state=Escalation.State.CONFIRMED)).exists():
        notify.staff_answered(thread.author_id, event)


@receiver(hooks.thread_marked_duplicate)
def on_duplicate(sender, duplicate: Thread, canonical: Thread, actor: User, **kwargs) -> None:
    """Escalations and me-toos follow the problem to its canonical thread (without doubling up)."""
    moved_vendors = []
    for escalation in Escalation.objects.filter(thread=duplicate).select_related("vendor"):
        if Escalation.objects.filter(thread=canonical, vendor=escalation.vendor).exists():
            escalation.delete()
            continue
        escalation.thread = canonical
        escalation.save(update_fields=["thread"])
        moved_vendors.append(escalation.vendor_id)
    taken = set(MeToo.objects.filter(thread=canonical).values_list("user_id", flat=True)) | {canonical.author_id}
    MeToo.objects.filter(thread=duplicate).exclude(user_id__in=taken).update(
        thread=canonical, created_at=timezone.now()
    )
    MeToo.objects.filter(thread=duplicate).delete()
    wake_inboxes(moved_vendors, "duplicate")


@receiver(hooks.staff_changed)
def on_staff_changed(sender, membership, **kwargs) -> None:
    """Someone gained or lost a vendor's staff status: open inboxes re-check who may see them."""
    wake_inboxes([membership.vendor_id], "staff")
