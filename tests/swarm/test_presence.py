"""Presence: each person counted once, a closed or dead connection drops out; in memory or in Redis."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from swarm.actions import presence
from tests.services import redis_server

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def where(request, settings):
    """Run each test against the in-memory store and against a real Redis."""
    if request.param == "memory":
        settings.REDIS_URL = ""
        yield request.param
        return
    with redis_server() as server:
        settings.REDIS_URL = server.url
        yield request.param


def test_two_tabs_of_one_person_count_once(where, thread, customer):
    presence.join(thread=thread, channel_name="tab-1", user=customer)
    presence.join(thread=thread, channel_name="tab-2", user=customer)
    assert presence.summary(thread_id=thread.pk)["customers"] == ["Jeff Morrow"]


def test_a_connection_that_stops_pinging_drops_out_within_the_ttl(where, thread, customer, expert, monkeypatch):
    started = presence._now()
    monkeypatch.setattr(presence, "_now", lambda: started)
    presence.join(thread=thread, channel_name="alive", user=customer)
    presence.join(thread=thread, channel_name="dead-process", user=expert)
    presence.join(thread=thread, channel_name="dead-visitor", user=None)
    assert presence.summary(thread_id=thread.pk)["visitors"] == 1
    # Time passes; only "alive" keeps pinging.
    monkeypatch.setattr(presence, "_now", lambda: started + presence.PRESENCE_TTL + 1)
    presence.refresh(channel_name="alive")
    here = presence.summary(thread_id=thread.pk)
    assert here["experts"] == []
    assert here["visitors"] == 0
    assert here["customers"] == ["Jeff Morrow"]
    assert presence.PRESENCE_TTL <= 30


def test_a_closed_connection_leaves_at_once(where, thread, customer, expert):
    presence.join(thread=thread, channel_name="a", user=customer)
    presence.join(thread=thread, channel_name="b", user=expert)
    presence.leave(channel_name="b")
    here = presence.summary(thread_id=thread.pk)
    assert (here["customers"], here["experts"]) == (["Jeff Morrow"], [])


def test_staff_are_listed_under_their_vendor(where, thread, staff, vendor, customer):
    presence.join(thread=thread, channel_name="s", user=staff)
    presence.join(thread=thread, channel_name="c", user=None)
    here = presence.summary(thread_id=thread.pk)
    assert here["staff"] == [{"vendor": vendor.name, "handle": vendor.handle, "people": [staff.name]}]
    assert here["visitors"] == 1


def test_a_pending_vendor_member_is_not_shown_as_staff(where, thread, vendor, customer):
    from forum.actions.vendors import request_membership

    request_membership(user=customer, vendor=vendor)
    presence.join(thread=thread, channel_name="c", user=customer)
    here = presence.summary(thread_id=thread.pk)
    assert here["staff"] == []
    assert here["customers"] == ["Jeff Morrow"]


def test_pings_and_the_summary_never_touch_the_database(where, thread, customer):
    for n in range(50):
        presence.join(thread=thread, channel_name=f"visitor-{n}", user=None)
    presence.join(thread=thread, channel_name="jeff", user=customer)
    with CaptureQueriesContext(connection) as queries:
        for n in range(50):
            presence.refresh(channel_name=f"visitor-{n}")
        here = presence.summary(thread_id=thread.pk)
    assert len(queries) == 0
    assert here["visitors"] == 50


@pytest.mark.redis
def test_presence_is_shared_through_redis_and_survives_losing_it(thread, customer, settings):
    with redis_server() as server:
        settings.REDIS_URL = server.url
        presence.join(thread=thread, channel_name="elsewhere", user=customer)
        # Another process sees it: it reads only Redis.
        assert presence.RedisStore(presence.redis_client()).live(thread.pk, 0)[1][0].name == "Jeff Morrow"
        server.stop()
        # Redis down: presence is empty, nothing raises.
        assert presence.summary(thread_id=thread.pk)["customers"] == []
        presence.refresh(channel_name="elsewhere")
        server.start()
        # Redis came back empty; the next ping announces the connection again.
        presence.refresh(channel_name="elsewhere")
        assert presence.summary(thread_id=thread.pk)["customers"] == ["Jeff Morrow"]
