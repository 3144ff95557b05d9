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


# ---- Time zone and language ----


def test_times_show_in_the_chosen_time_zone(customer, thread):
    client = client_for(customer)
    assert 'title="' in client.get(thread.get_absolute_url()).text
    response = client.post("/settings/preferences/", {"time_zone": "Asia/Kolkata", "language": ""})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.time_zone, customer.language) == ("Asia/Kolkata", "")
    mine = client.get(thread.get_absolute_url()).text
    assert " IST" in mine and " UTC" not in mine.split("<main", 1)[-1]
    # Visitors, and anyone without a choice, still see the site's zone.
    assert " IST" not in client_for(None).get(thread.get_absolute_url()).text
    page = client.get("/settings/").text
    assert '<option value="Asia/Kolkata" selected>' in page


def test_the_chosen_language_is_used_for_that_person_only(customer, other_customer, settings):
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
    client = client_for(customer)
    assert client.post("/settings/preferences/", {"time_zone": "", "language": "de"}).status_code == 302
    # A form error from Django's own catalogue comes out in German, and the page says which language it is in.
    response = client.post("/settings/avatar/", {})
    assert response.status_code == 400
    assert "Es wurde keine Datei übermittelt" in response.text or "Dieses Feld ist zwingend" in response.text
    assert response["Content-Language"] == "de"
    theirs = client_for(other_customer).post("/settings/avatar/", {})
    assert "This field is required" in theirs.text or "No file was submitted" in theirs.text
    # Nothing carries over to the next request served by the same thread, signed in or not.
    client.post("/settings/avatar/", {})
    assert "This field is required" in client_for(other_customer).post("/settings/avatar/", {}).text
    assert client_for(None).get("/").get("Content-Language", "en") != "de"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons", "language": ""}, "Select a valid choice"),
        ({"time_zone": "", "language": "klingon"}, "Select a valid choice"),
        ({"time_zone": "../../etc/passwd", "language": ""}, "Select a valid choice"),
    ],
)
def test_unknown_time_zones_and_languages_are_refused(customer, data, message):
    client_for(customer).post("/settings/preferences/", {"time_zone": "Europe/Berlin", "language": ""})
    response = client_for(customer).post("/settings/preferences/", data)
    assert response.status_code == 400 and message in response.text
    customer.refresh_from_db()
    assert (customer.time_zone, customer.language) == ("Europe/Berlin", "")


def test_the_action_checks_choices_too(customer):
    from django.core.exceptions import ValidationError

    from forum.actions import accounts

    with pytest.raises(ValidationError):
        accounts.update_preferences(user=customer, time_zone="Nowhere/Town", language="")
    with pytest.raises(ValidationError):
        accounts.update_preferences(user=customer, time_zone="", language="xx")
    customer.refresh_from_db()
    assert (customer.time_zone, customer.language) == ("", "")


def test_preferences_need_a_csrf_token(customer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    assert strict.post("/settings/preferences/", {"time_zone": "Asia/Tokyo"}).status_code == 403
    customer.refresh_from_db()
    assert customer.time_zone == ""
