"""Helpers for API tests: clients that send a bearer token, and the error shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from forum.actions import api as api_actions
from forum.models import User, Vendor


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


class ApiClient:
    """A Django test client that sends JSON and one Authorization header."""

    def __init__(self, raw: str | None = None) -> None:
        self.client = Client()
        self.headers = bearer(raw) if raw else {}

    def get(self, path: str, **params: Any):
        return self.client.get(path, params, **self.headers)

    def post(self, path: str, data: dict | None = None):
        return self.client.post(path, data or {}, content_type="application/json", **self.headers)


def token_client(user: User, scope: str = "write") -> ApiClient:
    _, raw = api_actions.create_token(user=user, name="tests", scope=scope)
    return ApiClient(raw)


def key_client(admin: User, vendor: Vendor, scope: str = "write") -> ApiClient:
    _, raw = api_actions.create_vendor_key(admin=admin, vendor=vendor, name="tests", scope=scope)
    return ApiClient(raw)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's one error shape, with the given status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives each test's database."""
    cache.clear()
    yield
    cache.clear()
