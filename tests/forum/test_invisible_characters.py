"""Bidirectional controls and invisible characters never reach a page, whatever field they were typed in."""

from __future__ import annotations

import pytest

from forum.models import PersonalAccessToken, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # right-to-left override: "gpj.exe" shows as "exe.jpg"
HIDDEN = [RLO, "\u2066", "\u2069", "\u200f", "\u200b", "\u061c"]


def assert_clean(html: str) -> None:
    found = [f"U+{ord(c):04X}" for c in HIDDEN if c in html]
    assert not found, f"the page shows {found}"


def test_a_token_name_loses_its_bidi_override(customer):
    client = client_for(customer)
    response = client.post("/settings/tokens/", {"name": f"CI {RLO}gpj.exe", "scope": "read"}, follow=True)
    assert response.status_code == 200
    assert PersonalAccessToken.objects.get(user=customer).name == "CI gpj.exe"
    assert_clean(response.content.decode())


def test_a_display_name_loses_marks_and_zero_width_spaces(customer):
    client = client_for(customer)
    client.post("/settings/", {"display_name": "Ke\u200bith\u200f \u2066Admin\u2069"})
    assert User.objects.get(pk=customer.pk).display_name == "Keith Admin"


def test_a_search_query_is_echoed_back_without_them(thread):
    response = client_for(None).get("/search/", {"q": f"wifi {RLO}peels"})
    assert response.status_code == 200
    assert "wifi peels" in response.content.decode()
    assert_clean(response.content.decode())


def test_joiners_and_passwords_are_left_alone():
    """Joiners build emoji and Persian words; a password is compared, never shown."""
    from django.test import RequestFactory

    from forum.middleware import InvisibleCharactersMiddleware

    seen = {}
    middleware = InvisibleCharactersMiddleware(lambda request: seen.update(post=request.POST) or None)
    request = RequestFactory().post("/", {"body": "👩\u200d💻 می\u200cخواهم", "password": f"pa{RLO}ss"})
    middleware(request)
    assert seen["post"]["body"] == "👩\u200d💻 می\u200cخواهم"
    assert seen["post"]["password"] == f"pa{RLO}ss"
