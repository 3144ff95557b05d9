"""Return idle claims to their vendor's inbox (run every few minutes from cron or a scheduler)."""

from django.core.management.base import BaseCommand

from swarm.actions.claims import release_idle_claims


class Command(BaseCommand):
    help = "Release claims with no staff activity for BARNRAISE['CLAIM_IDLE_HOURS'] hours, publicly."

    def handle(self, *args, **options) -> None:
        released = release_idle_claims()
        self.stdout.write(f"Released {released} idle claim{'s' if released != 1 else ''}.")
