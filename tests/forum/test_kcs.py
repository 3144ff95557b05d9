"""The KCS loop (issue 15): matching while asking, content gaps, reuse of articles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core import signing

from forum.actions import threads as thread_actions
from forum.models import ArticleReuse, ContentGap
from tests.conftest import age, client_for

from .api_helpers import token_client
from .knowledge_helpers import solved_thread

pytestmark = pytest.mark.django_db


def _suggested_titles(client, title: str) -> str:
    response = client.get("/ask/suggest/", {"title": title}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.text


def test_ask_suggestions_find_a_thread_by_another_name_for_its_tag(customer, expert, other_customer):
    solved_thread(customer, expert, "Battery drains overnight on my phone", "Turn off background refresh.")
    # Nothing in common but "phone" would be too weak; "charge" is the battery tag's other name.
    assert "Battery drains overnight" in _suggested_titles(client_for(other_customer), "Tablet charge gone by morning")


def test_matching_set_is_large_enough_and_labels_existing_threads():
    data = json.loads((Path(__file__).parents[2] / "bench/matching/pairs.json").read_text())
    keys = {t["key"] for t in data["threads"]}
    assert len(data["pairs"]) >= 200
    assert all(p["answer"] in keys for p in data["pairs"])
    titles = {t["key"]: t["title"] for t in data["threads"]}
    assert all(p["title"] != titles[p["answer"]] for p in data["pairs"])  # written differently


# ---- Content gaps ----


def _search_beacon(client, query: str) -> str:
    """Search as a person would, and return the token the page's beacon would send."""
    html = client.get("/search/", {"q": query}).text
    match = re.search(r'id="gap-beacon" data-beacon="/search/gap/" data-token="([^"]+)"', html)
    assert match, "the search page carries the content-gap beacon"
    return match.group(1)


def _gap_rows(client, **params) -> list[tuple[str, str, str, str, str]]:
    html = client.get("/kb/gaps/", params).text
    rows = re.findall(
        r'<tr class="gap-row">\s*<td>([^<]*)</td>\s*<td>(?:<a[^>]*>([^<]*)</a>)?</td>\s*'
        r'<td data-gap="no_results">(\d+)</td>\s*<td data-gap="not_opened">(\d+)</td>\s*'
        r'<td data-gap="asked_anyway">(\d+)</td>',
        html,
    )
    return rows


def test_searches_that_found_nothing_or_were_not_opened_are_counted_by_beacon_only(
    customer, expert, moderator, other_customer
):
    solved_thread(customer, expert, "Printer shows offline", "Reserve its address in DHCP.", tags="printer")
    visitor = client_for(None)
    before = ContentGap.objects.count()
    nothing = _search_beacon(visitor, "Zebra label printer!")
    shown = _search_beacon(visitor, "printer offline")
    assert ContentGap.objects.count() == before  # a search page GET writes nothing

    for _ in range(3):  # three people left the empty search
        assert visitor.post("/search/gap/", {"token": nothing}).status_code == 204
    assert visitor.post("/search/gap/", {"token": shown}).status_code == 204  # left without opening
    assert visitor.post("/search/gap/", {"token": shown, "opened": "1"}).status_code == 204  # opened: no gap

    rows = _gap_rows(client_for(moderator))
    assert ("zebra label printer", "printer", "3", "0", "0") in rows
    assert ("printer offline", "printer", "0", "1", "0") in rows
    html = client_for(moderator).get("/kb/gaps/").text
    assert 'href="/ask/?title=zebra%20label%20printer"' in html  # start an article from it
    assert 'value="zebra label printer"' in client_for(other_customer).get("/ask/?title=zebra%20label%20printer").text
    assert not ContentGap.objects.filter(query__icontains="zebra").exclude(vendor="").exists()


def test_forged_or_foreign_beacon_tokens_count_nothing(db, customer):
    client = client_for(None)
    for token in ("", "nope", signing.dumps({"q": "x", "n": 0}, salt="another.salt")):
        response = client.post("/search/gap/", {"token": token})
        assert response.status_code == 400
        assert "not shown" in response.json()["detail"]
    assert client.get("/search/gap/").status_code == 405
    assert not ContentGap.objects.exists()


def test_gap_beacons_are_rate_limited_per_address(db, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"content_gap": (2, 3600)}}
    client = client_for(None)
    token = _search_beacon(client, "nothing like this")
    codes = [client.post("/search/gap/", {"token": token}).status_code for _ in range(3)]
    assert codes == [204, 204, 429]
    assert ContentGap.objects.get().count == 2


def test_asking_although_suggestions_were_shown_is_counted(customer, expert, other_customer, moderator):
    solved_thread(customer, expert, "Tablet drops wifi after sleep", "Turn off MAC randomisation.", tags="wifi")
    asker = client_for(other_customer)
    asker.post("/ask/", {"title": "My tablet drops the wifi after sleeping", "body": "Since Monday.", "tags": "wifi"})
    asker.post("/ask/", {"title": "Invoice address cannot be changed", "body": "Where is it?", "tags": "billing"})
    rows = _gap_rows(client_for(moderator))
    assert ("tablet drops wifi sleeping", "wifi", "0", "0", "1") in rows
    assert not [r for r in rows if "invoice" in r[0]]  # nothing was suggested for it


