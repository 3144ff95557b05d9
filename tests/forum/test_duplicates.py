"""Marking a thread a duplicate of another: permissions, refusals, the hook, and what readers see."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from forum import hooks
from forum.actions import knowledge as knowledge_actions
from forum.actions import threads as thread_actions
from forum.models import Event, EventKind, Thread
from tests.conftest import client_for, make_user

from .knowledge_helpers import person, solved_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def canonical(customer, expert):
    thread, _ = solved_thread(customer, expert, "Tablet drops wifi after sleep", "Turn off MAC randomisation.")
    return thread


@pytest.fixture
def dup(other_customer):
    return thread_actions.create_thread(
        author=other_customer, title="Wifi gone after tablet sleeps", body="Wifi drops after sleep. Help @northwind"
    )


@pytest.fixture
def plain_dup(other_customer, staff):
    """A duplicate nobody escalated; Northwind is on it because its staff answered."""
    from forum.actions import posts as post_actions

    thread = thread_actions.create_thread(
        author=other_customer, title="Wifi gone after tablet sleeps", body="Wifi drops after sleep."
    )
    post_actions.reply(author=staff, thread=thread, body="Which firmware are you on?")
    return thread


@pytest.fixture
def trusted(db):
    return make_user("trusty", reputation=1000)


@pytest.fixture
def received():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    hooks.thread_marked_duplicate.connect(receiver, weak=False)
    yield calls
    hooks.thread_marked_duplicate.disconnect(receiver)


def _reload(thread):
    return Thread.objects.get(pk=thread.pk)


@pytest.mark.parametrize("who", ["moderator", "trusted", "staff"])
def test_allowed_people_mark_a_duplicate_and_the_hook_is_sent(request, who, plain_dup, canonical, received):
    dup = plain_dup
    user = request.getfixturevalue(who)
    knowledge_actions.mark_duplicate(user=user, thread=dup, canonical=canonical)
    assert _reload(dup).duplicate_of_id == canonical.pk
    event = Event.objects.filter(thread=dup).latest("seq")
    assert (event.kind, event.actor_id, event.vendor_id) == (EventKind.DUPLICATE, user.pk, None)
    assert event.data["canonical"] == canonical.pk
    assert len(received) == 1
    assert received[0]["duplicate"].pk == dup.pk
    assert received[0]["canonical"].pk == canonical.pk
    assert received[0]["actor"] == user


@pytest.mark.usefixtures("vendor")
@pytest.mark.parametrize("who", ["visitor", "customer", "other_customer", "low_rep", "other_staff"])
def test_everyone_else_is_refused_and_nothing_changes(request, who, dup, canonical, received):
    """A visitor, a customer who isn't the author, the author, a low-rep user, staff of an unrelated vendor."""
    user = person(request, who, low_rep=999)
    with pytest.raises(PermissionDenied):
        knowledge_actions.mark_duplicate(user=user, thread=dup, canonical=canonical)
    assert _reload(dup).duplicate_of_id is None
    assert not Event.objects.filter(kind=EventKind.DUPLICATE).exists()
    assert received == []


def test_refuses_self(moderator, dup):
    with pytest.raises(ValidationError, match="itself"):
        knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=dup)


def test_refuses_a_canonical_that_is_itself_a_duplicate_and_names_its_canonical(moderator, dup, canonical, customer):
    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    third = thread_actions.create_thread(author=customer, title="Third wifi thread", body="Same.")
    with pytest.raises(ValidationError, match=f"duplicate of thread {canonical.pk}"):
        knowledge_actions.mark_duplicate(user=moderator, thread=third, canonical=dup)
    assert _reload(third).duplicate_of_id is None


def test_refuses_chains_and_cycles(moderator, dup, canonical, customer):
    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    third = thread_actions.create_thread(author=customer, title="Third wifi thread", body="Same.")
    with pytest.raises(ValidationError, match="Other threads are marked duplicates of this one"):
        knowledge_actions.mark_duplicate(user=moderator, thread=canonical, canonical=third)
    with pytest.raises(ValidationError):  # the cycle canonical -> dup -> canonical
        knowledge_actions.mark_duplicate(user=moderator, thread=canonical, canonical=dup)
    with pytest.raises(ValidationError, match="already marked a duplicate"):
        knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=third)
    assert _reload(canonical).duplicate_of_id is None
    assert _reload(dup).duplicate_of_id == canonical.pk


