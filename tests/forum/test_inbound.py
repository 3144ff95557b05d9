"""Replies by email, in one process: signed addresses, what is kept of a reply, the web's rules, every refusal.

Refusal replies go through a real SMTP server on loopback. The gateway, the pipe
command and the live delivery are proven end to end in tests/swarm/test_email_replies.py.
"""

from __future__ import annotations

import io
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import timezone
from PIL import Image

from forum import inbound, replyaddress
from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import Attachment, Post, ReviewState
from tests.conftest import make_staff
from tests.forum.mail_helpers import REPLY_DOMAIN, capturing_smtp, smtp_mailers

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings, tmp_path):
    settings.REPLY_EMAIL_DOMAIN = REPLY_DOMAIN
    settings.MEDIA_ROOT = tmp_path
    with capturing_smtp() as (server, port):
        settings.MAILERS = smtp_mailers(port)
        yield server


def mail(
    to: str, text: str, *, sender: str = "jeff@mail.example", attach: bytes | None = None, **headers: str
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: [Barnraise] Dana replied: Wifi drops"
    message["Message-ID"] = headers.pop("Message_ID", None) or make_msgid(domain="mail.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if attach is not None:
        message.add_attachment(attach, maintype="image", subtype="png", filename="router.png")
    return bytes(message)


def address_of(user, thread, vendor=None) -> str:
    return replyaddress.address(user_id=user.pk, thread_id=thread.pk, vendor_id=vendor.pk if vendor else None)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def replies(thread) -> list[Post]:
    return list(Post.objects.filter(thread=thread, is_question=False).order_by("pk"))


# ---- Addresses ----


def test_a_reply_address_is_signed_for_one_person_and_one_thread(settings, thread, customer, expert):
    settings.REPLY_EMAIL_DOMAIN = REPLY_DOMAIN
    other = thread_actions.create_thread(author=customer, title="Printer offline again", body="Since the update.")
    mine = address_of(customer, thread)
    local = mine.partition("@")[0]
    assert len(local) <= 64
    assert replyaddress.verify(mine) == replyaddress.Target("p", customer.pk, thread.pk)
    assert replyaddress.verify(mine.upper()) is not None, "mail systems may change the case"
    assert mine not in {address_of(customer, other), address_of(expert, thread)}
    payload, _, signature = local.removeprefix("reply+").rpartition(".")
    # Someone else's thread or account with the old signature: refused.
    b36 = replyaddress._b36
    assert payload == f"p{b36(customer.pk)}-{b36(thread.pk)}"
    for forged in (f"p{b36(customer.pk)}-{b36(other.pk)}", f"p{b36(expert.pk)}-{b36(thread.pk)}"):
        assert replyaddress.verify(f"reply+{forged}.{signature}@{REPLY_DOMAIN}") is None
    assert replyaddress.verify(mine.replace(REPLY_DOMAIN, "elsewhere.example")) is None
    settings.REPLY_EMAIL_DOMAIN = ""
    assert address_of(customer, thread) is None
    assert replyaddress.reply_headers(user_id=customer.pk, thread_id=thread.pk) == {}


# ---- What is kept of a reply ----

GMAIL = """Rebooting the router fixed it.

- first unplug it
- then wait a minute

On Sat, Dec 5, 2026 at 7:00 AM Barnraise <noreply@barnraise.localhost> wrote:
> Hello Jeff,
> Dana replied on "Wifi drops"
"""
OUTLOOK = """Rebooting the router fixed it.

________________________________
From: Barnraise <noreply@barnraise.localhost>
Sent: Saturday, December 5, 2026 7:00 AM
To: Jeff Morrow <jeff@mail.example>
Subject: [Barnraise] Dana replied: Wifi drops

Hello Jeff,
"""
OUTLOOK_PLAIN = """Rebooting the router fixed it.

-----Original Message-----
From: Barnraise <noreply@barnraise.localhost>
Sent: Saturday, December 5, 2026 7:00 AM

Hello Jeff,
"""
APPLE = """Rebooting the router fixed it.

Sent from my iPhone

> On 5 Dec 2026, at 07:00, Barnraise <noreply@barnraise.localhost> wrote:
>
> Hello Jeff,
"""
SIGNATURE = """Rebooting the router fixed it.

-- 
Jeff Morrow
Morrow Plumbing, 555-0100
"""  # noqa: W291 (the signature delimiter is "-- " with its space)


@pytest.mark.parametrize("text", [GMAIL, OUTLOOK, OUTLOOK_PLAIN, APPLE, SIGNATURE])
def test_quoted_text_and_signatures_are_left_out(text):
    kept = inbound.strip_quoted(text)
    assert kept.startswith("Rebooting the router fixed it.")
    for gone in ("Hello Jeff", "wrote:", "Original Message", "iPhone", "555-0100", "From:"):
        assert gone not in kept
    if text is GMAIL:
        assert "- first unplug it\n- then wait a minute" in kept, "a list is not a signature"


def test_an_html_only_reply_keeps_the_text_without_the_quote():
    message = EmailMessage()
    message.set_content(
        "<div>Rebooting fixed it.<br>Thanks!</div><div class='gmail_quote'>On Sat … wrote:"
        "<blockquote>Hello Jeff</blockquote></div>",
        subtype="html",
    )
    assert inbound.reply_text(message) == "Rebooting fixed it.\nThanks!"


# ---- Posting ----


def test_a_reply_posts_as_its_person_without_the_quote_and_only_once(smtp, thread, customer):
    raw = mail(address_of(customer, thread), GMAIL)
    first = inbound.receive(raw)
    assert first.status == "posted"
    [post] = replies(thread)
    assert post.author == customer
    assert post.body.startswith("Rebooting the router fixed it.") and "Hello Jeff" not in post.body
    # The MTA delivers the same message again (a retry, a second MX): still one post.
    again = inbound.receive(raw)
    assert again.status == "posted" and again.created_id == post.pk
    assert len(replies(thread)) == 1
    assert smtp.messages == [], "a post is not answered by email"


def test_an_attached_image_becomes_the_posts_attachment(smtp, thread, customer):
    result = inbound.receive(mail(address_of(customer, thread), "Here is the router's light.", attach=png()))
    assert result.status == "posted"
    [attachment] = Attachment.objects.filter(post_id=result.created_id)
    assert attachment.content_type == "image/png" and attachment.original_name == "router.png"


def test_a_new_accounts_reply_with_a_link_waits_for_review_like_on_the_web(smtp, thread, customer):
    result = inbound.receive(mail(address_of(customer, thread), "See https://spam.example/deal for the fix."))
    assert result.status == "posted"
    assert Post.objects.get(pk=result.created_id).review_state == ReviewState.PENDING


# ---- Refusals: one clear reply, nothing posted ----


def assert_refused(smtp, thread, raw: bytes, *, says: str, to: str = "jeff@mail.example") -> None:
    before = len(replies(thread))
    result = inbound.receive(raw)
    assert result.status == "refused"
    assert len(replies(thread)) == before, "nothing is posted"
    [answer] = smtp.to(to)
    text = answer.get_body(preferencelist=("plain",)).get_content()
    assert says in " ".join(text.split()), text
    assert "Not posted" in answer["Subject"]
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["In-Reply-To"] is not None
    # The same message delivered again gets no second reply.
    assert inbound.receive(raw).status == "refused"
    assert len(smtp.to(to)) == 1


def test_a_forged_address_is_refused(smtp, thread, customer, expert):
    mine = address_of(customer, thread)
    local, _, domain = mine.partition("@")
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    assert_refused(smtp, thread, mail(forged, "Let me in."), says="not a valid reply address")


def test_an_address_of_another_domain_is_refused(smtp, thread, customer):
    assert_refused(smtp, thread, mail("help@forum.example", "Hello?"), says="not a valid reply address")


def test_someone_else_using_a_persons_address_is_refused(smtp, thread, customer):
    raw = mail(address_of(customer, thread), "Posting as Jeff.", sender="mallory@evil.example")
    assert_refused(smtp, thread, raw, says="belongs to another person", to="mallory@evil.example")


def test_a_suspended_person_is_refused(smtp, thread, customer, moderator):
    until = timezone.now() + timedelta(days=3)
    moderation.suspend_user(moderator=moderator, user=customer, until=until, reason="Spam.")
    assert_refused(smtp, thread, mail(address_of(customer, thread), "Still here."), says="Your account is suspended")


def test_a_locked_thread_is_refused(smtp, thread, customer, moderator):
    thread_actions.set_locked(moderator=moderator, thread=thread, locked=True)
    assert_refused(smtp, thread, mail(address_of(customer, thread), "One more thing."), says="This thread is locked")


def test_an_empty_reply_is_refused(smtp, thread, customer):
    quote_only = "On Sat, Dec 5, 2026 at 7:00 AM Barnraise wrote:\n> Hello Jeff,\n> Dana replied\n"
    assert_refused(smtp, thread, mail(address_of(customer, thread), quote_only), says="no text of its own")


def test_posting_too_fast_by_email_is_refused_like_on_the_web(smtp, settings, thread, customer):
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"reply": (1, 300)}}
    assert inbound.receive(mail(address_of(customer, thread), "First.")).status == "posted"
    assert_refused(smtp, thread, mail(address_of(customer, thread), "Second."), says="You're posting too fast")


