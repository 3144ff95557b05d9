"""The account settings page: the name others see, and links to email, password and notifications."""

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_change_name_shows_beside_posts(customer, thread):
    client = client_for(customer)
    page = client.get("/settings/").text
    assert 'href="/accounts/email/"' in page and 'href="/accounts/password/change/"' in page
    response = client.post("/settings/", {"display_name": "  Jeff   the Tablet Owner "})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.display_name == "Jeff the Tablet Owner"
    assert "Jeff the Tablet Owner" in client_for(None).get(thread.get_absolute_url()).text


def test_bidi_controls_are_removed_from_names(customer):
    client_for(customer).post("/settings/", {"display_name": "Ev\u202eil\u2067 Name"})
    customer.refresh_from_db()
    assert customer.display_name == "Evil Name"


@pytest.mark.parametrize("name", ["x" * 81, "y" * 5000])
def test_too_long_name_is_refused_clearly(customer, name):
    before = customer.display_name
    response = client_for(customer).post("/settings/", {"display_name": name})
    assert response.status_code == 400
    assert "under 80 characters" in response.text or "at most 200 characters" in response.text
    customer.refresh_from_db()
    assert customer.display_name == before


def test_settings_need_login():
    response = client_for(None).get("/settings/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
