"""Send webhook deliveries in the background: ``manage.py webhook_worker [--once]``."""

import time

from django.core.management.base import BaseCommand

from forum import webhooks


class Command(BaseCommand):
    help = "Send due webhook deliveries, in order per endpoint and thread, retrying with backoff."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep when nothing is due.")

    def handle(self, *args, once: bool = False, interval: float = 1.0, **options) -> None:
        while True:
            tried = webhooks.deliver_due()
            if once:
                self.stdout.write(f"Tried {tried} deliveries.")
                return
            if not tried:
                time.sleep(interval)
