"""Following tags, vendors and threads; who hears of a new thread; notification settings."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from taggit.models import Tag

from forum.actions import follows as follow_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Notification, NotificationSettings, TagFollow, ThreadFollow, VendorFollow
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def new_thread_notes(user):
    return list(Notification.objects.filter(recipient=user, kind=Notification.Kind.NEW_THREAD))


def ask(author, title="Printer offline after update", body="It says offline.", tags="printing"):
    return thread_actions.create_thread(author=author, title=title, body=body, tags=tags)


def test_following_a_tag_tells_of_each_new_thread_in_it_once(thread, customer, expert, other_customer):
    wifi = Tag.objects.get(name="wifi")
    follow_actions.follow_tag(user=expert, tag=wifi)
    follow_actions.follow_tag(user=expert, tag=wifi)  # twice is harmless
    follow_actions.follow_tag(user=expert, tag=Tag.objects.get(name="tablet"))
    new = ask(other_customer, title="Wifi drops on my tablet", tags="wifi tablet")
    notes = new_thread_notes(expert)
    assert [n.event.thread_id for n in notes] == [new.pk]  # two followed tags, one notification
    assert TagFollow.objects.filter(user=expert).count() == 2


def test_the_author_is_not_told_of_their_own_thread(customer):
    ask(customer, tags="printing")
    follow_actions.follow_tag(user=customer, tag=Tag.objects.get(name="printing"))
    ask(customer, title="Printer jams on every page", tags="printing")
    assert new_thread_notes(customer) == []


def test_following_a_vendor_tells_of_threads_that_tag_it(vendor, customer, expert):
    follow_actions.follow_vendor(user=expert, vendor=vendor)
    new = ask(customer, title="Tablet will not charge", body="@northwind please help", tags="power")
    ask(customer, title="Unrelated laptop question", body="no vendor here", tags="laptop")
    assert [n.event.thread_id for n in new_thread_notes(expert)] == [new.pk]


def test_unfollowing_stops_new_thread_notifications(customer, expert, vendor):
    follow_actions.follow_tag(user=expert, tag=Tag.objects.get_or_create(name="printing")[0])
    follow_actions.follow_vendor(user=expert, vendor=vendor)
    follow_actions.unfollow_tag(user=expert, tag=Tag.objects.get(name="printing"))
    follow_actions.unfollow_vendor(user=expert, vendor=vendor)
    ask(customer, body="@northwind it is offline")
    assert new_thread_notes(expert) == []
    assert not VendorFollow.objects.exists()


def test_a_mention_wins_over_a_new_thread_notification(customer, expert):
    follow_actions.follow_tag(user=expert, tag=Tag.objects.get_or_create(name="printing")[0])
    ask(customer, body="@dana you fixed this before?")
    assert list(Notification.objects.filter(recipient=expert).values_list("kind", flat=True)) == ["mention"]


def test_live_new_thread_notifications_can_be_turned_off(customer, expert, other_customer):
    printing = Tag.objects.get_or_create(name="printing")[0]
    follow_actions.follow_tag(user=expert, tag=printing)
    follow_actions.follow_tag(user=other_customer, tag=printing)
    follow_actions.update_notification_settings(
        user=expert, new_thread_live=False, daily_digest=True, email_replies_mentions=False
    )
    ask(customer)
    assert new_thread_notes(expert) == []
    assert len(new_thread_notes(other_customer)) == 1


def test_inactive_followers_hear_nothing(customer):
    gone = make_user("gone", is_active=False)
    follow_actions.follow_tag(user=make_user("present"), tag=Tag.objects.get_or_create(name="printing")[0])
    TagFollow.objects.create(user=gone, tag=Tag.objects.get(name="printing"))
    ask(customer)
    assert Notification.objects.filter(recipient=gone).count() == 0
    assert Notification.objects.filter(kind="new_thread").count() == 1


def test_unfollowing_a_thread_stops_reply_notifications(thread, customer, expert, other_customer):
    follow_actions.unfollow_thread(user=customer, thread=thread)
    follow_actions.follow_thread(user=other_customer, thread=thread)
    post_actions.reply(author=expert, thread=thread, body="Try a reset.")
    assert not Notification.objects.filter(recipient=customer).exists()
    assert Notification.objects.filter(recipient=other_customer, kind="reply").count() == 1


def test_anonymous_people_cannot_follow(thread):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        follow_actions.follow_thread(user=AnonymousUser(), thread=thread)


def test_reply_and_mention_emails_only_for_those_who_asked(
    thread, customer, expert, other_customer, django_capture_on_commit_callbacks
):
    follow_actions.follow_thread(user=other_customer, thread=thread)
    follow_actions.update_notification_settings(
        user=customer, new_thread_live=True, daily_digest=False, email_replies_mentions=True
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_actions.reply(author=expert, thread=thread, body="Turn off **MAC randomisation**, @mei.")
    assert [m.to for m in mail.outbox] == [[customer.email]]
    message = mail.outbox[0]
    assert "Dana Whitfield replied" in message.subject
    assert "MAC randomisation" in message.body
    assert thread.get_absolute_url() in message.body


# ---- pages ----


def test_follow_buttons_work_without_javascript(thread, expert, vendor):
    client = client_for(expert)
    response = client.post(reverse("forum:follow_tag", args=["wifi"]), {"action": "follow", "next": "/tags/wifi/"})
    assert response.status_code == 302 and response["Location"] == "/tags/wifi/"
    page = client.get("/tags/wifi/")
    assert "✓ Following" in page.text
    client.post(reverse("forum:follow_vendor", args=["northwind"]), {"action": "follow"})
    assert "✓ Following" in client.get(vendor.get_absolute_url()).text
    client.post(reverse("forum:follow_thread", args=[thread.pk]), {"action": "follow"})
    assert ThreadFollow.objects.filter(user=expert, thread=thread).exists()
    client.post(reverse("forum:follow_tag", args=["wifi"]), {"action": "unfollow"})
    assert not TagFollow.objects.filter(user=expert).exists()


def test_follow_buttons_answer_htmx_with_the_new_button(thread, expert):
    client = client_for(expert)
    response = client.post(
        reverse("forum:follow_thread", args=[thread.pk]), {"action": "unfollow"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'name="action" value="follow"' in response.text
    assert "Following" not in response.text.replace("following", "")


def test_follow_redirects_only_to_this_site(thread, expert):
    response = client_for(expert).post(
        reverse("forum:follow_tag", args=["wifi"]), {"action": "follow", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/tags/wifi/"


def test_following_needs_a_login_and_a_real_target(client, expert):
    assert client.post(reverse("forum:follow_tag", args=["wifi"])).status_code == 302
    assert not TagFollow.objects.exists()
    logged_in = client_for(expert)
    assert logged_in.post(reverse("forum:follow_tag", args=["no-such-tag"])).status_code == 404
    assert logged_in.post(reverse("forum:follow_vendor", args=["nobody"])).status_code == 404
    assert logged_in.get(reverse("forum:follow_tag", args=["no-such-tag"])).status_code == 405


def test_settings_page_saves_choices_and_lists_what_one_follows(thread, expert, vendor):
    follow_actions.follow_tag(user=expert, tag=Tag.objects.get(name="wifi"))
    follow_actions.follow_vendor(user=expert, vendor=vendor)
    follow_actions.follow_thread(user=expert, thread=thread)
    client = client_for(expert)
    page = client.get(reverse("forum:notification_settings"))
    assert page.status_code == 200
    for text in ("Following", "wifi", "Northwind Devices", thread.title):
        assert text in page.text
    response = client.post(reverse("forum:notification_settings"), {"daily_digest": "on"})
    assert response.status_code == 302
    prefs = NotificationSettings.objects.get(user=expert)
    assert (prefs.new_thread_live, prefs.daily_digest, prefs.email_replies_mentions) == (False, True, False)
    assert client_for(None).get(reverse("forum:notification_settings")).status_code == 302


def test_settings_page_costs_the_same_whatever_one_follows(customer, expert):
    client = client_for(expert)
    url = reverse("forum:notification_settings")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(6):
        t = ask(customer, title=f"Question number {i} here", tags=f"tag{i}")
        follow_actions.follow_tag(user=expert, tag=Tag.objects.get(name=f"tag{i}"))
        follow_actions.follow_thread(user=expert, thread=t)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "Question number 5 here" in response.text
    assert len(few.captured_queries) == len(many.captured_queries)


def test_tag_vendor_and_thread_pages_cost_the_same_for_followers(thread, expert, vendor):
    client = client_for(expert)
    for url in ("/tags/wifi/", vendor.get_absolute_url(), thread.get_absolute_url()):
        client.get(url)
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        follow_actions.follow_tag(user=expert, tag=Tag.objects.get(name="wifi"))
        follow_actions.follow_vendor(user=expert, vendor=vendor)
        follow_actions.follow_thread(user=expert, thread=thread)
        with CaptureQueriesContext(connection) as after:
            response = client.get(url)
        assert "✓ Following" in response.text
        assert len(before.captured_queries) == len(after.captured_queries)
