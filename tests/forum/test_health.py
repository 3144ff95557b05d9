"""/healthz says the process is alive; /readyz says whether the database, Redis and the worker answer."""

import time

import httpx
import pytest
from django.core.cache import cache

from forum.health import WORKER_HEARTBEAT_KEY
from tests.services import free_port, redis_server
from tests.swarm.conftest import start_daphne


@pytest.mark.django_db
def test_healthz_is_alive_and_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_ok_on_the_embedded_defaults(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "worker": "not required",
    }


@pytest.mark.django_db
@pytest.mark.redis
def test_readyz_503_while_redis_is_down_and_ok_when_it_returns(client, settings):
    with redis_server() as server:
        settings.REDIS_URL = server.url
        assert client.get("/readyz").json()["redis"] == "ok"
        server.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert response.json()["redis"] == "unreachable"
        server.start()
        assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_wants_a_recent_worker_heartbeat_when_a_worker_is_required(client, settings):
    settings.REDIS_URL = ""
    settings.READYZ_REQUIRE_WORKER = True
    settings.READYZ_WORKER_MAX_AGE = 60
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"] == "no heartbeat"
    cache.set(WORKER_HEARTBEAT_KEY, time.time() - 300)
    assert client.get("/readyz").json()["worker"] == "last heartbeat 300 s ago"
    cache.set(WORKER_HEARTBEAT_KEY, time.time())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["worker"] == "ok"


@pytest.mark.django_db
def test_a_server_without_its_database_is_alive_but_not_ready():
    """A real daphne pointed at a PostgreSQL port where nothing listens."""
    server = start_daphne(DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/gone")
    try:
        started = time.monotonic()
        response = httpx.get(f"{server.http}/readyz", timeout=10)
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
        assert time.monotonic() - started < 5  # fails fast
    finally:
        server.kill()
