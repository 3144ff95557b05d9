"""Queue today's digest emails by hand; the worker already does it daily at DIGEST_HOUR_UTC (docs/worker.md)."""

from django.core.management.base import BaseCommand

from forum.tasks import send_daily_digests


class Command(BaseCommand):
    help = "Queue the daily digest email for everyone who asked for one (safe to run more than once a day)."

    def handle(self, *args, **options) -> None:
        result = send_daily_digests.enqueue()
        if result.is_finished:
            self.stdout.write(f"Digests sent: {result.return_value}")
        else:
            self.stdout.write(f"Digests queued (task {result.id}).")
