"""Knowledge articles' life (issue 15): drafted from a confirmed solution, reviewed, published,
flagged, fixed and retired, as people see it on the site."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum.actions import articles as article_actions
from forum.actions import moderation
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Article, ArticleReuse, Event, Thread
from forum.timeline import presenter
from tests.conftest import age, client_for, make_user

from .knowledge_helpers import solved_thread

pytestmark = pytest.mark.django_db

ANSWER = "Turn off **MAC randomisation** in the wifi settings."


@pytest.fixture
def solved(customer, staff, vendor):
    """A thread about a Northwind tablet, solved by the customer accepting staff's answer."""
    thread, _answer = solved_thread(
        customer, staff, "Tablet drops wifi after sleep", ANSWER, body="My @northwind tablet loses wifi.", tags="wifi"
    )
    return thread


def _text(**over) -> article_actions.ArticleText:
    fields = {
        "title": "Tablet drops wifi after sleep",
        "environment": "Northwind Tablet 4, firmware 4.2",
        "cause": "MAC randomisation makes the router drop the lease.",
        "resolution": ANSWER,
    }
    return article_actions.ArticleText(**(fields | over))


def _draft_by_web(client, thread: Thread, key: str = "draft-key-0001", **over):
    form = {
        "title": "Tablet drops wifi after sleep",
        "environment": "Northwind Tablet 4, firmware 4.2",
        "cause": "MAC randomisation makes the router drop the lease.",
        "resolution": ANSWER,
        "idempotency_key": key,
    } | over
    return client.post(f"/t/{thread.pk}/article/new/", form)


def _published(solved, staff) -> Article:
    article = article_actions.draft_article(user=staff, thread=solved, text=_text())
    return article_actions.publish_article(user=staff, article=article)


def test_staff_turn_an_accepted_answer_into_a_prefilled_draft_that_links_back(solved, staff):
    page = client_for(staff).get(f"/t/{solved.pk}/article/new/")
    assert page.status_code == 200
    html = page.text
    assert 'value="Tablet drops wifi after sleep"' in html
    assert "Northwind Devices · wifi" in html  # environment from the thread's vendor and tags
    assert "Turn off **MAC randomisation**" in html  # resolution from the accepted answer
    assert "My @northwind tablet loses wifi." in html  # the question, to edit into the cause
    assert not Article.objects.exists()  # a GET writes nothing
    response = _draft_by_web(client_for(staff), solved)
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/kb/a/{article.pk}/"
    shown = client_for(staff).get(f"/kb/a/{article.pk}/").text
    assert "Draft, waiting for review" in shown and "Verified by Northwind Devices" in shown
    assert f'href="{solved.get_absolute_url()}" class="article-source"' in shown
    assert "<strong>MAC randomisation</strong>" in shown


def test_the_thread_page_offers_drafting_only_to_those_who_may(solved, staff, other_customer, expert):
    assert "Turn this solution into an article" in client_for(staff).get(solved.get_absolute_url()).text
    assert "Turn this solution into an article" in client_for(expert).get(solved.get_absolute_url()).text
    assert "Turn this solution into an article" not in client_for(other_customer).get(solved.get_absolute_url()).text
    refused = client_for(other_customer).get(f"/t/{solved.pk}/article/new/")
    assert refused.status_code == 403 and "trusted members can draft" in refused.text


def test_an_unconfirmed_thread_cannot_become_an_article(thread, staff, expert):
    response = _draft_by_web(client_for(expert), thread)
    assert response.status_code == 400
    assert "Only a solution the customer confirmed" in response.text
    assert not Article.objects.exists()


def test_double_submit_creates_one_draft(solved, staff):
    client = client_for(staff)
    first = _draft_by_web(client, solved, key="same-key-123")
    second = _draft_by_web(client, solved, key="same-key-123")
    assert first["Location"] == second["Location"]
    assert Article.objects.count() == 1
    assert Event.objects.filter(kind="article_drafted").count() == 1
    third = _draft_by_web(client, solved, key="other-key-456")
    assert third.status_code == 400 and "already has an article" in third.text