def test_locked_thread_only_by_a_moderator(moderator, trusted, dup, canonical):
    thread_actions.set_locked(moderator=moderator, thread=dup, locked=True)
    with pytest.raises(PermissionDenied, match="locked"):
        knowledge_actions.mark_duplicate(user=trusted, thread=_reload(dup), canonical=canonical)
    knowledge_actions.mark_duplicate(user=moderator, thread=_reload(dup), canonical=canonical)
    assert _reload(dup).duplicate_of_id == canonical.pk


def test_unmark(moderator, other_customer, dup, canonical):
    with pytest.raises(ValidationError, match="not marked"):
        knowledge_actions.unmark_duplicate(user=moderator, thread=dup)
    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    with pytest.raises(PermissionDenied):
        knowledge_actions.unmark_duplicate(user=other_customer, thread=dup)
    knowledge_actions.unmark_duplicate(user=moderator, thread=dup)
    assert _reload(dup).duplicate_of_id is None
    page = client_for(None).get(dup.get_absolute_url()).text
    assert "unmarked the thread as a duplicate" in page
    assert "Duplicate of" not in page


def test_banner_answers_readable_and_also_asked_as(moderator, expert, dup, canonical):
    from forum.actions import posts as post_actions

    post_actions.reply(author=expert, thread=dup, body="Old advice that still reads fine.")
    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    client = client_for(None)
    page = client.get(dup.get_absolute_url()).text
    banner = page.split('class="duplicate-banner"')[1].split("</div>")[0]
    assert f'href="{canonical.get_absolute_url()}"' in banner
    assert "Tablet drops wifi after sleep" in banner
    assert page.index("duplicate-banner") < page.index("<h1>")
    assert "Old advice that still reads fine." in page
    canonical_page = client.get(canonical.get_absolute_url()).text
    also = canonical_page.split("Also asked as…")[1].split("</ul>")[0]
    assert "Wifi gone after tablet sleeps" in also


def test_duplicates_leave_unanswered_and_open_lists_but_stay_in_latest(moderator, dup, canonical):
    client = client_for(None)
    assert dup.title in client.get("/?show=unanswered").text
    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    assert dup.title not in client.get("/?show=unanswered").text
    assert dup.title not in client.get("/?show=open").text
    assert dup.title in client.get("/").text


def test_search_result_points_to_the_canonical(moderator, dup, canonical):
    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    page = client_for(None).get("/search/", {"q": "gone"}).text
    note = page.split('class="duplicate-note"')[1].split("</p>")[0]
    assert f'href="{canonical.get_absolute_url()}"' in note


def test_suggestions_show_the_canonical_instead_of_the_duplicate(moderator, dup, canonical):
    from forum import selectors

    knowledge_actions.mark_duplicate(user=moderator, thread=dup, canonical=canonical)
    assert [s.thread.pk for s in selectors.ask_suggestions(title="wifi gone tablet")] == [canonical.pk]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("", "Give the other thread"),
        ("banana", "not a thread link or number"),
        ("https://example.com/u/jeff/", "not a thread link or number"),
        ("999999", "There is no thread number 999999"),
        ("/t/999999/nope/", "There is no thread number 999999"),
        ("\x00", "not a thread link or number"),
    ],
)
def test_control_gives_clear_messages_for_bad_references(moderator, dup, ref, message):
    client = client_for(moderator)
    response = client.post(f"/t/{dup.pk}/duplicate/", {"canonical": ref}, follow=True)
    assert response.status_code == 200
    assert message in response.text
    assert _reload(dup).duplicate_of_id is None


@pytest.mark.parametrize("form", ["url", "path", "number", "hash"])
def test_control_accepts_a_url_path_or_number(moderator, dup, canonical, form):
    ref = {
        "url": f"http://testserver{canonical.get_absolute_url()}",
        "path": canonical.get_absolute_url(),
        "number": str(canonical.pk),
        "hash": f"#{canonical.pk}",
    }[form]
    response = client_for(moderator).post(f"/t/{dup.pk}/duplicate/", {"canonical": ref}, follow=True)
    assert "Marked as a duplicate of" in response.text
    assert _reload(dup).duplicate_of_id == canonical.pk


def test_control_shown_only_to_those_allowed(moderator, other_customer, dup):
    assert "Mark as duplicate" in client_for(moderator).get(dup.get_absolute_url()).text
    assert "Mark as duplicate" not in client_for(other_customer).get(dup.get_absolute_url()).text
    assert "Mark as duplicate" not in client_for(None).get(dup.get_absolute_url()).text
    response = client_for(other_customer).post(f"/t/{dup.pk}/duplicate/", {"canonical": str(dup.pk)})
    assert response.status_code == 403
