"""Deleting an account: the person's own choice, confirmed with their password (and second factor);
posts stay as "deleted user", everything personal goes, the username stays taken, sockets close."""

from __future__ import annotations

import io
import json

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from config.asgi import application
from forum.actions import accounts, moderation
from forum.actions import follows as follow_actions
from forum.actions import posts as post_actions
from forum.models import Event, Membership, ModerationLog, Notification, Post, TagFollow, ThreadFollow, User
from swarm.actions import escalations
from tests.conftest import PASSWORD, client_for
from tests.forum.api_helpers import token_client
from tests.forum.test_mfa import _code as totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _delete(client: Client, password: str = PASSWORD, **extra):
    return client.post("/settings/delete/", {"password": password, "confirm": "on", **extra})


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (80, 80), (10, 200, 90)).save(out, "PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def test_deleting_keeps_the_posts_as_deleted_user_and_removes_everything_personal(
    customer, expert, thread, media, django_capture_on_commit_callbacks
):
    accounts.set_avatar(user=customer, upload=_png())
    api = token_client(customer)
    follow_actions.follow_tag(user=customer, tag=thread.tags.first())
    post_actions.reply(author=expert, thread=thread, body="Forget the network, then join again.")
    assert Notification.objects.filter(recipient=customer).exists()
    question = thread.posts.get(is_question=True)
    other_session = client_for(customer)
    events = Event.objects.count()

    client = client_for(customer)
    assert "Delete my account" in client.get("/settings/delete/").text
    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(client)
    assert response.status_code == 200 and "Your account is deleted" in response.text

    gone = User.objects.get(pk=customer.pk)
    assert gone.username == f"deleted-{gone.pk}" and gone.name == "deleted user"
    assert (gone.email, gone.display_name, gone.bio, gone.avatar_key) == ("", "", "", "")
    assert not gone.is_active and not gone.has_usable_password()
    assert not EmailAddress.objects.filter(user=gone).exists()
    assert not TagFollow.objects.filter(user=gone).exists() and not ThreadFollow.objects.filter(user=gone).exists()
    assert not Notification.objects.filter(recipient=gone).exists()
    assert not any(media.rglob("*.webp")), "the picture's files are removed"
    # Signed out here and everywhere; the API token no longer works.
    assert client.get("/settings/").status_code == 302
    assert other_session.get("/settings/").status_code == 302
    assert api.post("/api/threads", {"title": "Still me?", "body": "Posting as a deleted account."}).status_code == 401

    # The question is still there, by "deleted user", with no profile link and no picture.
    page = Client().get(thread.get_absolute_url()).text
    assert Post.objects.filter(pk=question.pk).exists() and "loses <strong>wifi</strong>" in page
    assert "deleted user" in page and "Jeff Morrow" not in page
    assert "/u/jeff/" not in page and f"/u/deleted-{gone.pk}/" not in page
    assert Client().get("/u/jeff/").status_code == 404
    assert Client().get(f"/u/deleted-{gone.pk}/").status_code == 404
    assert "deleted user" in Client().get("/").text
    # One audit row with no name in it, and no event on any thread.
    [log] = ModerationLog.objects.filter(target_user=gone)
    assert log.action == ModerationLog.Action.ACCOUNT_DELETED and "jeff" not in json.dumps(log.data)
    assert Event.objects.count() == events


def test_the_username_cannot_be_taken_again(customer):
    _delete(client_for(customer))
    for name in ("jeff", "JEFF", f"deleted-{customer.pk}", "deleted-999"):
        with pytest.raises(ValidationError):
            get_adapter().clean_username(name)
    response = Client().post(
        "/accounts/signup/",
        {"email": "imposter@mail.example", "username": "Jeff", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200 and "reserved" in response.text
    assert not User.objects.filter(username__iexact="jeff").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "wrong-password", "confirm": "on"}, "That is not your password."),
        ({"password": "", "confirm": "on"}, "This field is required."),
        ({"password": PASSWORD}, "This field is required."),
    ],
)
def test_a_wrong_or_missing_confirmation_changes_nothing(customer, data, message):
    response = client_for(customer).post("/settings/delete/", data)
    assert response.status_code == 400 and message in response.text
    customer.refresh_from_db()
    assert customer.username == "jeff" and customer.is_active and customer.deleted_at is None