def test_a_draft_is_seen_only_by_its_author_and_reviewers(solved, staff, customer, other_staff, moderator):
    article = article_actions.draft_article(user=staff, thread=solved, text=_text())
    for outsider in (None, customer, other_staff, moderator):
        assert client_for(outsider).get(f"/kb/a/{article.pk}/").status_code == 404
        assert client_for(outsider).get(f"/kb/a/{article.pk}/history/").status_code == 404
        assert "drafted a knowledge article" not in client_for(outsider).get(solved.get_absolute_url()).text
    assert "drafted a knowledge article" in client_for(staff).get(solved.get_absolute_url()).text
    # Live frames go to everyone on the thread: the draft's step keeps its place but says nothing.
    event = Event.objects.get(kind="article_drafted")
    frame = presenter.live_payload(event)
    assert frame["actor"] is None and frame["data"] == {}
    replay = client_for(customer).get(f"/api/threads/{solved.pk}/events").json()["events"]
    assert [e["data"] for e in replay if e["kind"] == "article_drafted"] == [{}]
    article_actions.publish_article(user=staff, article=article)
    assert "Tablet drops wifi" in client_for(None).get(f"/kb/a/{article.pk}/").text


def test_competitor_staff_and_moderators_cannot_review_a_vendors_article(solved, staff, other_staff, moderator):
    article = article_actions.draft_article(user=staff, thread=solved, text=_text())
    for outsider in (other_staff, moderator):
        assert client_for(outsider).post(f"/kb/a/{article.pk}/publish/").status_code == 404  # a draft they can't see
    article_actions.publish_article(user=staff, article=article)
    for outsider in (other_staff, moderator):
        response = client_for(outsider).post(f"/kb/a/{article.pk}/retire/", {"reason": "Not theirs to retire"})
        assert response.status_code == 403 and "Only staff of Northwind Devices" in response.text
        assert client_for(outsider).get(f"/kb/a/{article.pk}/fix/").status_code == 403
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert Event.objects.filter(kind__startswith="article_").count() == 2


def test_an_experts_draft_is_reviewed_by_moderators(solved, expert, staff, moderator):
    solved_by_expert, _ = solved_thread(make_user("ana"), expert, "Printer jams on thick paper", "Use the rear tray.")
    _draft_by_web(client_for(expert), solved_by_expert, title="Printer jams on thick paper")
    article = Article.objects.get()
    assert article.vendor is None
    queue = client_for(moderator).get("/kb/review/").text
    assert "Printer jams on thick paper" in queue
    assert "Printer jams" not in client_for(staff).get("/kb/review/").text
    assert "Printer jams" in client_for(expert).get("/kb/review/").text  # the author sees their own draft
    client_for(moderator).post(f"/kb/a/{article.pk}/publish/")
    page = client_for(None).get(f"/kb/a/{article.pk}/").text
    assert 'data-status="published"' in page


def test_low_reputation_and_suspended_members_cannot_draft(solved, expert, moderator):
    newbie = make_user("newbie", reputation=499)
    assert client_for(newbie).post(f"/t/{solved.pk}/article/new/", {}).status_code == 403
    moderation.suspend_user(moderator=moderator, user=expert, until=None, reason="Spam")
    response = _draft_by_web(client_for(expert), solved)
    assert response.status_code == 403 and "suspended" in response.text
    assert not Article.objects.exists()


