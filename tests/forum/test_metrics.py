"""/metrics: Prometheus text for allowed addresses or the token, summed over every process on the host."""

import asyncio
import json
import tempfile

import httpx
import pytest
from asgiref.sync import sync_to_async
from prometheus_client.parser import text_string_to_metric_families

from tests.services import redis_server
from tests.swarm.conftest import logged_in_client, start_daphne
from tests.swarm.test_cluster import open_watch, post_reply

TOKEN = "scrape-me-0123456789"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_are_not_found_unless_configured(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_and_wrong_tokens(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")


@pytest.mark.django_db
def test_an_allowed_address_reads_request_counts_by_view_and_status(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    before = samples(client.get("/metrics").text)
    client.get("/healthz")
    client.get("/no/such/page/")
    client.get("/static/css/site.css")
    after = samples(client.get("/metrics").text)
    ok = {"view": "forum:healthz", "method": "GET", "status": "200"}
    name = "barnraise_http_requests_total"
    assert value(after, name, **ok) == value(before, name, **ok) + 1
    missing = {"view": "unresolved", "method": "GET", "status": "404"}
    assert value(after, "barnraise_http_requests_total", **missing) >= 1
    assert value(after, "barnraise_http_requests_total", view="static", method="GET", status="200") >= 1
    assert value(after, "barnraise_http_request_duration_seconds_count", view="forum:healthz") >= 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_one_scrape_sums_every_process(thread, expert):
    """Two daphne processes share PROMETHEUS_MULTIPROC_DIR: process A reports what happened on B."""
    with redis_server() as redis:
        await _two_processes_one_scrape(redis.url, thread, expert)


async def _two_processes_one_scrape(redis_url: str, thread, expert) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="barnraise-prom-"), "METRICS_TOKEN": TOKEN}
    a = await sync_to_async(start_daphne)(redis_url, API_RATE_LIMIT="2", **env)
    b = await sync_to_async(start_daphne)(redis_url, API_RATE_LIMIT="2", **env)

    def scrape() -> dict:
        response = httpx.get(f"{a.http}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert response.status_code == 200
        return samples(response.text)

    try:
        watchers = [await open_watch(b, thread.pk) for _ in range(3)]
        await watchers[0].send(json.dumps({"type": "resume", "after": {"public": 0}}))
        client = await sync_to_async(logged_in_client)(b, expert)
        assert await sync_to_async(post_reply)(client, thread, "Counted on B") == 302
        for _ in range(3):
            await sync_to_async(httpx.get)(f"{b.http}/api/threads", timeout=10)
        await asyncio.sleep(0.5)

        seen = await sync_to_async(scrape)()
        assert value(seen, "barnraise_websockets_open", route="thread") == 3
        assert value(seen, "barnraise_ws_replays_total") == 1
        assert value(seen, "barnraise_events_recorded_total", kind="replied") == 1
        assert value(seen, "barnraise_events_published_total", outcome="sent") == 1
        assert value(seen, "barnraise_event_fanout_delay_seconds_count") == 1
        assert value(seen, "barnraise_rate_limit_refusals_total", limit="api") == 1
        assert value(seen, "barnraise_http_requests_total", view="forum:thread", method="GET", status="200") >= 1

        for ws in watchers:
            await ws.close()
        await asyncio.sleep(0.5)
        assert value(await sync_to_async(scrape)(), "barnraise_websockets_open", route="thread") == 0
    finally:
        a.kill()
        b.kill()
