"""Return idle claims to their vendor's inbox now; the worker already does it every 5 minutes (docs/worker.md)."""

from django.core.management.base import BaseCommand

from swarm.actions.claims import release_idle_claims


class Command(BaseCommand):
    help = "Release claims with no staff activity for BARNRAISE['CLAIM_IDLE_HOURS'] hours, publicly."

    def handle(self, *args, **options) -> None:
        released = release_idle_claims()
        self.stdout.write(f"Released {released} idle claim{'s' if released != 1 else ''}.")