def test_password_guessing_is_limited(customer, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"account_delete": (2, 900)}}
    client = client_for(customer)
    for _ in range(2):
        _delete(client, password="guess")
    response = _delete(client)  # even the right password waits now
    assert response.status_code == 400 and "Too many attempts" in response.text
    assert User.objects.get(pk=customer.pk).deleted_at is None


def test_with_two_factors_a_code_is_needed_too(customer):
    secret = generate_totp_secret()
    TOTP.activate(customer, secret)
    client = client_for(customer)
    assert "authenticator app" in client.get("/settings/delete/").text
    response = _delete(client)
    assert response.status_code == 400 and "Enter a code" in response.text
    assert _delete(client, code="000000").status_code == 400
    assert User.objects.get(pk=customer.pk).deleted_at is None
    assert _delete(client, code=totp_code(secret)).status_code == 200
    assert User.objects.get(pk=customer.pk).deleted_at is not None


def test_nobody_deletes_someone_else(customer, other_customer):
    with pytest.raises(PermissionDenied):
        accounts.delete_account(actor=other_customer, user=customer)
    # The page only ever acts on the signed-in person: no id to change, and it needs a CSRF token.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    assert strict.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"}).status_code == 403
    assert Client().post("/settings/delete/", {"password": PASSWORD, "confirm": "on"}).status_code == 302
    assert User.objects.filter(deleted_at__isnull=False).count() == 0


def test_a_suspended_member_can_still_delete_their_account(customer, moderator):
    moderation.suspend_user(moderator=moderator, user=customer, until=None, reason="Spam links")
    assert _delete(client_for(customer)).status_code == 200
    gone = User.objects.get(pk=customer.pk)
    assert gone.deleted_at is not None and gone.suspension_reason == ""


def test_admins_are_not_deleted_here(customer):
    customer.is_superuser = True
    customer.save(update_fields=["is_superuser"])
    response = _delete(client_for(customer))
    assert response.status_code == 403 and "another administrator" in response.text
    assert User.objects.get(pk=customer.pk).deleted_at is None


def test_staff_lose_their_role_and_the_customers_escalation_stays_readable(customer, staff, vendor, thread):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    assert _delete(client_for(staff)).status_code == 200
    membership = Membership.objects.get(user=staff, vendor=vendor)
    assert membership.status == Membership.Status.REVOKED and membership.granted_email == ""
    assert _delete(client_for(customer)).status_code == 200
    page = Client().get(thread.get_absolute_url()).text
    assert 'Escalated to <a class="badge badge-vendor" href="/v/northwind/">@northwind</a>' in page
    assert "not yet claimed" in page and '<span class="history-who">deleted user</span>' in page
    assert "Tablet drops wifi after sleep" in page and "deleted user" in page


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_close_when_the_account_is_deleted(customer, thread):
    origin = [(b"origin", b"http://127.0.0.1:8000")]
    bell = WebsocketCommunicator(application, "/ws/me/", headers=origin)
    bell.scope["user"] = customer
    live = WebsocketCommunicator(application, f"/ws/t/{thread.pk}/", headers=origin)
    live.scope["user"] = customer
    for ws in (bell, live):
        connected, _ = await ws.connect()
        assert connected
        await ws.receive_from(timeout=3)  # the unread count / hello

    await database_sync_to_async(accounts.delete_account)(actor=customer, user=customer)

    for ws in (bell, live):
        while True:
            message = await ws.receive_output(timeout=3)
            if message["type"] == "websocket.close":
                break
        assert message["code"] == 4401
