"""The REST API: credentials, errors, rate limits, threads, posts, events and private streams."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from forum import timeline
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, Membership, PersonalAccessToken, Thread, VendorApiKey
from tests.conftest import client_for, make_staff
from tests.forum.api_helpers import ApiClient, _fresh_rate_limits, assert_error, key_client, token_client  # noqa: F401

pytestmark = pytest.mark.django_db

SECRET_RE = re.compile(r'<code class="secret-value">([^<]+)</code>')


def shown_secret(html: str) -> str | None:
    match = SECRET_RE.search(html)
    return match.group(1) if match else None


def private_note(thread: Thread, vendor, author, body: str = "Known firmware bug, ticket FW-1234") -> Event:
    """An event on the vendor's private stream (what swarm's staff notes record)."""
    with transaction.atomic():
        return timeline.record(
            thread=thread, kind=EventKind.NOTE, actor=author, vendor=vendor, data={"note": 0, "body": body}
        )


# Credentials


def test_a_personal_token_is_shown_once_stored_hashed_and_stops_working_when_revoked(customer):
    browser = client_for(customer)
    assert reverse("forum:api_tokens") in browser.get(reverse("forum:profile", args=["jeff"])).text
    assert reverse("forum:api_tokens") not in client_for(None).get(reverse("forum:profile", args=["jeff"])).text
    page = browser.post(reverse("forum:api_tokens"), {"name": "laptop", "scope": "write"}, follow=True)
    raw = shown_secret(page.text)
    assert raw and raw.startswith("brp_")
    assert shown_secret(browser.get(reverse("forum:api_tokens")).text) is None  # shown once only

    token = PersonalAccessToken.objects.get(user=customer)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.prefix, token.name, token.token_hash) and raw.startswith(token.prefix)

    api = ApiClient(raw)
    me = api.get("/api/me")
    assert me.status_code == 200 and me.json()["username"] == "jeff" and me.json()["auth"] == "token"

    browser.post(reverse("forum:api_token_revoke", args=[token.pk]))
    assert_error(api.get("/api/me"), 401, "unauthorized")
    assert "revoked" in browser.get(reverse("forum:api_tokens")).text


def test_someone_elses_token_cannot_be_revoked(customer, other_customer):
    token_client(customer)
    token = PersonalAccessToken.objects.get(user=customer)
    response = client_for(other_customer).post(reverse("forum:api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_read_only_token_cannot_write(customer, thread):
    api = token_client(customer, scope="read")
    assert api.get(f"/api/threads/{thread.pk}").status_code == 200
    assert_error(api.post(f"/api/threads/{thread.pk}/posts", {"body": "Any news?"}), 403, "forbidden")
    assert thread.posts.count() == 1


def test_a_garbage_or_unknown_token_is_refused(thread):
    for header in ("Bearer brp_nope", "Bearer brk_nope", "Bearer xyz", "Basic abc", "Bearer "):
        response = Client().get("/api/threads", HTTP_AUTHORIZATION=header)
        assert_error(response, 401, "unauthorized")
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_vendor_admin_creates_a_key_on_the_vendor_page_and_it_reads_only_its_own_private_stream(
    vendor, other_vendor, vendor_admin, other_staff, staff, thread
):
    admin = client_for(vendor_admin)
    assert "API keys and webhooks" in admin.get(reverse("forum:vendor", args=["northwind"])).text
    page = admin.post(reverse("forum:vendor_key_create", args=["northwind"]), {"name": "Zendesk", "scope": "write"})
    page = admin.get(page.url)
    raw = shown_secret(page.text)
    assert raw and raw.startswith("brk_")
    key = VendorApiKey.objects.get(vendor=vendor)
    assert key.token_hash == hashlib.sha256(raw.encode()).hexdigest() and key.created_by == vendor_admin
    assert shown_secret(admin.get(reverse("forum:vendor_api", args=["northwind"])).text) is None

    private_note(thread, vendor, staff)
    private_note(thread, other_vendor, other_staff, body="Bluewave internal")
    api = ApiClient(raw)
    assert api.get("/api/me").json()["key_vendor"] == "northwind"
    own = api.get(f"/api/threads/{thread.pk}/events", stream="northwind")
    assert own.status_code == 200 and [e["data"]["body"] for e in own.json()["events"]] == [
        "Known firmware bug, ticket FW-1234"
    ]
    assert_error(api.get(f"/api/threads/{thread.pk}/events", stream="bluewave"), 404, "not_found")

    admin.post(reverse("forum:vendor_key_revoke", args=["northwind", key.pk]))
    assert_error(api.get("/api/me"), 401)


def test_only_the_vendors_admins_see_and_use_its_api_page(vendor, vendor_admin, staff, other_staff, customer):
    for outsider in (staff, other_staff, customer):
        browser = client_for(outsider)
        assert browser.get(reverse("forum:vendor_api", args=["northwind"])).status_code == 403
        browser.post(reverse("forum:vendor_key_create", args=["northwind"]), {"name": "x", "scope": "write"})
    assert not VendorApiKey.objects.exists()
    assert client_for(None).get(reverse("forum:vendor_api", args=["northwind"])).status_code == 302


def test_a_key_stops_working_when_its_creator_is_no_longer_an_admin(vendor, vendor_admin):
    api = key_client(vendor_admin, vendor)
    assert api.get("/api/me").status_code == 200
    Membership.objects.filter(user=vendor_admin, vendor=vendor).update(role=Membership.Role.STAFF)
    error = assert_error(api.get("/api/me"), 401)
    assert "no longer an admin" in error["message"]


def test_the_session_needs_a_csrf_token_for_writes(customer, thread):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)
    url = f"/api/threads/{thread.pk}/posts"
    assert browser.get("/api/me").status_code == 200
    error = assert_error(browser.post(url, {"body": "From the browser"}, content_type="application/json"), 403)
    assert "CSRF" in error["message"]
    browser.get(reverse("forum:home"))
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(url, {"body": "From the browser"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


# Errors and limits


def test_errors_have_one_json_shape(customer, thread):
    api = token_client(customer)
    assert_error(api.get("/api/threads", cursor="not-a-cursor"), 400, "bad_cursor")
    assert_error(Client().post("/api/threads", {}, content_type="application/json"), 401, "unauthorized")
    assert_error(api.get("/api/threads/999999"), 404, "not_found")
    assert_error(api.get("/api/no/such/endpoint"), 404, "not_found")
    assert_error(Client().delete("/api/threads"), 405, "method_not_allowed")
    error = assert_error(api.post("/api/threads", {"title": 5}), 422, "invalid_request")
    assert "title" in error["fields"] and "body" in error["fields"]
    broken = api.client.post("/api/threads", "{", content_type="application/json", **api.headers)
    assert broken.status_code in (400, 422) and "error" in broken.json()
    error = assert_error(api.post("/api/threads", {"title": "  ", "body": "Help"}), 400)
    assert error["message"]
    assert Thread.objects.count() == 1


def test_too_many_requests_answer_429_with_retry_after(settings, customer, other_customer):
    settings.API_RATE_LIMIT = (3, 60)
    api = token_client(customer)
    for _ in range(3):
        assert api.get("/api/tags").status_code == 200
    response = api.get("/api/tags")
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert token_client(other_customer).get("/api/tags").status_code == 200  # per token


def test_the_docs_page_lists_every_endpoint_without_the_console_script():
    page = Client().get("/api/docs").text
    schema = Client().get("/api/openapi.json").json()
    for path, item in schema["paths"].items():
        for method in item:
            assert f'<code class="api-method api-method-{method}">{method.upper()}</code> <code>{path}</code>' in page
    assert "swagger-ui" not in page  # no 1.7 MB console on the reference page
    assert 'href="/api/docs/try"' in page and 'href="#schema-ThreadOut"' in page


def test_the_interactive_console_loads_its_assets_from_this_site_under_the_strict_csp():
    response = Client().get("/api/docs/try")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    scripts = re.findall(r'<script src="([^"]+)"', response.text)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "<script>" not in response.text  # nothing inline; the settings block is JSON data
    schema = Client().get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/api/threads" in schema["paths"]


# Threads, posts, search, tags, vendors


def test_a_thread_asked_through_the_api_is_the_same_as_one_asked_on_the_web(customer, vendor):
    api = token_client(customer)
    response = api.post(
        "/api/threads", {"title": "Router reboots nightly", "body": "Hi @northwind, it reboots.", "tags": ["router"]}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["tags"] == ["router"] and body["vendors"] == ["northwind"] and body["posts"][0]["is_question"]
    thread = Thread.objects.get(pk=body["id"])
    assert Event.objects.filter(thread=thread, kind=EventKind.POSTED).count() == 1
    assert Client().get(thread.get_absolute_url()).status_code == 200
    reply = api.post(f"/api/threads/{thread.pk}/posts", {"body": "Still happening."})
    assert reply.status_code == 201 and reply.json()["thread"] == thread.pk
    assert api.get(f"/api/posts/{reply.json()['id']}").json()["body"] == "Still happening."


def test_a_locked_thread_refuses_replies_through_the_api_too(customer, moderator, thread):
    thread_actions.set_locked(moderator=moderator, thread=thread, locked=True)
    error = assert_error(token_client(customer).post(f"/api/threads/{thread.pk}/posts", {"body": "Hello?"}), 403)
    assert "locked" in error["message"]


def test_thread_lists_filter_and_page_with_a_cursor(customer, vendor):
    for i in range(5):
        thread_actions.create_thread(author=customer, title=f"Problem number {i}", body="Details", tags="wifi")
    thread_actions.create_thread(author=customer, title="Ask @northwind", body="Hi @northwind", tags="router")
    api = ApiClient()
    seen, cursor = [], None
    while True:
        page = api.get("/api/threads", tag="wifi", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Problem number {i}" for i in reversed(range(5))]
    assert [t["title"] for t in api.get("/api/threads", vendor="northwind").json()["items"]] == ["Ask @northwind"]
    assert api.get("/api/threads", status="solved").json()["items"] == []
    assert api.get("/api/threads", tag="nosuchtag").json()["items"] == []
    assert_error(api.get("/api/threads", vendor="nosuchvendor"), 404)
    assert_error(api.get("/api/threads", status="weird"), 422)


def test_search_tags_and_vendors(thread, reply, vendor):
    api = ApiClient()
    hits = api.get("/api/search", q="wifi").json()["hits"]
    assert [h["thread"]["id"] for h in hits] == [thread.pk]
    assert {t["name"] for t in api.get("/api/tags").json()} >= {"wifi", "tablet"}
    assert [v["handle"] for v in api.get("/api/vendors").json()] == ["northwind"]
    assert api.get("/api/vendors/northwind").json()["name"] == "Northwind Devices"
    assert_error(api.get("/api/search", q="x" * 201), 422)


def test_notifications_through_the_api(customer, thread, reply):
    items = token_client(customer).get("/api/me/notifications").json()
    assert [(n["kind"], n["event"]["kind"]) for n in items] == [("reply", "replied")]
    assert_error(ApiClient().get("/api/me"), 403)


# Timeline events and private streams


def test_a_threads_events_use_the_websocket_sequence_numbers(customer, thread, reply, expert):
    post_actions.reply(author=customer, thread=thread, body="That fixed it!")
    api = ApiClient()
    feed = api.get(f"/api/threads/{thread.pk}/events").json()
    assert [e["seq"] for e in feed["events"]] == [1, 2, 3] and feed["last_seq"] == 3
    assert [e["kind"] for e in feed["events"]] == ["posted", "replied", "replied"]
    after = api.get(f"/api/threads/{thread.pk}/events", after=2).json()
    assert [e["seq"] for e in after["events"]] == [3]
    assert api.get(f"/api/threads/{thread.pk}/events", after=3).json() == {
        "stream": "public",
        "events": [],
        "last_seq": 3,
    }


def test_private_notes_never_reach_anyone_outside_the_vendor(
    vendor, other_vendor, thread, staff, other_staff, customer, other_customer, expert, moderator, vendor_admin
):
    thread_actions.create_thread(author=customer, title="Also @northwind", body="Hi @northwind")
    post_actions.reply(author=customer, thread=thread, body="Calling @northwind and @bluewave")
    private_note(thread, vendor, staff, body="SECRET-NORTHWIND")
    outsiders = [ApiClient(), token_client(customer), token_client(other_customer), token_client(expert)]
    outsiders += [
        token_client(moderator),
        token_client(other_staff),
        key_client(make_staff("bo", other_vendor, "admin"), other_vendor),
    ]
    insiders = [token_client(staff), token_client(vendor_admin), key_client(vendor_admin, vendor)]
    for api in outsiders + insiders:
        public = api.get(f"/api/threads/{thread.pk}/events").json()["events"]
        assert "SECRET" not in str(public)
        whole = str(api.get("/api/vendors/northwind/events").json()) + str(
            api.get("/api/vendors/bluewave/events").json()
        )
        assert ("SECRET-NORTHWIND" in whole) == (api in insiders)
        private = api.get(f"/api/threads/{thread.pk}/events", stream="northwind")
        if api in insiders:
            assert "SECRET-NORTHWIND" in str(private.json())
        else:
            assert_error(private, 404)
        for item in api.get("/api/me/notifications").json() if api.headers else []:
            assert "SECRET" not in str(item)


def test_a_vendors_feed_pages_by_cursor_over_threads_it_is_on(customer, vendor):
    for i in range(3):
        thread_actions.create_thread(author=customer, title=f"Question {i} for @northwind", body="Hi @northwind")
    thread_actions.create_thread(author=customer, title="Unrelated", body="No vendor here")
    api = ApiClient()
    events, cursor, page = [], "0", {"events": [None]}
    while page["events"]:
        page = api.get("/api/vendors/northwind/events", limit=2, cursor=cursor).json()
        events += page["events"]
        cursor = page["next_cursor"]
    assert len({(e["thread"], e["stream"], e["seq"]) for e in events}) == len(events) == 6  # asked + escalated
    titles = [e["data"]["title"] for e in events if e["kind"] == "posted"]
    assert titles == [f"Question {i} for @northwind" for i in range(3)]


def test_list_and_feed_queries_do_not_grow_with_the_data(customer, expert, vendor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = ApiClient()

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    thread = thread_actions.create_thread(author=customer, title="Ask @northwind", body="Hi @northwind", tags="a b")
    post_actions.reply(author=expert, thread=thread, body="One")
    paths = [
        "/api/threads",
        f"/api/threads/{thread.pk}",
        f"/api/threads/{thread.pk}/events",
        "/api/vendors/northwind/events",
    ]
    before = [count(p) for p in paths]
    for i in range(4):
        other = thread_actions.create_thread(
            author=expert, title=f"More @northwind {i}", body="Hi @northwind", tags="c d"
        )
        post_actions.reply(author=customer, thread=thread, body=f"Reply {i}")
        post_actions.reply(author=customer, thread=other, body=f"Reply {i}")
    assert [count(p) for p in paths] == before
