"""The knowledge base: solved threads by tag and vendor, verified and outdated answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum.actions import knowledge as knowledge_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import AnswerVerification, Event, EventKind, OutdatedFlag
from tests.conftest import client_for, make_user

from .knowledge_helpers import person, solved_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def nw_thread(customer, expert, vendor):
    """A solved thread that involves Northwind (tagged @northwind in the question)."""
    thread, answer = solved_thread(
        customer,
        expert,
        "Tablet drops wifi after sleep",
        "Turn off **MAC randomisation** in Settings > Wifi. " + "More detail follows here. " * 30,
        body="Help @northwind",
        tags="wifi tablet",
    )
    return thread, answer


def test_kb_lists_solved_threads_with_answer_excerpts(nw_thread, customer, client):
    thread_actions.create_thread(author=customer, title="Still open problem", body="?")
    page = client.get("/kb/").text
    assert "Tablet drops wifi after sleep" in page
    assert "Turn off MAC randomisation in Settings &gt; Wifi." in page
    assert "<strong>MAC" not in page
    assert "More detail follows here. " * 12 not in page  # truncated to the first lines
    assert "Still open problem" not in page


def test_kb_filters_by_tag_and_vendor(nw_thread, customer, expert, client):
    solved_thread(customer, expert, "Printer jams on duplex", "Clean the rollers.", tags="printer")
    by_tag = client.get("/kb/", {"tag": "wifi"}).text
    assert "Tablet drops wifi" in by_tag and "Printer jams" not in by_tag
    by_vendor = client.get("/kb/v/northwind/").text
    assert "Tablet drops wifi" in by_vendor and "Printer jams" not in by_vendor
    assert "Printer jams" in client.get("/kb/", {"tag": "printer"}).text
    unknown = client.get("/kb/", {"tag": "nosuchtag"})
    assert unknown.status_code == 200 and "There is no tag" in unknown.text and "Tablet drops" not in unknown.text
    assert client.get("/kb/v/nosuchvendor/").status_code == 404
    assert client.get("/kb/", {"after": "garbage!"}).status_code == 400


def test_kb_pages_with_keyset_and_fixed_query_count(customer, expert, client, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "THREADS_PER_PAGE": 5}
    for i in range(3):
        solved_thread(customer, expert, f"Solved problem {i:02d}", f"Answer {i}", tags="common")
    client.get("/kb/")
    with CaptureQueriesContext(connection) as few:
        client.get("/kb/")
    for i in range(3, 12):
        solved_thread(customer, expert, f"Solved problem {i:02d}", f"Answer {i}", tags="common")
    with CaptureQueriesContext(connection) as many:
        first = client.get("/kb/").text
    assert len(few) == len(many)
    assert "Solved problem 11" in first and "Solved problem 06" not in first
    after = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(after).text
    assert "Solved problem 06" in second and "Solved problem 11" not in second


def test_staff_verify_the_accepted_answer(nw_thread, staff, vendor, client):
    thread, answer = nw_thread
    knowledge_actions.verify_answer(user=staff, post=answer)
    assert AnswerVerification.objects.filter(post=answer, vendor=vendor, verified_by=staff).exists()
    event = Event.objects.filter(thread=thread).latest("seq")
    assert (event.kind, event.vendor_id, event.data["vendor"]) == (EventKind.VERIFIED, None, "northwind")
    assert "✓ Verified by Northwind Devices" in client.get(thread.get_absolute_url()).text
    assert "✓ Verified by Northwind Devices" in client.get("/kb/").text
    with pytest.raises(ValidationError, match="already verified"):
        knowledge_actions.verify_answer(user=staff, post=answer)


@pytest.mark.parametrize("who", ["visitor", "customer", "expert", "moderator", "other_staff"])
def test_only_staff_of_a_vendor_on_the_thread_verify(request, nw_thread, who):
    _, answer = nw_thread
    user = person(request, who)
    with pytest.raises(PermissionDenied):
        knowledge_actions.verify_answer(user=user, post=answer)
    assert not AnswerVerification.objects.exists()


def test_only_the_accepted_answer_can_be_verified(nw_thread, staff, other_customer):
    thread, _ = nw_thread
    other = post_actions.reply(author=other_customer, thread=thread, body="Another idea.")
    with pytest.raises(ValidationError, match="Only the accepted answer"):
        knowledge_actions.verify_answer(user=staff, post=other)


def test_verify_control_only_for_staff(nw_thread, staff, expert):
    thread, answer = nw_thread
    assert "Verify for Northwind Devices" in client_for(staff).get(thread.get_absolute_url()).text
    assert "Verify for" not in client_for(expert).get(thread.get_absolute_url()).text
    response = client_for(staff).post(f"/p/{answer.pk}/verify/", {"vendor": "northwind"}, follow=True)
    assert "now shows “Verified by Northwind Devices”" in response.text
    assert "Verify for" not in response.text
    bad = client_for(staff).post(f"/p/{answer.pk}/verify/", {"vendor": "nosuch"}, follow=True)
    assert "Unknown vendor." in bad.text


@pytest.mark.parametrize("who", ["customer", "moderator", "staff", "retagger"])
def test_allowed_people_flag_an_answer_outdated(request, nw_thread, who, client):
    thread, answer = nw_thread
    user = make_user("retagger", reputation=500) if who == "retagger" else request.getfixturevalue(who)
    knowledge_actions.flag_outdated(user=user, post=answer, reason="Fixed in firmware 4.3")
    event = Event.objects.filter(thread=thread).latest("seq")
    assert (event.kind, event.data["reason"]) == (EventKind.OUTDATED, "Fixed in firmware 4.3")
    page = client.get(thread.get_absolute_url()).text
    assert "Outdated:</strong> Fixed in firmware 4.3" in page
    kb = client.get("/kb/").text
    assert "Outdated:</strong> Fixed in firmware 4.3" in kb


@pytest.mark.parametrize("who", ["visitor", "other_customer", "low_rep", "other_staff"])
def test_others_cannot_flag_outdated(request, nw_thread, who):
    _, answer = nw_thread
    user = person(request, who, low_rep=499)
    with pytest.raises(PermissionDenied):
        knowledge_actions.flag_outdated(user=user, post=answer, reason="Fixed in firmware 4.3")
    assert not OutdatedFlag.objects.exists()


@pytest.mark.parametrize(("reason", "message"), [("", "Say briefly"), ("meh", "Say briefly"), ("x" * 201, "under")])
def test_outdated_needs_a_short_reason(nw_thread, customer, reason, message):
    _, answer = nw_thread
    response = client_for(customer).post(f"/p/{answer.pk}/outdated/", {"reason": reason}, follow=True)
    assert response.status_code == 200 and message in response.text
    assert not OutdatedFlag.objects.exists()


def test_question_cannot_be_flagged_and_no_double_flag(nw_thread, customer):
    thread, answer = nw_thread
    with pytest.raises(ValidationError, match="Only answers"):
        knowledge_actions.flag_outdated(user=customer, post=thread.posts.get(is_question=True), reason="Old stuff")
    knowledge_actions.flag_outdated(user=customer, post=answer, reason="Old stuff here")
    with pytest.raises(ValidationError, match="already flagged"):
        knowledge_actions.flag_outdated(user=customer, post=answer, reason="Old stuff again")


def test_staff_and_moderators_clear_outdated_but_the_author_cannot(nw_thread, customer, staff, moderator, client):
    thread, answer = nw_thread
    knowledge_actions.flag_outdated(user=customer, post=answer, reason="Fixed in firmware 4.3")
    with pytest.raises(PermissionDenied):
        knowledge_actions.clear_outdated(user=customer, post=answer)
    assert "Clear outdated" in client_for(staff).get(thread.get_absolute_url()).text
    assert "Clear outdated" not in client_for(customer).get(thread.get_absolute_url()).text
    knowledge_actions.clear_outdated(user=staff, post=answer)
    assert not OutdatedFlag.objects.exists()
    page = client.get(thread.get_absolute_url()).text
    assert "Outdated:" not in page and "cleared the outdated flag" in page
    with pytest.raises(ValidationError, match="not flagged"):
        knowledge_actions.clear_outdated(user=moderator, post=answer)


def test_thread_page_query_count_fixed_with_knowledge(nw_thread, customer, expert, staff, moderator):
    thread, answer = nw_thread
    small_thread, small_answer = solved_thread(
        customer, expert, "Tablet wifi small thread", "Short answer.", body="Help @northwind"
    )
    for i in range(15):
        post_actions.reply(author=expert, thread=thread, body=f"Reply {i}")
    knowledge_actions.verify_answer(user=staff, post=answer)
    knowledge_actions.flag_outdated(user=customer, post=answer, reason="Fixed in firmware 4.3")
    knowledge_actions.flag_outdated(user=customer, post=small_answer, reason="Fixed in firmware 4.3")
    # Knowledge a thread lacks costs no query (EXISTS columns), so both threads carry each kind.
    knowledge_actions.verify_answer(user=staff, post=small_answer)
    small_dup = thread_actions.create_thread(author=customer, title="Tablet small dup", body="Same.")
    knowledge_actions.mark_duplicate(user=moderator, thread=small_dup, canonical=small_thread)
    for i in range(4):
        dup = thread_actions.create_thread(author=customer, title=f"Tablet wifi dup {i}", body="Same.")
        knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=thread)
    client = client_for(staff)
    client.get(small_thread.get_absolute_url())  # warm the caches (tags, vendors, similar threads)
    client.get(thread.get_absolute_url())
    with CaptureQueriesContext(connection) as small:
        client.get(small_thread.get_absolute_url())
    with CaptureQueriesContext(connection) as big:
        page = client.get(thread.get_absolute_url()).text
    assert "Tablet wifi dup 3" in page and "Reply 14" in page
    assert len(small) == len(big)