def test_didnt_work_flags_show_the_environment_and_a_fix_clears_them(solved, staff, other_customer, expert):
    article = _published(solved, staff)
    age(other_customer, expert)
    client = client_for(other_customer)
    client.post(f"/kb/a/{article.pk}/flag/", {"environment": "Tablet 4, firmware 4.3"})
    again = client.post(f"/kb/a/{article.pk}/flag/", {"environment": "Tablet 4, firmware 4.3"}, follow=True)
    assert "You already said this article didn&#x27;t work for you." in again.text
    assert "data-flagged-by-you" in again.text and "Tell readers and reviewers" not in again.text
    client_for(expert).post(f"/kb/a/{article.pk}/flag/", {"environment": ""}, follow=True)  # refused: empty
    page = client_for(None).get(f"/kb/a/{article.pk}/").text
    assert 'data-article-flags="1"' in page and "Tablet 4, firmware 4.3" in page
    kb = client_for(None).get("/kb/").text
    assert 'data-article-flags="1"' in kb
    fixed = client_for(staff).post(
        f"/kb/a/{article.pk}/fix/",
        {
            "title": "Tablet drops wifi after sleep",
            "environment": "Northwind Tablet 4, firmware 4.2 and 4.3",
            "cause": "MAC randomisation, and on 4.3 the power saver.",
            "resolution": ANSWER + "\n\nOn 4.3 also turn off wifi power saving.",
            "note": "Added the step for firmware 4.3",
        },
    )
    assert fixed.status_code == 302
    page = client_for(None).get(f"/kb/a/{article.pk}/").text
    assert "data-article-flags" not in page and "revision 2" in page
    history = client_for(None).get(f"/kb/a/{article.pk}/history/").text
    kinds = re.findall(r'data-kind="([a-z_]+)"', history)
    assert kinds == ["article_drafted", "article_published", "article_flagged", "article_fixed"]
    assert "Added the step for firmware 4.3" in history


def test_a_new_account_cannot_flag_and_flags_are_rate_limited(settings, solved, staff):
    article = _published(solved, staff)
    fresh = make_user("fresh")
    response = client_for(fresh).post(f"/kb/a/{article.pk}/flag/", {"environment": "Tablet 4"})
    assert response.status_code == 403 and "New accounts can" in response.text
    settings.BARNRAISE = {**settings.BARNRAISE, "RATE_LIMITS": {"flag": (1, 600)}}
    flagger = make_user("flagger")
    age(flagger)
    other = _published(*_second_solved(staff))
    client = client_for(flagger)
    assert client.post(f"/kb/a/{article.pk}/flag/", {"environment": "Tablet 4"}).status_code == 302
    assert client.post(f"/kb/a/{other.pk}/flag/", {"environment": "Tablet 4"}).status_code == 429
    assert Event.objects.filter(kind="article_flagged").count() == 1


def _second_solved(staff):
    thread, _ = solved_thread(make_user("lou"), staff, "Tablet screen flickers at night", "Disable adaptive dim.")
    return thread, staff


def test_every_step_records_exactly_one_event(solved, staff, other_customer):
    age(other_customer)
    counts = []
    article = article_actions.draft_article(user=staff, thread=solved, text=_text())
    counts.append(Event.objects.count())
    article_actions.publish_article(user=staff, article=article)
    counts.append(Event.objects.count())
    article_actions.flag_article(user=other_customer, article=article, environment="Tablet 4")
    counts.append(Event.objects.count())
    article_actions.fix_article(user=staff, article=article, text=_text(), note="Reworded step one")
    counts.append(Event.objects.count())
    article_actions.retire_article(user=staff, article=article, reason="Fixed in firmware 5")
    counts.append(Event.objects.count())
    assert [b - a for a, b in pairwise(counts)] == [1, 1, 1, 1]


def test_suggestions_prefer_articles_say_when_flagged_and_drop_retired_ones(solved, staff, customer, expert):
    plain, _ = solved_thread(customer, expert, "Tablet wifi drops after sleeping", "Reboot the router.")
    article = _published(solved, staff)
    html = client_for(customer).get("/ask/suggest/", {"title": "tablet wifi drops after sleep"}).text
    assert html.index(solved.title) < html.index(plain.title)
    assert f'href="/kb/a/{article.pk}/"' in html
    flagger = make_user("flagger")
    age(flagger)
    article_actions.flag_article(user=flagger, article=article, environment="Tablet 4, firmware 4.3")
    html = client_for(customer).get("/ask/suggest/", {"title": "tablet wifi drops after sleep"}).text
    assert "Flagged:</strong> didn't work for 1 person (Tablet 4, firmware 4.3)" in html
    article_actions.retire_article(user=staff, article=article, reason="Fixed in firmware 5")
    html = client_for(customer).get("/ask/suggest/", {"title": "tablet wifi drops after sleep"}).text
    assert solved.title + "<" not in html and plain.title in html
    assert "This article is retired" in client_for(None).get(f"/kb/a/{article.pk}/").text


