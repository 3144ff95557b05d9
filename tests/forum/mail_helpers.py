"""Real mail for the email-reply tests: a capturing SMTP server on loopback and replies built like a mail client's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import make_msgid

from aiosmtpd.controller import Controller

from tests.services import free_port

REPLY_DOMAIN = "reply.forum.example"


class CapturingServer:
    """Keeps every message it accepts (parsed), with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]


@contextmanager
def capturing_smtp() -> Iterator[tuple[CapturingServer, int]]:
    handler = CapturingServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp_mailers(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 10},
        }
    }


def reply_to(notification: Message, text: str, *, sender: str, quote: bool = True, **headers: str) -> EmailMessage:
    """A reply as Gmail writes it: new text on top, then "On … wrote:" and the quoted original."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = notification["Reply-To"]
    reply["Subject"] = f"Re: {notification['Subject']}"
    reply["Message-ID"] = make_msgid(domain="mail.example")
    reply["In-Reply-To"] = notification["Message-ID"]
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    original = notification.get_body(preferencelist=("plain",)).get_content()
    quoted = "\n".join(f"> {line}" for line in original.splitlines())
    body = f"{text}\n\nOn Sat, Dec 5, 2026 at 7:00 AM Barnraise <noreply@barnraise.localhost> wrote:\n{quoted}\n"
    reply.set_content(body if quote else text)
    return reply
