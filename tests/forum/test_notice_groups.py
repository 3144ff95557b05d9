"""Notifications grouped by thread, escalation notices styled as such, mute per thread honoured."""

import pytest

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Notification, ThreadMute
from swarm.actions import claims, escalations
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_inbox_groups_by_thread_and_styles_escalations(customer, expert, staff, vendor, thread):
    other = thread_actions.create_thread(author=customer, title="Printer jams on page two", body="b", tags="printer")
    post_actions.reply(author=expert, thread=thread, body="Try a router reboot.")
    post_actions.reply(author=expert, thread=other, body="Clean the rollers.")
    post_actions.reply(author=expert, thread=thread, body="Or turn off MAC randomisation.")
    escalation = escalations.escalate(user=customer, thread=thread, handle=vendor.handle)
    claims.claim(staff=staff, escalation=escalation)
    text = client_for(customer).get("/notifications/").text
    assert text.count(f'id="notice-thread-{thread.pk}"') == 1  # one group, several notices
    assert text.count(f'id="notice-thread-{other.pk}"') == 1
    assert text.index(thread.title) < text.index(other.title)  # the newest notice's thread first
    assert 'class="notice notice-escalation is-unread"' in text
    assert f"@{vendor.handle}" in text


def test_muted_thread_makes_no_more_notices(customer, expert, other_customer, thread):
    client = client_for(customer)
    post_actions.reply(author=expert, thread=thread, body="First idea.")
    response = client.post(f"/t/{thread.pk}/mute/", {"action": "mute"})
    assert response.status_code == 302
    before = Notification.objects.filter(recipient=customer).count()
    post_actions.reply(author=other_customer, thread=thread, body=f"Second idea, @{customer.username} see this.")
    assert Notification.objects.filter(recipient=customer).count() == before
    assert "Muted · unmute" in client.get("/notifications/").text
    client.post(f"/t/{thread.pk}/mute/", {"action": "unmute"})
    post_actions.reply(author=other_customer, thread=thread, body=f"Third idea, @{customer.username}.")
    assert Notification.objects.filter(recipient=customer).count() == before + 1


@pytest.mark.parametrize("action", ["", "explode", "x" * 500])
def test_mute_bad_input_changes_nothing(customer, thread, action):
    response = client_for(customer).post(f"/t/{thread.pk}/mute/", {"action": action}, follow=True)
    assert "Choose mute or unmute" in response.text
    assert not ThreadMute.objects.exists()


def test_mute_needs_login_post_and_a_thread(customer, thread):
    assert client_for(None).post(f"/t/{thread.pk}/mute/", {"action": "mute"}).status_code == 302
    assert client_for(customer).get(f"/t/{thread.pk}/mute/").status_code == 405
    assert client_for(customer).post("/t/999999/mute/", {"action": "mute"}).status_code == 404
    assert not ThreadMute.objects.exists()


def test_mute_redirect_stays_on_site(customer, thread):
    response = client_for(customer).post(f"/t/{thread.pk}/mute/", {"action": "mute", "next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"
