"""Signed reply addresses: ``reply+<payload>.<signature>@REPLY_EMAIL_DOMAIN`` (docs/email.md).

The payload names what a reply to it becomes (a public reply, or a staff note for
one vendor), who sends it and on which thread; the signature is an HMAC of the
payload with SECRET_KEY and a purpose of its own, so an address can be neither
guessed nor edited to point at another thread or person. Everything is lowercase
base36/base32, because mail systems may change the case of a local part, and the
local part stays far below SMTP's 64 characters.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "forum.replyaddress"
PREFIX = "reply+"
SIGNATURE_CHARS = 16  # 80 bits of base32
REPLY = "p"
NOTE = "n"
_PAYLOAD = re.compile(r"^([pn])([0-9a-z]{1,13})-([0-9a-z]{1,13})(?:-([0-9a-z]{1,13}))?$")


@dataclass(frozen=True)
class Target:
    """What a verified reply address points at."""

    kind: str  # REPLY or NOTE
    user_id: int
    thread_id: int
    vendor_id: int | None = None


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _sign(payload: str) -> str:
    digest = salted_hmac(SALT, payload, algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:SIGNATURE_CHARS]


def address(*, user_id: int, thread_id: int, vendor_id: int | None = None) -> str | None:
    """The person's reply address for the thread (a staff note for ``vendor_id``); None when mail-in is off."""
    domain = settings.REPLY_EMAIL_DOMAIN
    if not domain:
        return None
    kind = REPLY if vendor_id is None else NOTE
    payload = f"{kind}{_b36(user_id)}-{_b36(thread_id)}"
    if vendor_id is not None:
        payload += f"-{_b36(vendor_id)}"
    return f"{PREFIX}{payload}.{_sign(payload)}@{domain}"


def reply_headers(*, user_id: int, thread_id: int, vendor_id: int | None = None) -> dict[str, str]:
    """Extra headers for an email about a thread: its Reply-To, when mail-in is on."""
    found = address(user_id=user_id, thread_id=thread_id, vendor_id=vendor_id)
    return {"Reply-To": found} if found else {}


def verify(addr: str) -> Target | None:
    """The target of a reply address, or None if it is not one of ours or its signature is wrong."""
    local, _, domain = addr.strip().strip("<>").rpartition("@")
    if not settings.REPLY_EMAIL_DOMAIN or domain.lower() != settings.REPLY_EMAIL_DOMAIN:
        return None
    local = local.lower()
    if not local.startswith(PREFIX) or "." not in local:
        return None
    payload, _, signature = local[len(PREFIX) :].rpartition(".")
    if not constant_time_compare(signature, _sign(payload)):
        return None
    match = _PAYLOAD.match(payload)
    if match is None:
        return None
    kind, user, thread, vendor = match.groups()
    if (kind == NOTE) != (vendor is not None):
        return None
    return Target(kind, int(user, 36), int(thread, 36), int(vendor, 36) if vendor else None)


def is_reply_address(addr: str) -> bool:
    """Looks like one of ours (signed or not): mail for it belongs to the gateway."""
    local, _, domain = addr.strip().strip("<>").rpartition("@")
    return (
        bool(settings.REPLY_EMAIL_DOMAIN)
        and domain.lower() == settings.REPLY_EMAIL_DOMAIN
        and (local.lower().startswith(PREFIX))
    )
