"""A site superuser is not a vendor's staff: no notes, inbox, keys, webhooks or radar, unless verified there."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from forum.actions import api as api_actions
from forum.actions import moderation
from forum.actions import posts as post_actions
from forum.models import Membership, ReviewState, VendorApiKey, WebhookEndpoint
from swarm.actions import escalations, notes, radar
from swarm.models import RadarKeyword
from tests.conftest import client_for, make_staff, make_user

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar internal ticket 7731"


@pytest.fixture
def root(db):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def noted(thread, customer, staff, vendor):
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    notes.add_note(staff=staff, thread=thread, vendor=vendor, body=SECRET)
    return thread


def test_a_superuser_cannot_read_the_vendors_notes_or_inbox(root, noted):
    client = client_for(root)
    assert SECRET not in client.get(noted.get_absolute_url()).content.decode()
    assert client.get("/v/northwind/inbox/").status_code == 403


def test_a_superuser_cannot_create_keys_webhooks_or_radar_keywords(root, vendor):
    with pytest.raises(PermissionDenied):
        api_actions.create_vendor_key(admin=root, vendor=vendor, name="sneaky")
    with pytest.raises(PermissionDenied):
        api_actions.create_webhook(admin=root, vendor=vendor, url="https://hooks.example.com/x", kinds=[])
    with pytest.raises(PermissionDenied):
        radar.add_keyword(admin=root, vendor=vendor, phrase="slate")
    client = client_for(root)
    assert client.get("/v/northwind/api/").status_code == 403
    assert client.post("/v/northwind/api/keys/", {"name": "sneaky"}).status_code == 403
    assert client.post("/v/northwind/radar/", {"phrase": "slate"}).status_code == 403
    assert "API keys and webhooks" not in client.get("/v/northwind/").content.decode()
    assert not VendorApiKey.objects.exists() and not WebhookEndpoint.objects.exists()
    assert not RadarKeyword.objects.exists()


def test_a_superuser_who_is_the_vendors_verified_admin_can(vendor):
    admin = make_staff("sam", vendor, role=Membership.Role.ADMIN)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    _, raw = api_actions.create_vendor_key(admin=admin, vendor=vendor, name="ours")
    assert raw and VendorApiKey.objects.filter(vendor=vendor).count() == 1
    assert client_for(admin).get("/v/northwind/api/").status_code == 200


def test_moderation_tools_stay_with_the_superuser(root, thread, expert):
    reply = post_actions.reply(author=expert, thread=thread, body="Buy cheap pills at spam.example")
    moderation.hide_post(moderator=root, post=reply, reason="spam")
    reply.refresh_from_db()
    assert reply.review_state == ReviewState.HIDDEN
    assert client_for(root).get("/mod/").status_code == 200


def test_a_superuser_still_appoints_a_vendors_staff(root, vendor):
    """Site admins register vendors and verify their first admin; the approval names them."""
    from forum.actions import vendors as vendor_actions

    hopeful = make_user("hope")
    membership = vendor_actions.request_membership(user=hopeful, vendor=vendor)
    vendor_actions.approve_membership(admin=root, membership=membership, role=Membership.Role.ADMIN)
    membership.refresh_from_db()
    assert membership.is_verified and membership.verified_by == root
