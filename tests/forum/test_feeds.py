"""Atom feeds of tags, vendors and searches: valid XML, the right entries, nothing private."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from forum import timeline
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import EventKind

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return [
        {
            "title": e.findtext(f"{ATOM}title"),
            "link": e.find(f"{ATOM}link").get("href"),
            "author": e.findtext(f"{ATOM}author/{ATOM}name"),
            "updated": e.findtext(f"{ATOM}updated"),
            "summary": e.findtext(f"{ATOM}summary") or "",
        }
        for e in root.findall(f"{ATOM}entry")
    ]


def ask(author, title, body="Details.", tags="wifi"):
    return thread_actions.create_thread(author=author, title=title, body=body, tags=tags)


def test_tag_feed_lists_the_tags_threads_with_their_question(client, thread, customer):
    ask(customer, "Printer offline after update", tags="printing")
    [entry] = entries(client.get("/feeds/tags/wifi/"))
    assert entry["title"] == "Tablet drops wifi after sleep"
    assert entry["link"].endswith(thread.get_absolute_url())
    assert entry["author"] == "Jeff Morrow"
    assert entry["updated"]
    assert "<strong>wifi</strong>" in entry["summary"]  # the sanitised HTML, escaped once in the XML


def test_the_question_html_stays_sanitised(client, customer):
    ask(customer, "Script in my question body", body="<script>alert(1)</script> [x](javascript:alert(1)) **ok**")
    [entry] = entries(client.get("/feeds/tags/wifi/"))
    assert "<script" not in entry["summary"]
    assert 'href="javascript' not in entry["summary"]
    assert "<strong>ok</strong>" in entry["summary"]


def test_vendor_feed_lists_threads_that_involve_the_vendor(client, customer, vendor):
    ask(customer, "Northwind tablet will not charge", body="@northwind please")
    ask(customer, "Nothing to do with vendors")
    titles = [e["title"] for e in entries(client.get("/feeds/v/northwind/"))]
    assert titles == ["Northwind tablet will not charge"]


def test_search_feed_finds_threads(client, thread, customer):
    ask(customer, "Printer offline after update", tags="printing")
    titles = [e["title"] for e in entries(client.get("/feeds/search/", {"q": "wifi sleep"}))]
    assert titles == ["Tablet drops wifi after sleep"]


@pytest.mark.parametrize("query", ["", "   ", "!!! ??", "\x00", "a" * 200])
def test_empty_or_wordless_searches_give_an_empty_feed(client, thread, query):
    assert entries(client.get("/feeds/search/", {"q": query})) == []


def test_an_overlong_search_is_a_clear_400(client):
    response = client.get("/feeds/search/", {"q": "wifi " * 60})
    assert response.status_code == 400
    assert "limited to 200 characters" in response.text


def test_unknown_tags_and_vendors_are_404(client):
    assert client.get("/feeds/tags/no-such-tag/").status_code == 404
    assert client.get("/feeds/v/nobody/").status_code == 404


def test_feeds_hold_at_most_50_entries(client, customer):
    for i in range(52):
        ask(customer, f"Wifi question number {i:02d}")
    found = entries(client.get("/feeds/tags/wifi/"))
    assert len(found) == 50
    assert found[0]["title"] == "Wifi question number 51"


def test_no_private_staff_content_in_any_feed(client, thread, vendor, staff, customer):
    post_actions.reply(author=customer, thread=thread, body="@northwind can you look?")
    with transaction.atomic():
        timeline.record(
            thread=thread, kind=EventKind.NOTE, actor=staff, vendor=vendor, data={"note": 0, "text": "SECRET-NOTE"}
        )
    for url in ("/feeds/tags/wifi/", "/feeds/v/northwind/", "/feeds/search/?q=wifi"):
        response = client.get(url)
        assert b"SECRET-NOTE" not in response.content
        assert len(entries(response)) == 1


def test_feed_queries_do_not_grow_with_entries(client, customer):
    ask(customer, "Wifi question number one")
    client.get("/feeds/tags/wifi/")
    with CaptureQueriesContext(connection) as one:
        client.get("/feeds/tags/wifi/")
    for i in range(20):
        ask(customer, f"Wifi question number {i:02d}", tags="wifi extra")
    with CaptureQueriesContext(connection) as many:
        assert len(entries(client.get("/feeds/tags/wifi/"))) == 21
    assert len(one.captured_queries) == len(many.captured_queries)


def test_pages_announce_their_feeds(client, thread, vendor):
    tag_page = client.get("/tags/wifi/").text
    assert '<link rel="alternate" type="application/atom+xml"' in tag_page
    assert 'href="/feeds/tags/wifi/"' in tag_page
    vendor_page = client.get(vendor.get_absolute_url()).text
    assert 'href="/feeds/v/northwind/"' in vendor_page
    search_page = client.get("/search/", {"q": "wifi sleep"}).text
    assert 'href="/feeds/search/?q=wifi%20sleep"' in search_page
    assert "Atom feed" in search_page