def test_an_image_the_web_would_refuse_is_refused(smtp, thread, customer):
    raw = mail(address_of(customer, thread), "Look at this.", attach=b"<html>not a png</html>")
    assert_refused(smtp, thread, raw, says="router.png")


AUTOMATIC = {
    "our own mail": {"X_Barnraise_Mail": "refusal"},
    "our own Message-ID": {"Message_ID": "<0123abcd@127.0.0.1>"},
    "Auto-Submitted": {"Auto_Submitted": "auto-replied"},
    "X-Autoreply": {"X_Autoreply": "yes"},
    "Precedence bulk": {"Precedence": "bulk"},
    "Precedence auto_reply": {"Precedence": "auto_reply"},
    "Precedence list": {"Precedence": "list"},
    "empty return path": {"Return_Path": "<>"},
}


@pytest.mark.parametrize("headers", AUTOMATIC.values(), ids=AUTOMATIC.keys())
def test_auto_replies_bounces_and_our_own_mail_are_never_answered(smtp, thread, customer, headers):
    for to in (address_of(customer, thread), "reply+forged.aaaa@" + REPLY_DOMAIN):
        raw = mail(to, "I am out of the office until Monday.", **headers)
        assert inbound.receive(raw).status == "ignored"
    assert replies(thread) == []
    assert smtp.messages == []


