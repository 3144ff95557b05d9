"""``manage.py mail_gateway``: an SMTP server (aiosmtpd) for replies by email, behind the site's MTA.

It accepts mail only for reply addresses (``reply+…@REPLY_EMAIL_DOMAIN``) and hands each
message to forum.inbound.receive (docs/email.md). Bind it to loopback: it does no TLS,
authentication or spam filtering of its own; the MTA in front does.
"""

from __future__ import annotations

import logging
import signal
import threading

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from forum import inbound, replyaddress

logger = logging.getLogger(__name__)


def _receive(raw: bytes, recipients: list[str], sender: str) -> inbound.Result:
    close_old_connections()
    try:
        return inbound.receive(raw, recipients=recipients, sender=sender)
    finally:
        close_old_connections()


class ReplyHandler:
    """aiosmtpd's hooks: refuse other recipients at RCPT, process the message at DATA."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802 (aiosmtpd)
        if not replyaddress.is_reply_address(address):
            return "550 5.1.1 Not a reply address of this forum"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        raw = envelope.original_content or envelope.content
        try:
            # One message at a time in Django's sync thread: simple, and kind to SQLite.
            result = await sync_to_async(_receive)(raw, list(envelope.rcpt_tos), envelope.mail_from or "")
        except Exception:
            logger.exception("Inbound mail failed; the MTA will retry")
            return "451 4.3.0 Temporary failure, please try again later"
        logger.info("Inbound mail: %s %s", result.status, result.reason)
        return "250 OK"


class Command(BaseCommand):
    help = "Receive replies by email over SMTP (run behind the site's MTA, on loopback)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None, help="address to listen on (MAIL_GATEWAY_HOST)")
        parser.add_argument("--port", type=int, default=None, help="port to listen on (MAIL_GATEWAY_PORT)")

    def handle(self, *args, host: str | None, port: int | None, **options) -> None:
        if not settings.REPLY_EMAIL_DOMAIN:
            raise CommandError("Set REPLY_EMAIL_DOMAIN first: without it no email carries a reply address.")
        host = host or settings.MAIL_GATEWAY_HOST
        port = port if port is not None else settings.MAIL_GATEWAY_PORT
        controller = Controller(
            ReplyHandler(), hostname=host, port=port, data_size_limit=settings.MAIL_GATEWAY_MAX_BYTES
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"Mail gateway for @{settings.REPLY_EMAIL_DOMAIN} on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
