"""Self-service on /ask/: suggestions while typing, deflection counting, similar threads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum import selectors
from forum.actions import selfservice
from forum.actions import threads as thread_actions
from forum.models import SuggestionOpen
from tests.conftest import client_for, make_user

from . import knowledge_helpers
from .knowledge_helpers import solved_thread

wifi_solved = knowledge_helpers.wifi_solved

pytestmark = pytest.mark.django_db


def _suggest(client, title, body=""):
    response = client.get("/ask/suggest/", {"title": title, "body": body}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.text


def test_typed_title_suggests_solved_thread_with_answer_and_marker(wifi_solved, other_customer):
    html = _suggest(client_for(other_customer), "my tablet keeps losing wifi")
    assert "Tablet drops wifi after sleep" in html
    assert "Turn off MAC randomisation in the wifi settings." in html  # the answer's first lines, as text
    assert "<strong>" not in html
    assert f'href="{wifi_solved.get_absolute_url()}"' in html  # a plain link: opening it writes nothing


def test_solved_threads_come_before_open_ones(customer, expert, wifi_solved):
    open_thread = thread_actions.create_thread(author=customer, title="Phone drops wifi after sleep", body="Same.")
    suggestions = selectors.ask_suggestions(title="drops wifi after sleep")
    assert [s.thread.pk for s in suggestions] == [wifi_solved.pk, open_thread.pk]
    assert suggestions[1].answer_excerpt == ""


def test_body_words_help_when_title_is_vague(wifi_solved):
    assert [s.thread.pk for s in selectors.ask_suggestions(title="help please", body="wifi dies after sleep")] == [
        wifi_solved.pk
    ]


@pytest.mark.parametrize(
    "title",
    ["", " ", "a", "!!!", "zzqxv wqpfh", "the and of", "\x00\x01 wifi\x00", "x" * 5000, '"unbalanced AND (', "*"],
)
def test_empty_short_or_garbage_input_gives_an_empty_answer(wifi_solved, client, title):
    html = _suggest(client, title, body="")
    if "wifi" in title:
        assert "Tablet drops wifi" in html  # control characters are dropped, the word still matches
    else:
        assert html == ""


def test_suggest_query_count_does_not_grow(customer, expert, client):
    for i in range(2):
        solved_thread(customer, expert, f"Router {i} reboots nightly", f"Update firmware {i}.")
    with CaptureQueriesContext(connection) as few:
        assert "Router" in _suggest(client, "router reboots")
    for i in range(2, 8):
        solved_thread(customer, expert, f"Router {i} reboots nightly", f"Update firmware {i}.")
    with CaptureQueriesContext(connection) as many:
        assert "Router 7" in _suggest(client, "router reboots")
    assert len(few) == len(many) <= 4


def test_ask_page_wires_the_suggestions(client_customer_ask):
    html = client_customer_ask
    assert 'hx-get="/ask/suggest/"' in html
    assert 'hx-trigger="input changed delay:400ms"' in html
    assert 'id="ask-suggest"' in html


@pytest.fixture
def client_customer_ask(customer):
    return client_for(customer).get("/ask/").text


def test_opening_a_suggestion_is_counted_once_by_the_beacon(wifi_solved, other_customer):
    client = client_for(other_customer)
    session = knowledge_helpers.ask_session(client)
    tokens = knowledge_helpers.suggestion_tokens(client, session, "my tablet keeps losing wifi")
    beacon = {"token": tokens[wifi_solved.pk], "thread": wifi_solved.pk}
    assert client.post("/ask/opened/", beacon).status_code == 204
    assert client.post("/ask/opened/", beacon).status_code == 204  # sent again: still one open
    opens = list(SuggestionOpen.objects.all())
    assert [(o.user_id, o.thread_id, o.converted) for o in opens] == [(other_customer.pk, wifi_solved.pk, False)]


def test_a_get_with_the_old_marker_writes_nothing(wifi_solved, other_customer):
    client = client_for(other_customer)
    client.get("/")  # settle the session before measuring
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{wifi_solved.get_absolute_url()}?from=ask", follow=True)
    assert response.status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert not SuggestionOpen.objects.exists()


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def test_beacon_refuses_a_thread_not_suggested_in_that_session(wifi_solved, other_customer, expert, customer):
    other, _ = solved_thread(customer, expert, "Printer jams on duplex", "Clean the roller.")
    client = client_for(other_customer)
    tokens = knowledge_helpers.suggestion_tokens(client, knowledge_helpers.ask_session(client), "tablet wifi")
    assert other.pk not in tokens
    for data in (
        {"token": tokens[wifi_solved.pk], "thread": other.pk},  # a token for another thread
        {"token": "forged", "thread": wifi_solved.pk},
        {"token": "", "thread": wifi_solved.pk},
        {"thread": "x" * 50},
    ):
        response = client.post("/ask/opened/", data)
        assert response.status_code == 400
        assert response.json()["detail"] == selfservice.NOT_OFFERED
    stolen = client_for(expert).post("/ask/opened/", {"token": tokens[wifi_solved.pk], "thread": wifi_solved.pk})
    assert stolen.status_code == 400  # made for someone else
    assert client_for(None).post("/ask/opened/", {"token": tokens[wifi_solved.pk]}).status_code == 403
    assert client.get("/ask/opened/").status_code == 405
    assert not SuggestionOpen.objects.exists()


def test_suggestions_without_an_ask_session_carry_no_beacon(wifi_solved, other_customer):
    html = _suggest(client_for(other_customer), "my tablet keeps losing wifi")
    assert "data-suggestion-open" not in html
    html = _suggest(client_for(None), "my tablet keeps losing wifi")
    assert "data-suggestion-open" not in html


def test_beacons_are_rate_limited_per_person_and_per_address(settings, customer, expert, other_customer):
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"suggestion_open": (2, 3600)}}
    threads = [solved_thread(customer, expert, f"Router {i} reboots nightly", "Update it.")[0] for i in range(3)]
    client = client_for(other_customer)
    codes = [
        knowledge_helpers.open_suggestion(client, t, "router reboots", address="10.0.0.1").status_code for t in threads
    ]
    assert codes == [204, 204, 429]
    neighbour = client_for(make_user("neighbour"))
    assert (
        knowledge_helpers.open_suggestion(neighbour, threads[0], "router reboots", address="10.0.0.1").status_code
        == 429
    )
    assert SuggestionOpen.objects.count() == 2


def test_deflection_counted_when_no_thread_follows(wifi_solved, other_customer):
    assert knowledge_helpers.open_suggestion(client_for(other_customer), wifi_solved).status_code == 204
    stats = selectors.deflection_stats(since=timezone.now() - timedelta(days=7))
    assert stats == {"opens": 1, "deflections": 1, "rate": 1.0}
    page = client_for(None).get("/stats/").text
    assert 'data-stat="deflections-1">1<' in page


def test_no_deflection_when_the_same_person_posts_anyway(wifi_solved, other_customer, expert):
    client = client_for(other_customer)
    knowledge_helpers.open_suggestion(client, wifi_solved)
    knowledge_helpers.open_suggestion(client_for(expert), wifi_solved)  # someone else, who doesn't post
    response = client.post("/ask/", {"title": "Wifi still drops after that fix", "body": "Tried it.", "tags": ""})
    assert response.status_code == 302
    stats = selectors.deflection_stats(since=timezone.now() - timedelta(days=1))
    assert stats == {"opens": 2, "deflections": 1, "rate": 0.5}
    assert SuggestionOpen.objects.get(user=other_customer).converted


def test_posting_more_than_an_hour_later_still_counts_the_deflection(wifi_solved, other_customer):
    knowledge_helpers.open_suggestion(client_for(other_customer), wifi_solved)
    SuggestionOpen.objects.update(opened_at=timezone.now() - timedelta(hours=2))
    thread_actions.create_thread(author=other_customer, title="Another problem entirely", body="Printer.")
    assert selectors.deflection_stats(since=timezone.now() - timedelta(days=1))["deflections"] == 1
    assert selectors.deflection_stats(since=timezone.now() - timedelta(hours=1))["opens"] == 0


def test_deflection_stats_by_vendor(customer, expert, other_customer, vendor):
    tagged, _ = solved_thread(customer, expert, "Northwind tablet wifi", "Reset it.", body="Hi @northwind")
    untagged, _ = solved_thread(customer, expert, "Generic router wifi", "Reboot it.")
    client = client_for(other_customer)
    knowledge_helpers.open_suggestion(client, tagged)
    knowledge_helpers.open_suggestion(client, untagged)
    since = timezone.now() - timedelta(days=30)
    assert selectors.deflection_stats(since=since, vendor=vendor) == {"opens": 1, "deflections": 1, "rate": 1.0}
    assert selectors.deflection_stats(since=since)["opens"] == 2


def test_stats_page_shows_threads_and_solved_share(wifi_solved, customer, client):
    thread_actions.create_thread(author=customer, title="Open question", body="?")
    page = client.get("/stats/").text
    assert 'data-stat="threads">2<' in page
    assert 'data-stat="solved-share">50%<' in page
    assert selectors.deflection_stats(since=timezone.now() - timedelta(days=7)) == {
        "opens": 0,
        "deflections": 0,
        "rate": 0.0,
    }


def test_similar_threads_exclude_self_and_put_solved_first(customer, expert, wifi_solved, client):
    twin = thread_actions.create_thread(author=customer, title="Laptop drops wifi after sleep", body="Same.")
    unrelated = thread_actions.create_thread(author=customer, title="Printer jams on duplex", body="Paper.")
    page = client.get(twin.get_absolute_url()).text
    aside = page.split('id="similar-threads"')[1]
    assert "Tablet drops wifi after sleep" in aside
    assert "Laptop drops wifi after sleep</a>" not in aside
    assert unrelated.title not in aside
    own = selectors.similar_threads(wifi_solved)
    assert twin in own and wifi_solved not in own