def test_gap_report_is_for_moderators_and_each_vendors_own_tags(
    customer, expert, moderator, staff, other_staff, vendor, other_vendor
):
    thread_actions.create_thread(author=customer, title="Router drops @northwind", body="Hi @northwind", tags="router")
    thread_actions.create_thread(author=customer, title="Speaker @bluewave", body="Hi @bluewave", tags="speaker")
    for query in ("router mesh fails", "speaker silent forever"):
        client_for(None).post("/search/gap/", {"token": _search_beacon(client_for(None), query)})
    assert [r[0] for r in _gap_rows(client_for(staff))] == ["router mesh fails"]
    assert client_for(customer).get("/kb/gaps/").status_code == 403
    assert client_for(None).get("/kb/gaps/").status_code == 302
    everything = {r[0] for r in _gap_rows(client_for(moderator))}
    assert {"router mesh fails", "speaker silent forever"} <= everything
    assert [r[0] for r in _gap_rows(client_for(moderator), vendor="northwind")] == ["router mesh fails"]
    by_tag = [r[0] for r in _gap_rows(client_for(moderator), tag="speaker")]
    assert "speaker silent forever" in by_tag and "router mesh fails" not in by_tag


# ---- Reuse ----


def _kb_reuses(title: str) -> str | None:
    html = client_for(None).get("/kb/").text
    row = html.split(title, 1)[1].split("</li>", 1)[0] if title in html else ""
    match = re.search(r'data-reuses="(\d+)"', row)
    return match.group(1) if match else None


def test_answering_with_a_link_to_a_solved_thread_counts_one_reuse_per_thread(
    customer, expert, other_customer, settings
):
    age(expert)  # a new account's links wait for review; a reuse counts when the reply is public
    article, _ = solved_thread(customer, expert, "Printer shows offline", "Reserve its address in DHCP.")
    unsolved = thread_actions.create_thread(author=customer, title="Scanner is slow", body="Very slow.")
    assert _kb_reuses("Printer shows offline") is None
    first = thread_actions.create_thread(author=other_customer, title="Printer offline again", body="Help")
    client = client_for(expert)
    url = f"{settings.SITE_URL}{article.get_absolute_url()}"
    assert client.post(f"/t/{first.pk}/reply/", {"body": f"Solved in {url}"}).status_code == 302
    client.post(f"/t/{first.pk}/reply/", {"body": f"Again: [this one]({article.get_absolute_url()})"})
    assert _kb_reuses("Printer shows offline") == "1"  # one per pair
    second = thread_actions.create_thread(author=other_customer, title="Printer is offline", body="Help")
    both = f"See [this]({article.get_absolute_url()}) and [that](/t/{unsolved.pk}/)"
    client.post(f"/t/{second.pk}/reply/", {"body": both})
    client.post(f"/t/{second.pk}/reply/", {"body": f"Or https://elsewhere.example/t/{unsolved.pk}/"})
    assert _kb_reuses("Printer shows offline") == "2"
    assert "last confirmed" in client_for(None).get("/kb/").text
    assert not ArticleReuse.objects.filter(article=unsolved).exists()


def test_reuse_through_the_api_and_the_vendor_pages_most_reused_panel(customer, expert, other_customer, vendor):
    age(expert)
    article, _ = solved_thread(customer, expert, "Mesh @northwind node", "Move it closer.", body="Hi @northwind")
    assert "Most reused answers" not in client_for(None).get("/v/northwind/").text
    helped = thread_actions.create_thread(author=other_customer, title="Mesh node blinking", body="Red light")
    body = f"See [the fix](/t/{article.pk}/)"
    response = token_client(expert).post(f"/api/threads/{helped.pk}/posts", {"body": body})
    assert response.status_code == 201
    html = client_for(None).get("/v/northwind/").text
    assert "Most reused answers" in html
    assert 'data-reuses="1"' in html and "Mesh @northwind node" in html


# ---- Ranking: reused, verified first; flagged said so ----


def _suggested_order(client, title: str) -> list[str]:
    return re.findall(r'<a href="/t/\d+/[^"]*"[^>]*>([^<]+)</a>', _suggested_titles(client, title))


def test_suggestions_rank_reused_and_verified_answers_first_and_say_when_flagged(
    customer, expert, other_customer, staff, vendor
):
    age(expert)
    solved_thread(customer, expert, "Router reboots nightly", "Update the firmware.")
    proven, answer = solved_thread(
        customer, expert, "Router restarts at night @northwind", "Replace the adapter.", body="Hi @northwind"
    )
    client = client_for(other_customer)
    assert _suggested_order(client, "router reboots nightly")[0] == "Router reboots nightly"
    for i in range(3):
        helped = thread_actions.create_thread(author=other_customer, title=f"Reboots {i}", body="Again")
        client_for(expert).post(f"/t/{helped.pk}/reply/", {"body": f"[Here](/t/{proven.pk}/)"})
    client_for(staff).post(f"/p/{answer.pk}/verify/", {"vendor": "northwind"})
    html = _suggested_titles(client, "router reboots nightly")
    assert _suggested_order(client, "router reboots nightly")[0] == "Router restarts at night @northwind"
    assert 'data-reuses="3"' in html and "✓ Verified" in html
    client_for(customer).post(f"/p/{answer.pk}/outdated/", {"reason": "Not after firmware 5"})
    html = _suggested_titles(client, "router reboots nightly")
    assert "Flagged:</strong> Not after firmware 5" in html
    assert _suggested_order(client, "router reboots nightly")[0] == "Router reboots nightly"


def test_gap_queries_keep_no_addresses_or_long_numbers(db):
    client = client_for(None)
    token = _search_beacon(client, "Refund for order 12345678 to mei@example.com please")
    assert client.post("/search/gap/", {"token": token}).status_code == 204
    assert ContentGap.objects.get().query == "refund order please"
