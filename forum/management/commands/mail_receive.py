"""``manage.py mail_receive``: one message on standard input, for an MTA's pipe (docs/email.md).

Exit status 0 when the message was handled (posted, refused with a reply, or dropped as
automatic mail); 75 (EX_TEMPFAIL) on a failure of ours, so the MTA tries again later.
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from forum import inbound

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one email from standard input and post it as a reply (for an MTA pipe)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--recipient",
            action="append",
            default=None,
            help="envelope recipient (repeatable; default: $ORIGINAL_RECIPIENT, else the To/Cc headers)",
        )
        parser.add_argument("--sender", default=None, help="envelope sender (default: $SENDER, else Return-Path)")

    def handle(self, *args, recipient: list[str] | None, sender: str | None, **options) -> None:
        if not settings.REPLY_EMAIL_DOMAIN:
            raise CommandError("Set REPLY_EMAIL_DOMAIN first: without it no email carries a reply address.")
        raw = sys.stdin.buffer.read(settings.MAIL_GATEWAY_MAX_BYTES + 1)
        if len(raw) > settings.MAIL_GATEWAY_MAX_BYTES:
            raise CommandError("The message is larger than MAIL_GATEWAY_MAX_BYTES.")
        recipients = recipient or [os.environ[n] for n in ("ORIGINAL_RECIPIENT",) if os.environ.get(n)]
        if sender is None:
            sender = os.environ.get("SENDER")
        try:
            result = inbound.receive(raw, recipients=recipients, sender=sender)
        except Exception as error:  # noqa: BLE001 (any failure of ours: tell the MTA to retry)
            self.stderr.write(f"mail_receive failed, try again later: {error}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{result.status} {result.reason}".strip())
