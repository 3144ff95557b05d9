"""The composer's preview and @mention endpoints (forum/views/composer.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PREVIEW = "/compose/preview/"
MENTIONS = "/compose/mentions/"


def test_preview_renders_with_the_servers_renderer_and_sanitiser(customer, expert):
    response = client_for(customer).post(
        PREVIEW, {"body": f"**bold** <script>alert(1)</script> [x](javascript:alert(1)) @{expert.username}"}
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html
    assert f'<a class="mention" href="/u/{expert.username}/"' in html


def test_preview_refuses_visitors_suspended_and_get(customer):
    assert client_for(None).post(PREVIEW, {"body": "hi"}).status_code == 403
    assert client_for(customer).get(PREVIEW).status_code == 405
    User.objects.filter(pk=customer.pk).update(suspended_at=timezone.now(), suspended_until=None)
    response = client_for(customer).post(PREVIEW, {"body": "hi"})
    assert response.status_code == 403
    assert "suspended" in response.json()["error"]


def test_preview_bad_input_gets_a_message_not_a_500(customer, settings):
    client = client_for(customer)
    too_long = "a" * (settings.BARNRAISE["BODY_MAX"] + 1)
    response = client.post(PREVIEW, {"body": too_long})
    assert response.status_code == 400 and "Too long" in response.json()["error"]
    response = client.post(PREVIEW, {"body": "[" * 5000 + "*" * 5000})
    assert response.status_code == 400 and "too much formatting" in response.json()["error"]
    assert client.post(PREVIEW, {"body": "nul \x00 and \u202e"}).status_code == 200
    assert client.post(PREVIEW, {}).json() == {"html": ""}


def test_preview_needs_csrf(customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.post(PREVIEW, {"body": "hi"}).status_code == 403


def test_preview_is_rate_limited_with_retry_after(customer, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"preview": (2, 60)}}
    client = client_for(customer)
    assert [client.post(PREVIEW, {"body": "x"}).status_code for _ in range(3)] == [200, 200, 429]
    response = client.post(PREVIEW, {"body": "x"})
    assert int(response["Retry-After"]) >= 1 and "too fast" in response.json()["error"]


def test_mentions_find_people_and_vendors_by_prefix_without_emails(customer, expert, vendor):
    response = client_for(customer).get(MENTIONS, {"q": "d"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert {"kind": "user", "handle": "dana", "name": expert.name} in results
    assert "@" not in response.content.decode().replace('"@', "")  # no address anywhere
    assert "mail.example" not in response.content.decode()
    vendors = client_for(customer).get(MENTIONS, {"q": "north"}).json()["results"]
    assert vendors == [{"kind": "vendor", "handle": "northwind", "name": "Northwind Devices"}]
    assert client_for(customer).get(MENTIONS, {"q": "@Nor"}).json()["results"] == vendors


def test_mentions_return_at_most_eight(customer):
    from tests.conftest import make_user

    for i in range(12):
        make_user(f"sam{i:02d}")
    results = client_for(customer).get(MENTIONS, {"q": "sam"}).json()["results"]
    assert len(results) == 8
    assert [r["handle"] for r in results] == [f"sam{i:02d}" for i in range(8)]


@pytest.mark.parametrize("q", ["", "@", " ", "%", "a" * 41, "x\x00y", "' OR 1=1", "é"])
def test_mentions_bad_input_is_an_empty_list(customer, q):
    response = client_for(customer).get(MENTIONS, {"q": q})
    assert response.status_code == 200 and response.json() == {"results": []}


def test_mentions_skip_inactive_people(customer):
    from tests.conftest import make_user

    make_user("ghosty", is_active=False)
    assert client_for(customer).get(MENTIONS, {"q": "ghost"}).json() == {"results": []}


def test_mentions_refuse_visitors_and_suspended_and_are_rate_limited(customer, settings):
    assert client_for(None).get(MENTIONS, {"q": "da"}).status_code == 403
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"mention_suggest": (1, 60)}}
    client = client_for(customer)
    assert client.get(MENTIONS, {"q": "da"}).status_code == 200
    limited = client.get(MENTIONS, {"q": "da"})
    assert limited.status_code == 429 and limited["Retry-After"]
    User.objects.filter(pk=customer.pk).update(
        suspended_at=timezone.now(), suspended_until=timezone.now() + timedelta(days=1)
    )
    assert client_for(customer).get(MENTIONS, {"q": "da"}).status_code == 403


def test_ask_reply_and_edit_use_the_composer_and_keep_the_idempotency_key(customer, thread):
    client = client_for(customer)
    pages = {
        "ask": client.get("/ask/").content.decode(),
        "reply": client.get(thread.get_absolute_url()).content.decode(),
        "edit": client.get(f"/p/{thread.posts.get(is_question=True).pk}/edit/").content.decode(),
    }
    for name, html in pages.items():
        assert "data-composer " in html, name
        assert 'name="idempotency_key"' in html, name
        assert "/static/js/composer.js" in html, name
    assert f'data-draft="reply:t{thread.pk}:u{customer.pk}"' in pages["reply"]
    assert 'data-preview-url="/compose/preview/"' in pages["ask"]
    assert "Who sees this?" not in pages["reply"]  # the staff switch is for staff only
