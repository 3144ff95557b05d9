"""Presence: each person counted once, a closed or dead connection drops out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from swarm.actions import presence
from swarm.models import Presence

pytestmark = pytest.mark.django_db


def test_two_tabs_of_one_person_count_once(thread, customer):
    presence.join(thread=thread, channel_name="tab-1", user=customer)
    presence.join(thread=thread, channel_name="tab-2", user=customer)
    assert presence.summary(thread_id=thread.pk)["customers"] == ["Jeff Morrow"]


def test_a_connection_that_stops_pinging_drops_out_within_the_ttl(thread, customer, expert):
    presence.join(thread=thread, channel_name="alive", user=customer)
    presence.join(thread=thread, channel_name="dead-process", user=expert)
    Presence.objects.filter(channel_name="dead-process").update(
        last_seen=timezone.now() - presence.PRESENCE_TTL - timedelta(seconds=1)
    )
    here = presence.summary(thread_id=thread.pk)
    assert here["experts"] == []
    assert here["customers"] == ["Jeff Morrow"]
    assert timedelta(seconds=30) >= presence.PRESENCE_TTL


def test_a_pending_vendor_member_is_not_shown_as_staff(thread, vendor, customer):
    from forum.actions.vendors import request_membership

    request_membership(user=customer, vendor=vendor)
    presence.join(thread=thread, channel_name="c", user=customer)
    here = presence.summary(thread_id=thread.pk)
    assert here["staff"] == []
    assert here["customers"] == ["Jeff Morrow"]