def test_a_bounce_from_the_mailer_daemon_or_a_delivery_report_is_never_answered(smtp, thread, customer):
    bounce = mail(address_of(customer, thread), "Delivery failed.", sender="MAILER-DAEMON@mx.mail.example")
    assert inbound.receive(bounce).status == "ignored"
    report = EmailMessage()
    report["From"] = "postmaster@mail.example"
    report["To"] = address_of(customer, thread)
    report.set_content("Undeliverable")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')
    assert inbound.receive(bytes(report)).status == "ignored"
    assert inbound.receive(mail(address_of(customer, thread), "bounce"), sender="").status == "ignored"
    assert replies(thread) == [] and smtp.messages == []


# ---- Staff notes by email ----


def test_a_staff_note_by_email_is_written_on_the_vendors_private_stream(smtp, thread, vendor, staff):
    from swarm.models import StaffNote

    raw = mail(address_of(staff, thread, vendor), "Known firmware bug, ticket 4411.", sender=staff.email)
    result = inbound.receive(raw)
    assert result.status == "posted"
    note = StaffNote.objects.get(pk=result.created_id)
    assert (note.author, note.vendor, note.body) == (staff, vendor, "Known firmware bug, ticket 4411.")
    assert replies(thread) == [], "a note is never a public reply"
    assert inbound.receive(raw).created_id == note.pk, "the same message writes one note"


def test_a_note_address_of_someone_no_longer_staff_is_refused(smtp, thread, vendor, customer):
    raw = mail(address_of(customer, thread, vendor), "Internal: refund him.")
    assert_refused(smtp, thread, raw, says=f"Only verified staff of {vendor.name}")


def test_staff_reply_carries_the_badge(smtp, thread, vendor):
    priya = make_staff("priya", vendor)
    result = inbound.receive(mail(address_of(priya, thread), "Northwind here: update to 2.1.", sender=priya.email))
    assert Post.objects.get(pk=result.created_id).staff_vendor == vendor


@pytest.mark.parametrize("command", ["mail_gateway", "mail_receive"])
def test_the_mail_commands_say_what_to_set_when_replies_by_email_are_off(settings, command):
    from django.core.management import CommandError, call_command

    settings.REPLY_EMAIL_DOMAIN = ""
    with pytest.raises(CommandError, match="Set REPLY_EMAIL_DOMAIN"):
        call_command(command)
