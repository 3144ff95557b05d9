"""The knowledge API (issue 15): articles, their history, reuse counts and the content-gap report."""

from __future__ import annotations

import pytest

from forum.actions import articles as article_actions
from forum.actions import gaps as gap_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from tests.conftest import age

from .api_helpers import ApiClient, assert_error, key_client, token_client
from .knowledge_helpers import solved_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(customer, staff, vendor):
    thread, _ = solved_thread(
        customer, staff, "Tablet drops wifi after sleep", "Turn off MAC randomisation.", body="My @northwind tablet"
    )
    text = article_actions.ArticleText(
        title="Tablet drops wifi after sleep",
        environment="Northwind Tablet 4, firmware 4.2",
        cause="MAC randomisation.",
        resolution="Turn off **MAC randomisation**.",
    )
    return article_actions.draft_article(user=staff, thread=thread, text=text)


def test_a_draft_exists_in_the_api_only_for_its_author_and_reviewers(article, staff, other_staff, customer):
    assert ApiClient().get(f"/api/articles/{article.pk}").status_code == 404
    assert token_client(other_staff).get(f"/api/articles/{article.pk}").status_code == 404
    assert token_client(customer).get(f"/api/articles/{article.pk}/history").status_code == 404
    assert ApiClient().get("/api/articles").json()["items"] == []
    mine = token_client(staff).get(f"/api/articles/{article.pk}").json()
    assert mine["status"] == "draft" and mine["verified_by"] == "northwind"


def test_published_articles_with_reuse_flags_and_history(article, staff, expert, other_customer):
    article_actions.publish_article(user=staff, article=article)
    age(expert, other_customer)
    helped = thread_actions.create_thread(author=other_customer, title="Wifi gone after tablet sleeps", body="Help")
    post_actions.reply(author=expert, thread=helped, body=f"See https://testserver/kb/a/{article.pk}/ for the fix.")
    article_actions.flag_article(user=other_customer, article=article, environment="Tablet 4, firmware 4.3")
    listed = ApiClient().get("/api/articles").json()
    assert [a["id"] for a in listed["items"]] == [article.pk] and listed["next_offset"] is None
    one = ApiClient().get(f"/api/articles/{article.pk}").json()
    assert one["reuses"] == 1 and one["last_confirmed"] is not None
    assert one["open_flags"] == 1 and one["flag_environments"] == ["Tablet 4, firmware 4.3"]
    assert one["thread"]["id"] == article.thread_id and "<strong>MAC randomisation</strong>" in one["resolution_html"]
    history = ApiClient().get(f"/api/articles/{article.pk}/history").json()
    assert [e["kind"] for e in history["events"]] == ["article_drafted", "article_published", "article_flagged"]
    assert history["events"][2]["data"]["environment"] == "Tablet 4, firmware 4.3"
    reuse = ApiClient().get("/api/reuse", vendor="northwind").json()
    assert reuse == [
        {
            "thread": {
                "id": article.thread_id,
                "title": article.thread.title,
                "url": article.thread.get_absolute_url(),
            },
            "article": article.pk,
            "reuses": 1,
            "last_confirmed": reuse[0]["last_confirmed"],
        }
    ]
    assert ApiClient().get("/api/articles", vendor="nobody").status_code == 404
    assert ApiClient().get("/api/articles", limit=0).status_code == 422


def _gap(query: str) -> None:
    token = gap_actions.search_token(query=query, found=0)
    gap_actions.record_search_gap(token=token, opened=False, address="127.0.0.1")


def test_the_gap_report_is_for_vendor_staff_and_moderators_only(
    vendor, other_vendor, staff, other_staff, moderator, customer, vendor_admin
):
    _gap("northwind dock flickers")
    _gap("bluewave sim not detected")
    assert ApiClient().get("/api/gaps").status_code == 403
    refused = assert_error(token_client(customer).get("/api/gaps"), 403, "forbidden")
    assert "moderators and vendors' verified staff" in refused["message"]
    north = token_client(staff).get("/api/gaps").json()
    assert north["vendor"] == "northwind" and [r["query"] for r in north["rows"]] == ["northwind dock flickers"]
    # A competitor asking for Northwind's gaps still gets only its own.
    blue = token_client(other_staff).get("/api/gaps", vendor="northwind").json()
    assert [r["query"] for r in blue["rows"]] == ["bluewave sim detected"]  # stop words dropped
    assert key_client(vendor_admin, vendor).get("/api/gaps").json()["vendor"] == "northwind"
    everything = token_client(moderator).get("/api/gaps").json()
    assert everything["vendor"] is None and len(everything["rows"]) == 2
    assert token_client(moderator).get("/api/gaps", days=5).status_code == 422
    assert token_client(moderator).get("/api/gaps", vendor="bluewave").json()["vendor"] == "bluewave"
