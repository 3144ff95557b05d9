"""Kept for old deployments: ``webhook_worker`` is ``run_worker``; ``--once`` sends what is due now and exits."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from forum import webhooks


class Command(BaseCommand):
    help = "Alias of run_worker (which also sends webhooks). --once: send due webhook deliveries, then exit."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")

    def handle(self, *args, once: bool = False, **options) -> None:
        if once:
            self.stdout.write(f"Tried {webhooks.deliver_due()} deliveries.")
            return
        call_command("run_worker", stdout=self.stdout)
