"""The vendor event feed pages in commit order and always says where to continue."""

import threading

import pytest
from django.db import connection, transaction

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Event
from tests.conftest import make_user
from tests.forum.api_helpers import ApiClient

FEED = "/api/vendors/northwind/events"


def read_all(api: ApiClient, cursor: str) -> tuple[list[dict], str]:
    """Page until caught up, as a poller does."""
    events: list[dict] = []
    while True:
        page = api.get(FEED, cursor=cursor, limit=2).json()
        assert page["next_cursor"] is not None
        cursor = page["next_cursor"]
        events += page["events"]
        if not page["events"]:
            return events, cursor


@pytest.mark.django_db
def test_a_caught_up_poller_gets_a_cursor_and_then_exactly_what_is_new(customer, expert, vendor):
    thread = thread_actions.create_thread(author=customer, title="Ask @northwind about this", body="Hi @northwind")
    api = ApiClient()
    events, cursor = read_all(api, "0")
    assert [e["kind"] for e in events] == ["posted", "escalated"]
    assert api.get(FEED, cursor=cursor).json() == {"events": [], "next_cursor": cursor}
    post_actions.reply(author=expert, thread=thread, body="New since you last looked")
    page = api.get(FEED, cursor=cursor).json()
    assert [e["kind"] for e in page["events"]] == ["replied"]
    assert page["next_cursor"] != cursor


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["abc", "1.", "-1.2", "1.2.3", "9" * 30])
def test_a_broken_cursor_is_a_clear_400(vendor, cursor):
    response = ApiClient().get(FEED, cursor=cursor)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


@pytest.mark.django_db(transaction=True)
def test_an_event_that_commits_after_a_later_one_is_not_skipped(customer, other_customer, expert, vendor):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers take turns (BEGIN IMMEDIATE), so ids already commit in order")
    slow_thread = thread_actions.create_thread(author=customer, title="First @northwind question", body="@northwind")
    fast_thread = thread_actions.create_thread(author=other_customer, title="Second @northwind one", body="@northwind")
    other = make_user("quick", display_name="Quick Helper")
    api = ApiClient()
    seen, cursor = read_all(api, "0")

    written, go, failed = threading.Event(), threading.Event(), []

    def slow_transaction() -> None:
        try:
            with transaction.atomic():
                post_actions.reply(author=expert, thread=slow_thread, body="Written first, committed last")
                written.set()
                go.wait(20)
        except Exception as error:  # noqa: BLE001 - handed to the main thread, which fails the test
            failed.append(error)
            written.set()
        finally:
            connection.close()

    worker = threading.Thread(target=slow_transaction)
    worker.start()
    assert written.wait(20) and not failed
    post_actions.reply(author=other, thread=fast_thread, body="Written second, committed first")

    page, cursor = read_all(api, cursor)  # the second has committed, the first not yet
    seen += page
    go.set()
    worker.join(20)
    assert not failed
    page, cursor = read_all(api, cursor)
    seen += page

    slow = Event.objects.get(thread=slow_thread, kind="replied")
    fast = Event.objects.get(thread=fast_thread, kind="replied")
    assert slow.pk < fast.pk  # ids out of commit order: the case that used to be skipped for ever
    replies = [(e["thread"], e["seq"]) for e in seen if e["kind"] == "replied"]
    assert sorted(replies) == sorted([(slow_thread.pk, slow.seq), (fast_thread.pk, fast.seq)])
    assert len(seen) == len({(e["thread"], e["stream"], e["seq"]) for e in seen})  # and nothing twice
