"""API limits that hold under abuse: vendor keys act as the vendor, token caps, per-user and per-vendor rates."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from config.api import api
from forum.actions import api as api_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import PersonalAccessToken, Post, Thread, User
from swarm.actions import escalations
from swarm.models import Escalation, StaffNote
from tests.conftest import client_for, make_staff
from tests.forum.api_helpers import ApiClient, _fresh_rate_limits, assert_error, key_client, token_client  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(customer, expert, vendor, other_vendor, vendor_admin, staff):
    """A thread escalated to both vendors, a reply, and a Northwind key."""
    make_staff("bo", other_vendor, "admin")
    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
    reply = post_actions.reply(author=expert, thread=thread, body="Try another cable.")
    return {
        "thread": thread,
        "reply": reply,
        "north": escalations.escalate(user=customer, thread=thread, handle="northwind"),
        "blue": escalations.escalate(user=customer, thread=thread, handle="bluewave"),
        "key": key_client(vendor_admin, vendor),
    }


# Every API route, and what a Northwind key gets from it. Writes aim at what a person
# does, or at Bluewave's escalation and notes: all refused. A new route must be added here.
def route_table(s) -> tuple[dict[tuple[str, str], tuple[int, dict]], dict]:
    ids = {
        "thread_id": s["thread"].pk,
        "post_id": s["reply"].pk,
        "handle": "bluewave",
        "escalation_id": s["blue"].pk,
        "article_id": 9999,
    }
    return {
        ("get", "/api/threads"): (200, {}),
        ("post", "/api/threads"): (403, {"title": "Bought followers?", "body": "Cheap!"}),
        ("get", "/api/threads/{thread_id}"): (200, {}),
        ("post", "/api/threads/{thread_id}/posts"): (403, {"body": "As jeff, surely"}),
        ("get", "/api/posts/{post_id}"): (200, {}),
        ("get", "/api/search"): (200, {"q": "dock"}),
        ("get", "/api/tags"): (200, {}),
        ("get", "/api/vendors"): (200, {}),
        ("get", "/api/vendors/{handle}"): (200, {}),
        ("get", "/api/threads/{thread_id}/events"): (404, {"stream": "bluewave"}),
        ("get", "/api/vendors/{handle}/events"): (200, {}),
        ("get", "/api/me"): (200, {}),
        ("get", "/api/me/notifications"): (403, {}),
        ("get", "/api/escalations"): (200, {}),
        ("get", "/api/escalations/{escalation_id}"): (200, {}),
        ("post", "/api/threads/{thread_id}/escalations"): (403, {"vendor": "northwind"}),
        ("post", "/api/escalations/{escalation_id}/claim"): (403, {}),
        ("post", "/api/escalations/{escalation_id}/release"): (403, {}),
        ("post", "/api/escalations/{escalation_id}/hand-off"): (403, {"to_handle": "northwind", "note": "ours"}),
        ("post", "/api/escalations/{escalation_id}/resolve"): (403, {}),
        ("post", "/api/escalations/{escalation_id}/confirm"): (403, {"solved": True}),
        ("post", "/api/escalations/{escalation_id}/rating"): (403, {"rating": 5}),
        ("get", "/api/threads/{thread_id}/notes"): (403, {"vendor": "bluewave"}),
        ("post", "/api/threads/{thread_id}/notes"): (403, {"vendor": "bluewave", "body": "planted"}),
        ("post", "/api/escalations/{escalation_id}/ticket"): (403, {"key": "BW-1", "url": "https://x.example/1"}),
        ("get", "/api/escalations/{escalation_id}/ticket"): (404, {}),
        ("get", "/api/articles"): (200, {}),
        ("get", "/api/articles/{article_id}"): (404, {}),
        ("get", "/api/articles/{article_id}/history"): (404, {}),
        ("get", "/api/reuse"): (200, {}),
        ("get", "/api/gaps"): (200, {}),  # the key's own vendor's gaps
    }, ids


def test_every_api_route_with_a_vendor_key_acts_for_the_vendor_only(scene):
    table, ids = route_table(scene)
    schema = {(m, p) for p, ops in api.get_openapi_schema()["paths"].items() for m in ops}
    assert set(table) == schema, "classify every API route for vendor keys"
    before = (Post.objects.count(), Thread.objects.count(), StaffNote.objects.count(), Escalation.objects.count())
    for (method, path), (status, data) in table.items():
        url = path.format(**ids)
        response = getattr(scene["key"], method)(url, **data) if method == "get" else scene["key"].post(url, data)
        assert response.status_code == status, (method, path, response.content)
        assert "SECRET" not in response.content.decode()
    after = (Post.objects.count(), Thread.objects.count(), StaffNote.objects.count(), Escalation.objects.count())
    assert after == before
    scene["blue"].refresh_from_db()
    assert scene["blue"].state == Escalation.State.OPEN and scene["blue"].claimed_by_id is None


def test_a_vendor_key_acts_as_the_vendors_service_account_not_as_its_admin(scene, vendor, vendor_admin):
    key = scene["key"]
    me = key.get("/api/me").json()
    assert me["username"] == "northwind+api" and me["auth"] == "key" and me["key_vendor"] == "northwind"
    claimed = key.post(f"/api/escalations/{scene['north'].pk}/claim").json()
    assert claimed["claimed_by"] == "northwind+api"
    note = key.post(f"/api/threads/{scene['thread'].pk}/notes", {"vendor": "northwind", "body": "FW-9"})
    assert note.status_code == 201 and note.json()["author"] == "northwind+api"
    assert not StaffNote.objects.filter(author=vendor_admin).exists()
    assert_error(key.get("/api/me/notifications"), 403, "forbidden")


def test_the_service_account_cannot_take_part_as_a_person_even_through_the_actions(scene, vendor):
    service = User.objects.get(service_vendor=vendor)
    assert not service.has_usable_password()
    with pytest.raises(PermissionDenied, match="acts for the vendor"):
        post_actions.reply(author=service, thread=scene["thread"], body="Planted")
    with pytest.raises(PermissionDenied):
        thread_actions.create_thread(author=service, title="Planted", body="Planted")
    assert not Post.objects.filter(author=service).exists()
    browser = client_for(None)
    login = browser.post(reverse("account_login"), {"login": service.username, "password": ""})
    assert "_auth_user_id" not in browser.session and login.status_code == 200


def test_personal_tokens_are_capped_with_a_clear_message(settings, customer):
    settings.API_TOKENS_PER_USER = 3
    browser = client_for(customer)
    for n in range(3):
        browser.post(reverse("forum:api_tokens"), {"name": f"laptop {n}", "scope": "read"})
    page = browser.post(reverse("forum:api_tokens"), {"name": "one more", "scope": "read"}, follow=True).text
    assert "You already have 3 active tokens" in page
    assert PersonalAccessToken.objects.filter(user=customer).count() == 3
    token = PersonalAccessToken.objects.filter(user=customer).first()
    api_actions.revoke_token(user=customer, token=token)
    api_actions.create_token(user=customer, name="after revoking one")  # room again
    assert PersonalAccessToken.objects.filter(user=customer, revoked_at__isnull=True).count() == 3


def test_vendor_keys_are_capped_too(settings, vendor, vendor_admin):
    settings.API_KEYS_PER_VENDOR = 2
    key_client(vendor_admin, vendor)
    key_client(vendor_admin, vendor)
    with pytest.raises(Exception, match="already has 2 active API keys"):
        key_client(vendor_admin, vendor)


def test_the_rate_limit_counts_per_user_not_per_token(settings, customer, other_customer):
    settings.API_RATE_LIMIT = (4, 60)
    first, second = token_client(customer), token_client(customer)
    browser = ApiClient()
    browser.client.force_login(customer)
    for api_client in (first, second, browser, first):
        assert api_client.get("/api/tags").status_code == 200
    for api_client in (first, second, browser):
        assert_error(api_client.get("/api/tags"), 429, "rate_limited")
    assert token_client(other_customer).get("/api/tags").status_code == 200  # someone else is not affected


def test_the_rate_limit_counts_per_vendor_not_per_key(settings, vendor, vendor_admin, staff):
    settings.API_RATE_LIMIT = (3, 60)
    keys = [key_client(vendor_admin, vendor) for _ in range(3)]
    for api_client in keys:
        assert api_client.get("/api/tags").status_code == 200
    for api_client in keys:
        assert_error(api_client.get("/api/tags"), 429, "rate_limited")
    assert token_client(staff).get("/api/tags").status_code == 200  # the staff member's own allowance is separate


@pytest.mark.django_db(transaction=True)
def test_keys_made_before_service_accounts_keep_working_after_the_migration(vendor, vendor_admin):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("forum", "0010_api")])
    old = executor.loader.project_state([("forum", "0010_api")]).apps
    digest = api_actions.hash_secret("brk_before-the-migration")
    old.get_model("forum", "VendorApiKey").objects.create(
        vendor_id=vendor.pk,
        created_by_id=vendor_admin.pk,
        name="old",
        scope="write",
        prefix="brk_before",
        token_hash=digest,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    me = ApiClient("brk_before-the-migration").get("/api/me")
    assert me.status_code == 200 and me.json()["username"] == "northwind+api"
