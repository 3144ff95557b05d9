"""Views: bad input gets a message and changes nothing; permissions; HTTP edges."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from forum.models import Event, Post, PostRevision, Thread, Vote
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ASK = "/ask/"
GOOD = {"title": "Laptop will not wake from sleep", "body": "It stays black.", "tags": "laptop sleep"}


def _counts():
    return Thread.objects.count(), Post.objects.count(), Event.objects.count()


def _ask(user, **data):
    return client_for(user).post(ASK, {**GOOD, **data})


def test_good_question_is_posted(customer):
    response = _ask(customer)
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert response["Location"] == thread.get_absolute_url()
    assert sorted(thread.tags.names()) == ["laptop", "sleep"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "Please give your thread a title."),
        ({"title": "   \t  "}, "Please give your thread a title."),
        ({"title": "x" * 201}, "201"),
        ({"body": ""}, "the post is empty"),
        ({"body": "   \n  "}, "the post is empty"),
        ({"body": "x" * 50_001}, "50000"),
        ({"tags": "a b c d e f"}, "at most 5 tags"),
        ({"tags": "wifi -bad"}, "not a valid tag"),
        ({"tags": "<script>"}, "not a valid tag"),
        ({"tags": "x" * 40}, "not a valid tag"),
        ({"title": "\x00\u202e\u200b"}, "title"),
    ],
)
def test_bad_input_rerenders_ask_with_message(customer, data, message):
    before = _counts()
    response = _ask(customer, **data)
    assert response.status_code == 400
    assert "Ask the community" in response.text
    assert message.lower() in html.unescape(response.text).lower()
    assert _counts() == before


@pytest.mark.parametrize(
    "title",
    [
        "Wifi \U0001f4f6 drops after sleep 🙃",
        "Cafe\u0301 router resets itself nightly",
        "Tab\x00let drops wifi after sleep",
        "\u202eTablet drops wifi after sleep\u202c",
        "Zero\u200bwidth joiner in my title here",
    ],
)
def test_odd_unicode_is_cleaned_or_refused_never_500(customer, title):
    response = _ask(customer, title=title, body="body \x00 with NUL and \u202e override")
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        thread = Thread.objects.get()
        assert "\x00" not in thread.title and "\u202e" not in thread.title
        assert "\x00" not in thread.posts.get().body and "\u202e" not in thread.posts.get().body


def test_combining_characters_are_normalised(customer):
    _ask(customer, title="Cafe\u0301 router resets itself nightly")
    assert Thread.objects.get().title == "Caf\u00e9 router resets itself nightly"


def test_reply_with_empty_body_shows_message(thread, expert):
    before = _counts()
    response = client_for(expert).post(reverse("forum:reply", args=[thread.pk]), {"body": "  "})
    assert response.status_code == 400
    assert thread.title in response.text
    assert "the post is empty" in response.text
    assert _counts() == before


def test_reply_on_locked_thread_is_refused(thread, expert, moderator):
    from forum.actions.threads import set_locked

    set_locked(moderator=moderator, thread=thread, locked=True)
    before = _counts()
    response = client_for(expert).post(reverse("forum:reply", args=[thread.pk]), {"body": "Let me in"})
    assert response.status_code == 403
    assert "locked" in response.text
    assert _counts() == before


# --- CSRF -------------------------------------------------------------------


def _csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_csrf_missing_on_ask(customer):
    before = _counts()
    response = _csrf_client(customer).post(ASK, GOOD)
    assert response.status_code == 403
    assert "security token" in response.text
    assert _counts() == before


def test_csrf_missing_on_reply(thread, expert):
    before = _counts()
    response = _csrf_client(expert).post(reverse("forum:reply", args=[thread.pk]), {"body": "hi there"})
    assert response.status_code == 403
    assert "security token" in response.text
    assert _counts() == before


def test_csrf_missing_on_vote(reply, other_customer):
    response = _csrf_client(other_customer).post(reverse("forum:vote", args=[reply.pk]))
    assert response.status_code == 403
    assert "security token" in response.text
    assert not Vote.objects.exists()


# --- permissions ------------------------------------------------------------


def test_editing_someone_elses_post_is_forbidden(reply, other_customer):
    url = reverse("forum:edit", args=[reply.pk])
    client = client_for(other_customer)
    assert client.get(url).status_code == 403
    response = client.post(url, {"body": "hijacked"})
    assert response.status_code == 403
    assert "only edit your own posts" in response.text
    reply.refresh_from_db()
    assert reply.body == "Turn off MAC randomisation."
    assert not PostRevision.objects.exists()


def test_moderator_can_edit(reply, moderator):
    response = client_for(moderator).post(reverse("forum:edit", args=[reply.pk]), {"body": "Cleaned up by a mod."})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Cleaned up by a mod."
    assert PostRevision.objects.get(post=reply).edited_by == moderator


def test_edit_keeps_history_and_page_shows_edited(thread, reply, expert):
    client = client_for(expert)
    response = client.post(
        reverse("forum:edit", args=[reply.pk]), {"body": "Turn off private MAC addresses."}, follow=True
    )
    assert response.status_code == 200
    assert "· edited" in response.text
    assert "private MAC addresses" in response.text
    history = client.get(reverse("forum:post_history", args=[reply.pk]))
    assert history.status_code == 200
    assert "MAC randomisation" in history.text


def test_unchanged_edit_shows_message(reply, expert):
    response = client_for(expert).post(reverse("forum:edit", args=[reply.pk]), {"body": reply.body})
    assert response.status_code == 400
    assert "Nothing changed." in response.text
    assert not PostRevision.objects.exists()


def test_accept_on_someone_elses_thread_is_forbidden(thread, reply, other_customer):
    response = client_for(other_customer).post(reverse("forum:accept", args=[reply.pk]))
    assert response.status_code == 403
    assert "Only the person who asked" in response.text
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_accept_and_reopen_through_views(thread, reply, customer):
    client = client_for(customer)
    response = client.post(reverse("forum:accept", args=[reply.pk]), follow=True)
    assert "Solved" in response.text
    thread.refresh_from_db()
    assert thread.status == Thread.Status.SOLVED
    response = client.post(reverse("forum:reopen", args=[thread.pk]), follow=True)
    assert "open again" in response.text
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_voting_twice_shows_message_and_score_unchanged(reply, other_customer):
    client = client_for(other_customer)
    url = reverse("forum:vote", args=[reply.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "already voted" in response.text
    reply.refresh_from_db()
    assert reply.score == 1
    assert Vote.objects.count() == 1


def test_voting_on_own_post_shows_message(reply, expert):
    response = client_for(expert).post(reverse("forum:vote", args=[reply.pk]), follow=True)
    assert "can&#x27;t vote on your own post" in response.text or "can't vote on your own post" in response.text
    assert not Vote.objects.exists()
    reply.refresh_from_db()
    assert reply.score == 0


@pytest.mark.parametrize("name", ["ask", "reply", "vote", "accept", "edit", "reopen"])
def test_visitors_are_sent_to_login(client, thread, reply, name):
    args = {"ask": [], "reply": [thread.pk], "reopen": [thread.pk]}.get(name, [reply.pk])
    url = reverse(f"forum:{name}", args=args)
    before = _counts()
    response = client.post(url, {"body": "anon", **GOOD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert _counts() == before


@pytest.mark.parametrize("name", ["reply", "vote", "accept", "reopen"])
def test_get_on_post_only_urls_is_405(customer, thread, reply, name):
    args = [thread.pk] if name in ("reply", "reopen") else [reply.pk]
    response = client_for(customer).get(reverse(f"forum:{name}", args=args))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "url",
    ["/t/999999/", "/t/999999/x/", "/p/999999/edit/", "/p/999999/history/", "/u/nobody/", "/v/nobody/", "/tags/nope/"],
)
def test_unknown_ids_are_404(customer, url):
    response = client_for(customer).get(url)
    assert response.status_code == 404
    assert "nothing at this address" in response.text


@pytest.mark.parametrize("name", ["vote", "accept"])
def test_post_to_unknown_post_is_404(customer, name):
    assert client_for(customer).post(reverse(f"forum:{name}", args=[999999])).status_code == 404


def test_reply_to_unknown_thread_is_404(customer):
    assert client_for(customer).post(reverse("forum:reply", args=[999999]), {"body": "hi"}).status_code == 404


@pytest.mark.parametrize("cursor", ["garbage", "!!!", "Zm9vYmFy", "MjAyMC0wMS0wMXwx", "x" * 500, "%00"])
def test_bad_cursor_is_400_with_message(client, thread, cursor):
    response = client.get("/", {"after": cursor})
    assert response.status_code == 400
    assert "page link is broken" in response.text


def test_bad_cursor_on_vendor_page_is_400(client, vendor):
    response = client.get(vendor.get_absolute_url(), {"after": "garbage"})
    assert response.status_code == 400


def test_unknown_list_is_400(client, thread):
    response = client.get("/", {"show": "bogus"})
    assert response.status_code == 400
    assert "Unknown list" in response.text


@pytest.mark.parametrize("show", ["latest", "unanswered", "open", "solved"])
def test_known_lists_answer(client, thread, show):
    assert client.get("/", {"show": show}).status_code == 200


def test_thread_short_url_redirects_to_slug(client, thread):
    response = client.get(f"/t/{thread.pk}/")
    assert response.status_code == 301
    assert response["Location"] == thread.get_absolute_url()


@pytest.mark.parametrize(
    "url",
    [
        "/tags/a%00b/",
        "/u/a%00b/",
        "/v/a%00b/",
        "/tags/suggest/?q=a%00b",
        "/search/?q=wifi%00",
        "/?show=latest%00",
        "/?after=a%00b",
        "/t/1/a%00b/",
    ],
)
def test_nul_bytes_in_urls_never_500(client, thread, url):
    response = client.get(url)
    assert response.status_code in (200, 301, 400, 404)


def _cursor(raw: str) -> str:
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+14:00|1",
        "9999-12-31T23:59:59-14:00|1",
        "2020-01-01T00:00:00|1",
        "2020-01-01T00:00:00+00:00|x",
        "2020-01-01T00:00:00+00:00|1|2",
        "not a date|1",
    ],
)
def test_forged_cursors_are_400(client, thread, raw):
    response = client.get("/", {"after": _cursor(raw)})
    assert response.status_code == 400
    assert "page link is broken" in response.text


@pytest.mark.parametrize(
    "raw",
    ["0001-01-01T00:00:00+00:00|1", "9999-12-31T23:59:59+00:00|1", "2020-01-01T00:00:00+00:00|99999999999999999999999"],
)
def test_extreme_but_valid_cursors_answer(client, thread, raw):
    assert client.get("/", {"after": _cursor(raw)}).status_code in (200, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/t/99999999999999999999/",
        "/t/99999999999999999999/x/",
        "/p/99999999999999999999/edit/",
        "/p/99999999999999999999/history/",
        "/search/?q=wifi&offset=99999999999999999999999",
    ],
)
def test_huge_numbers_in_urls_never_500(customer, thread, url):
    assert client_for(customer).get(url).status_code in (200, 404)


@pytest.mark.parametrize("name", ["vote", "accept"])
def test_huge_post_id_is_404(customer, name):
    assert client_for(customer).post(f"/p/99999999999999999999/{name}/").status_code == 404


def test_user_text_is_escaped_in_pages(customer, client):
    from forum.actions.threads import create_thread

    customer.display_name = "<img src=x onerror=alert(1)>"
    customer.save()
    thread = create_thread(author=customer, title="<script>alert('t')</script> title", body="fine", tags="wifi")
    for url in ("/", thread.get_absolute_url(), "/tags/wifi/", "/search/?q=title", f"/u/{customer.username}/"):
        text = client.get(url, follow=True).text
        assert "<script>alert(" not in text, url
        assert "<img src=x onerror" not in text, url


def test_editing_question_title_keeps_old_link_working(thread, customer, client):
    question = thread.posts.get(is_question=True)
    old_url = thread.get_absolute_url()
    response = client_for(customer).post(
        reverse("forum:edit", args=[question.pk]), {"title": "Tablet drops wifi after every sleep", "body": "Same."}
    )
    assert response.status_code == 302
    page = client.get(old_url, follow=True)
    assert page.status_code == 200
    assert "Tablet drops wifi after every sleep" in page.text
    assert PostRevision.objects.get(post=question).title == "Tablet drops wifi after sleep"


def test_overlong_reply_shows_message_and_changes_nothing(thread, expert):
    before = _counts()
    response = client_for(expert).post(reverse("forum:reply", args=[thread.pk]), {"body": "y" * 50_001})
    assert response.status_code == 400
    assert "50000" in response.text or "50,000" in response.text
    assert _counts() == before


def test_a_visitors_revalidation_is_a_304_and_changes_with_a_reply(thread, expert, customer):
    from django.test import Client

    from forum.actions import posts as post_actions

    url = thread.get_absolute_url()
    visitor = Client()
    visitor.get(url)  # the first answer sets the CSRF cookie, which is part of the ETag
    first = visitor.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag and "Cookie" in first["Vary"]
    again = visitor.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    post_actions.reply(author=expert, thread=thread, body="A brand new answer")
    fresh = visitor.get(url, headers={"if-none-match": etag})
    assert fresh.status_code == 200 and "A brand new answer" in fresh.text
    member = Client()
    member.force_login(customer)
    response = member.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200 and not response.has_header("ETag")
