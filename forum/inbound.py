"""Replies by email (docs/email.md): one message in, one post (or staff note) out, or one clear refusal.

``receive(raw)`` is what both ``manage.py mail_gateway`` (SMTP) and ``manage.py
mail_receive`` (an MTA pipe) call. It drops auto-replies, bounces and our own mail
without answering (no loops), verifies the signed reply address and the sender,
keeps the text above the quoted message (without the signature) and the attached
images, and posts through the same action as the web page, so every rule of the
web applies and the post appears live. The Message-ID is the idempotency key: a
message delivered twice posts once. Anything refused gets one reply saying why.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.translation import gettext
from mailparser_reply.parser import EmailMessage as ParsedReply

from forum import replyaddress
from forum.actions import posts as post_actions
from forum.models import Thread, User

logger = logging.getLogger(__name__)

# kind -> function that posts the text; it returns the id of what it created. forum posts
# public replies; swarm registers staff notes (forum never imports swarm).
Handler = Callable[..., int]
_HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    _HANDLERS[kind] = handler


@dataclass(frozen=True)
class Result:
    status: str  # "posted", "refused" or "ignored" (automatic mail: no answer)
    reason: str = ""
    message: str = ""
    created_id: int | None = None


class RefusedError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def receive(raw: bytes, *, recipients: Sequence[str] = (), sender: str | None = None) -> Result:
    """Handle one RFC 5322 message. ``recipients``/``sender`` are the SMTP envelope's, when known."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    automatic = automatic_reason(msg, sender)
    if automatic:
        logger.info("Inbound mail dropped without reply: %s", automatic)
        return Result("ignored", automatic)
    key = _message_key(msg, raw)
    try:
        created = _post(msg, recipients or _header_recipients(msg), key)
    except RefusedError as refused:
        _refuse(msg, key, refused)
        return Result("refused", refused.reason, refused.message)
    return Result("posted", created_id=created)


def _post(msg: MimeMessage, recipients: Sequence[str], key: str) -> int:
    target = next((t for t in map(replyaddress.verify, recipients) if t is not None), None)
    if target is None or target.kind not in _HANDLERS:
        raise RefusedError(
            "unknown_address",
            gettext(
                "The address you wrote to is not a valid reply address of this forum. Reply to a "
                "notification email as it came, or answer on the web page."
            ),
        )
    user = User.objects.filter(pk=target.user_id, is_active=True).first()
    if user is None:
        raise RefusedError("unknown_address", gettext("The account this reply address belongs to is closed."))
    if not _sent_by(user, msg):
        raise RefusedError(
            "wrong_sender",
            gettext(
                "This reply address belongs to another person's account, or you wrote from an address "
                "that is not on your account. Reply from the address the notification was sent to."
            ),
        )
    thread = Thread.objects.filter(pk=target.thread_id).first()
    if thread is None:
        raise RefusedError("no_thread", gettext("That thread no longer exists."))
    body = reply_text(msg)
    if not body:
        raise RefusedError(
            "empty",
            gettext(
                "Your email had no text of its own: quoted text and signatures are left out, and "
                "nothing was left. Write your answer above the quoted message."
            ),
        )
    try:
        return _HANDLERS[target.kind](
            user=user, thread=thread, target=target, body=body, images=_images(msg), idempotency_key=key
        )
    except ValidationError as error:
        raise RefusedError(getattr(error, "code", None) or "invalid", " ".join(error.messages)) from error
    except PermissionDenied as error:
        raise RefusedError("not_allowed", str(error) or "You may not post there.") from error


def _post_reply(*, user: User, thread: Thread, body: str, images: list[UploadedFile], idempotency_key: str, **_) -> int:
    post = post_actions.reply(author=user, thread=thread, body=body, images=images, idempotency_key=idempotency_key)
    return post.pk


register(replyaddress.REPLY, _post_reply)


# ---- Recognising mail that must not be answered ----

BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
ROBOT_SENDERS = {"mailer-daemon", "postmaster"}


