"""Swarm's reactions to forum events (connected in SwarmConfig.ready()). They only dispatch.

forum never imports swarm; instead ``forum.hooks`` sends signals inside the
action's transaction, and this receiver calls swarm's actions in that same
transaction: time staff replies and customer waits, escalate when the author
tags a vendor, scan new threads against vendors' radars, tell claimants.
Marking a thread a duplicate changes nothing in the swarm: each escalation stays
on its own thread with its state and history (docs/escalations.md).
"""

from __future__ import annotations

from django.dispatch import receiver

from forum import hooks
from forum.models import Event, EventKind
from swarm.actions import escalations, radar, reactions, teams
from swarm.live import wake_inboxes


@receiver(hooks.event_recorded)
def on_event(sender, event: Event, **kwargs) -> None:
    if event.vendor_id is not None:
        return  # private streams (staff notes) change nothing here
    if event.kind in (EventKind.POSTED, EventKind.REPLIED) and event.actor_id:
        reactions.time_post(event=event)
        escalations.escalate_mentioned(thread=event.thread, actor=event.actor, handles=event.data.get("vendors") or [])
    if event.kind == EventKind.POSTED and event.post is not None:
        radar.scan_new_thread(thread=event.thread, question=event.post)
    reactions.tell_claimants(event=event)


@receiver(hooks.staff_changed)
def on_staff_changed(sender, membership, **kwargs) -> None:
    """Someone gained or lost a vendor's staff status: open inboxes re-check who may see them."""
    wake_inboxes([membership.vendor_id], "staff")


@receiver(hooks.account_deleted)
def on_account_deleted(sender, user, **kwargs) -> None:
    """A person deleted their account: swarm forgets their team seats (their escalations stay)."""
    teams.forget_member(user=user)