def test_linking_an_article_counts_as_its_reuse(solved, staff, other_customer, expert):
    article = _published(solved, staff)
    age(expert)  # a new account's reply with links would wait for review first
    other = thread_actions.create_thread(author=other_customer, title="Wifi gone after my tablet sleeps", body="Help")
    post_actions.reply(author=expert, thread=other, body=f"Solved in [this article](/kb/a/{article.pk}/).")
    assert ArticleReuse.objects.filter(article=solved, helped=other).count() == 1
    page = client_for(None).get(f"/kb/a/{article.pk}/").text
    assert 'data-reuses="1"' in page and "solved 1 other problem" in page
    draft_thread, _ = _second_solved(staff)
    draft = article_actions.draft_article(user=staff, thread=draft_thread, text=_text(title="Screen flickers at night"))
    post_actions.reply(author=expert, thread=other, body=f"Or [this one](/kb/a/{draft.pk}/).")
    assert not ArticleReuse.objects.filter(article=draft_thread).exists()  # a draft is not an article yet


def test_kb_and_article_pages_use_a_fixed_number_of_queries(solved, staff, customer, expert):
    _published(solved, staff)

    def measure(path: str) -> int:
        client = client_for(customer)
        client.get(path)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    few_kb, few_article = measure("/kb/"), measure(f"/kb/a/{Article.objects.get().pk}/")
    for n in range(4):
        thread, _ = solved_thread(make_user(f"asker{n}"), staff, f"Dock {n} loses display after update", "Replug it.")
        article = _published(thread, staff)
        for m in range(2):
            flagger = make_user(f"flagger{n}{m}")
            age(flagger)
            article_actions.flag_article(user=flagger, article=article, environment=f"Dock {n}.{m}")
    assert measure("/kb/") == few_kb
    assert measure(f"/kb/a/{article.pk}/") == few_article


def test_search_lists_the_results_articles_first_best_first_and_says_when_flagged(solved, staff, customer):
    article = _published(solved, staff)
    other_thread, _ = solved_thread(make_user("lou"), staff, "Tablet wifi slow after update", "Reset network settings.")
    other = article_actions.draft_article(
        user=staff, thread=other_thread, text=_text(title="Tablet wifi slow after update")
    )
    article_actions.publish_article(user=staff, article=other)
    flagger = make_user("flagger")
    age(flagger)
    article_actions.flag_article(user=flagger, article=article, environment="Tablet 4, firmware 4.3")
    html = client_for(None).get("/search/", {"q": "tablet wifi"}).text
    listed = re.findall(r'<li class="kb-row article-row" data-article="(\d+)">', html)
    assert listed == [str(other.pk), str(article.pk)]  # the flagged one goes down
    assert 'data-article-flags="1"' in html
    article_actions.retire_article(user=staff, article=other, reason="Fixed in firmware 5")
    html = client_for(None).get("/search/", {"q": "tablet wifi"}).text
    assert re.findall(r'data-article="(\d+)"', html) == [str(article.pk)]


def test_an_escalation_confirmed_solved_becomes_an_article_with_the_staff_reply(customer, staff, vendor):
    from swarm.actions import claims
    from swarm.models import Escalation

    thread = thread_actions.create_thread(author=customer, title="Dock loses display after update", body="@northwind")
    escalation = Escalation.objects.get(thread=thread, vendor=vendor)
    post_actions.reply(author=staff, thread=thread, body="Install dock firmware **2.1**, then replug.")
    claims.claim(staff=staff, escalation=escalation)
    claims.resolve(staff=staff, escalation=escalation)
    assert _draft_by_web(client_for(staff), thread).status_code == 400  # not yet confirmed by the customer
    claims.confirm(user=customer, escalation=escalation, solved=True)
    thread.refresh_from_db()
    assert thread.accepted_post_id is None
    form = client_for(staff).get(f"/t/{thread.pk}/article/new/").text
    assert "Install dock firmware **2.1**, then replug." in form
    assert _draft_by_web(client_for(staff), thread, key="confirmed-key-1").status_code == 302
    assert Article.objects.get().vendor == vendor