def automatic_reason(msg: MimeMessage, sender: str | None) -> str | None:
    """Why this message must get no answer (our own mail, an auto-reply, a bounce), or None."""
    if any(name in msg for name in ("X-Barnraise-Mail", "X-Barnraise-Refusal")):
        return "loop: our own mail"
    if str(msg.get("Message-ID", "")).strip().lower().endswith(f"@{_our_host()}>"):
        return "loop: our own Message-ID"
    if not str(msg.get("Auto-Submitted", "no")).strip().lower().startswith("no"):
        return "auto-reply: Auto-Submitted"
    if any(name in msg for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response")):
        return "auto-reply: X-Autoreply"
    if str(msg.get("Precedence", "")).strip().lower() in BULK_PRECEDENCE or "List-Id" in msg:
        return "bulk or list mail"
    if msg.get_content_type() == "multipart/report":
        return "bounce: delivery report"
    return_path = sender if sender is not None else str(msg.get("Return-Path", "")).strip()
    if (sender is not None or "Return-Path" in msg) and return_path in ("", "<>"):
        return "bounce: empty return path"
    local = _from_address(msg).partition("@")[0].lower()
    if local in ROBOT_SENDERS or parseaddr(return_path)[1].partition("@")[0].lower() in ROBOT_SENDERS:
        return "bounce: from a mail system"
    return None


def _our_host() -> str:
    return (urlsplit(settings.SITE_URL).hostname or "barnraise.localhost").lower()


# ---- Reading the message ----


def _header_recipients(msg: MimeMessage) -> list[str]:
    """Without an envelope (a pipe that passed none): who the message was addressed to."""
    fields = [str(value) for name in ("Delivered-To", "X-Original-To", "To", "Cc") for value in msg.get_all(name, [])]
    return [addr for _, addr in getaddresses(fields) if addr]


def _from_address(msg: MimeMessage) -> str:
    try:
        return parseaddr(str(msg.get("From", "")))[1].strip().lower()
    except (ValueError, IndexError):
        return ""


def _sent_by(user: User, msg: MimeMessage) -> bool:
    """The From address is one of the person's own (the one mail goes to, or another verified one)."""
    sender = _from_address(msg)
    if not sender:
        return False
    if user.email and sender == user.email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=sender, verified=True).exists()


def _message_key(msg: MimeMessage, raw: bytes) -> str:
    """Idempotency key from the Message-ID (or, lacking one, the message itself)."""
    source = str(msg.get("Message-ID", "")).strip().encode() or raw
    return "mail." + hashlib.sha256(source).hexdigest()[:40]


def _part_text(part: MimeMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what decodes
        return (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(blockquote|style|script|head)\b.*?</\1>", "", markup)
    markup = re.sub(r"""(?is)<div[^>]*class=["'][^"']*gmail_quote.*""", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|h\d)>", "\n", markup)
    return html.unescape(strip_tags(markup))


def reply_text(msg: MimeMessage) -> str:
    """The person's own words: the plain (or HTML) body without quoted text and signature."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _part_text(part)
    if part.get_content_type() == "text/html":
        text = _html_to_text(text)
    return strip_quoted(text)


def strip_quoted(text: str) -> str:
    """Cut "On … wrote:" / Outlook headers and what follows, signatures, and ">" quoted lines.

    mail-parser-reply finds the reply headers of Gmail, Outlook, Apple Mail and others and
    the signatures ("-- ", "Sent from my iPhone", "Best regards"); hyphen lists are kept.
    """
    parsed = ParsedReply(text=text, languages=["en"], keep_hyphen_lists=True).read()
    first = parsed.replies[0].body if parsed.replies else ""
    # A message that is all quote parses as one quoted fragment; inline quotes are not the sender's.
    kept = [line for line in first.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()


def _images(msg: MimeMessage) -> list[UploadedFile]:
    """Attached (and inline) images, checked later by forum.attachments like any upload."""
    images: list[UploadedFile] = []
    for part in msg.walk():
        if part.get_content_maintype() != "image":
            continue
        data = part.get_payload(decode=True) or b""
        name = part.get_filename() or f"image-{len(images) + 1}.{part.get_content_subtype()}"
        images.append(SimpleUploadedFile(name, data, content_type=part.get_content_type()))
    return images


# ---- Answering a refusal ----


def _clean_header(value: str, limit: int = 200) -> str:
    return " ".join(str(value).split())[:limit]


def _refuse(msg: MimeMessage, key: str, refused: RefusedError) -> None:
    """One reply per refused message (and at most one per sender and reason an hour), never to a robot."""
    from forum.tasks import send_once  # late: tasks load the worker's models

    to = _from_address(msg)
    if not to or "@" not in to:
        logger.info("Refused inbound mail (%s) has no address to answer", refused.reason)
        return
    once = f"mail-refusal:{hashlib.sha256(to.encode()).hexdigest()}:{refused.reason}"
    if not cache.add(once, 1, 3600):
        logger.info("Refused inbound mail (%s): already answered this sender within the hour", refused.reason)
        return
    subject = _clean_header(msg.get("Subject", "")) or gettext("your email")
    headers = {"Auto-Submitted": "auto-replied", "X-Barnraise-Mail": "refusal"}
    original_id = _clean_header(msg.get("Message-ID", ""), 900)
    if re.fullmatch(r"<[^<>\s]+>", original_id):
        headers |= {"In-Reply-To": original_id, "References": original_id}
    body = render_to_string("forum/email/refusal.txt", {"message": refused.message, "site_url": settings.SITE_URL})
    reply = EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + gettext("Not posted: %(subject)s") % {"subject": subject},
        body=body,
        to=[to],
        headers=headers,
    )
    try:
        send_once(f"email:refusal:{key}", reply)
    except Exception:
        cache.delete(once)  # not answered: the MTA's retry may answer
        raise
