"""The swarm's background work, run by the worker (docs/worker.md); every job is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from forum import periodic
from swarm.actions import claims, presence, targets


@task
def release_idle_claims() -> int:
    """Return idle claims to their vendor's inbox, publicly; returns how many."""
    return claims.release_idle_claims()


@task
def forget_stale_presence() -> int:
    """Delete presence rows of connections whose process died without saying goodbye."""
    return presence.purge_stale()


@task
def warn_target_breaches() -> int:
    """Tell staff once when an escalation is about to miss its vendor's published target; returns how many."""
    return targets.warn_before_breach()


def register_periodic_jobs() -> None:
    periodic.register("release_idle_claims", release_idle_claims, every=timedelta(minutes=5))
    periodic.register("forget_stale_presence", forget_stale_presence, every=timedelta(minutes=10))
    periodic.register("warn_target_breaches", warn_target_breaches, every=timedelta(minutes=5))


@task
def send_note_emails(*, note_id: int) -> int:
    """Email a new staff note to the colleagues working the thread; a reply to it adds a note (docs/email.md)."""
    from swarm.notes_mail import send_note_emails as send

    return send(note_id=note_id)
