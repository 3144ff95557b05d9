"""Muting a tag: its threads make no notices unless they address the person directly.

Decided (docs/community.md): a mention, one's own answer accepted, any notice about one's own
thread, a vendor's work for its staff (escalations, claims), moderation and badges still arrive;
replies on threads one follows, new threads and radar notices in the muted tag do not.
"""

import pytest
from taggit.models import Tag

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import TagFollow, TagMute
from swarm.actions import escalations
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def inbox(user) -> str:
    return client_for(user).get("/notifications/").text


@pytest.fixture
def printer_thread(other_customer):
    return thread_actions.create_thread(
        author=other_customer, title="Printer offline after update", body="It says offline.", tags="printer"
    )


def mute(user, tag_name: str, action: str = "mute"):
    return client_for(user).post(f"/follow/tag/{tag_name}/mute/", {"action": action}, follow=True)


def test_muting_a_tag_from_its_page_silences_replies_but_not_mentions(expert, customer, printer_thread):
    post_actions.reply(author=expert, thread=printer_thread, body="Is it on the same network?")  # expert follows
    page = mute(expert, "printer")
    assert "Muted printer" in page.text
    assert "Muted · unmute" in page.text and "✓ Following" not in page.text  # the tag page, with the undo button
    post_actions.reply(author=customer, thread=printer_thread, body="Same problem here, no fix yet.")
    assert "replied on a thread you follow" not in inbox(expert)
    post_actions.reply(author=customer, thread=printer_thread, body=f"@{expert.username} does the driver matter?")
    assert "mentioned you" in inbox(expert)


def test_a_muted_tag_hides_new_threads_from_a_vendor_follower(expert, customer, vendor):
    client_for(expert).post(f"/follow/vendor/{vendor.handle}/", {"action": "follow"})
    Tag.objects.get_or_create(name="printer")
    mute(expert, "printer")
    thread_actions.create_thread(author=customer, title="Printer jams", body="@northwind help", tags="printer")
    thread_actions.create_thread(author=customer, title="Tablet will not charge", body="@northwind help", tags="power")
    text = inbox(expert)
    assert "Tablet will not charge" in text
    assert "Printer jams" not in text


def test_the_asker_still_hears_about_their_own_thread_in_a_muted_tag(other_customer, expert, printer_thread):
    mute(other_customer, "printer")
    post_actions.reply(author=expert, thread=printer_thread, body="Reinstall the driver.")
    assert "replied on a thread you follow" in inbox(other_customer)


def test_vendor_staff_still_hear_of_an_escalation_to_their_vendor_in_a_muted_tag(staff, vendor, printer_thread):
    mute(staff, "printer")
    escalations.escalate(user=printer_thread.author, thread=printer_thread, handle=vendor.handle)
    assert "escalated a thread to your vendor" in inbox(staff)


def test_muting_stops_following_and_following_lifts_the_mute(expert, printer_thread):
    client = client_for(expert)
    client.post("/follow/tag/printer/", {"action": "follow"})
    mute(expert, "printer")
    assert not TagFollow.objects.filter(user=expert).exists()
    settings_page = client.get("/settings/notifications/").text
    assert "Muted tags" in settings_page and "Muted · unmute" in settings_page
    client.post("/follow/tag/printer/", {"action": "follow"})
    assert not TagMute.objects.exists()
    mute(expert, "printer")
    page = mute(expert, "printer", "unmute")
    assert "Unmuted printer." in page.text
    assert not TagMute.objects.exists()


@pytest.mark.parametrize("action", ["", "explode", "x" * 500])
def test_tag_mute_bad_input_changes_nothing(expert, printer_thread, action):
    assert "Choose mute or unmute" in mute(expert, "printer", action).text
    assert not TagMute.objects.exists()


def test_tag_mute_needs_login_post_a_tag_and_stays_on_site(expert, printer_thread):
    assert client_for(None).post("/follow/tag/printer/mute/", {"action": "mute"}).status_code == 302
    assert client_for(expert).get("/follow/tag/printer/mute/").status_code == 405
    assert client_for(expert).post("/follow/tag/nosuchtag/mute/", {"action": "mute"}).status_code == 404
    assert not TagMute.objects.exists()
    evil = client_for(expert).post("/follow/tag/printer/mute/", {"action": "mute", "next": "https://evil.example/"})
    assert evil["Location"] == "/tags/printer/"
