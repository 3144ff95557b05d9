"""The PostgreSQL connection pool (config/db), run as deployed: daphne processes under load.

A process holds no more connections than its pool, whatever the number of requests in
flight, and reuses them; PostgreSQL restarting under load costs quick 503s while it is
down, and pages are served again within a second or two of it accepting connections,
without restarting the app.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.db import DatabaseError, close_old_connections, connection

from tests.services import missing, started_postgres
from tests.swarm.conftest import Daphne, start_daphne

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

POOL_MAX = 4
POOL_TIMEOUT = 5.0  # seconds a request may wait for a busy pool (DB_POOL_TIMEOUT)
OUTAGE = 6.0  # seconds PostgreSQL stays down: the plain pool would then retry only at 7 s, then 15 s
FAST_503 = 2.0  # each request during the outage answers within this, far below POOL_TIMEOUT
RECOVERY = 3.0  # pages are served again this soon after PostgreSQL accepts connections


@dataclass
class Readers:
    """``clients`` visitors reading ``url`` on ``server`` back to back, each answer recorded."""

    server: Daphne
    url: str
    clients: int
    results: list[tuple[float, int, float]] = field(default_factory=list)  # (started, status, seconds)
    running: bool = True
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(self.clients):
            thread = threading.Thread(target=self._read, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(POOL_TIMEOUT + 15)

    def _read(self) -> None:
        with httpx.Client(base_url=self.server.http, timeout=POOL_TIMEOUT + 10) as client:
            while self.running:
                started = time.monotonic()
                try:
                    status = client.get(self.url).status_code
                except httpx.HTTPError:
                    status = 0
                self.results.append((started, status, time.monotonic() - started))


@contextlib.contextmanager
def reading(server: Daphne, url: str, clients: int) -> Iterator[Readers]:
    readers = Readers(server, url, clients)
    readers.start()
    try:
        yield readers
    finally:
        readers.stop()


def start_pooled(names: list[str], tmp_path: Path) -> list[Daphne]:
    """One daphne per name, side by side; each names its PostgreSQL sessions (PGAPPNAME) after itself."""
    env = {"DB_POOL_MAX": str(POOL_MAX), "DB_POOL_MIN": "2", "DB_POOL_TIMEOUT": str(POOL_TIMEOUT)}
    with ThreadPoolExecutor() as boot:
        futures = [
            boot.submit(start_daphne, log=tmp_path / f"daphne-{name}.log", PGAPPNAME=name, **env) for name in names
        ]
        return [future.result() for future in futures]


@pytest.fixture
def servers(request, transactional_db, tmp_path) -> Iterator[list[Daphne]]:
    started = start_pooled(request.param, tmp_path)
    try:
        yield started
    finally:
        for server in started:
            server.kill()
        # Their pooled sessions end a moment after them; the test database is dropped at the end.
        deadline = time.monotonic() + 10
        with contextlib.suppress(DatabaseError):  # a test that failed with PostgreSQL down
            while any(sessions(name) for name in request.param) and time.monotonic() < deadline:
                time.sleep(0.05)


def sessions(name: str) -> list[int]:
    """The PostgreSQL backends (pids) a process named ``name`` holds right now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name])
        return [pid for (pid,) in cursor.fetchall()]


def first_ok_after(results: list[tuple[float, int, float]], moment: float) -> float | None:
    """When the first request started after ``moment`` that was answered 200 was answered."""
    done = sorted(started + took for started, status, took in results if status == 200 and started >= moment)
    return done[0] if done else None


@pytest.mark.parametrize("servers", [["pool-a", "pool-b"]], indirect=True)
def test_each_process_holds_at_most_its_pool_and_reuses_it_under_concurrent_load(servers, thread):
    names = ["pool-a", "pool-b"]
    held: dict[str, list[int]] = {name: [] for name in names}
    seen: dict[str, set[int]] = {name: set() for name in names}
    with contextlib.ExitStack() as stack:
        loads = [stack.enter_context(reading(server, thread.get_absolute_url(), clients=12)) for server in servers]
        # Until each process served several pages per pooled connection (a loaded machine is slow).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and min(len(load.results) for load in loads) < 4 * POOL_MAX:
            for name in names:
                pids = sessions(name)
                held[name].append(len(pids))
                seen[name].update(pids)
            time.sleep(0.05)

    for name, load in zip(names, loads, strict=True):
        statuses = [status for _, status, _ in load.results]
        assert statuses and set(statuses) == {200}, f"{name}: {sorted(set(statuses))}"
        # 12 clients at once, so without a pool a process opens a session per request in flight.
        assert max(held[name]) <= POOL_MAX, f"{name} held {max(held[name])} PostgreSQL sessions at once"
        assert len(seen[name]) <= POOL_MAX, f"{name} opened {len(seen[name])} sessions for {len(statuses)} pages"
        assert len(statuses) > 3 * POOL_MAX, f"{name} served only {len(statuses)} pages"


@pytest.mark.parametrize("servers", [["pool-restart"]], indirect=True)
def test_a_postgresql_restart_answers_quick_503s_and_pages_come_back_within_seconds(servers, thread):
    postgres = started_postgres()
    if postgres is None:
        missing("a PostgreSQL server started by the tests (unset DATABASE_URL)")
    (server,) = servers
    url = thread.get_absolute_url()
    with reading(server, url, clients=4) as load:
        while not any(status == 200 for _, status, _ in load.results):
            time.sleep(0.05)
        postgres.halt("fast")  # ends every session, as a restart does
        down = time.monotonic()
        try:
            time.sleep(OUTAGE)
        finally:
            postgres.resume()  # returns once PostgreSQL accepts connections
            up = time.monotonic()
            close_old_connections()  # this process's own sessions died too
        while (back := first_ok_after(load.results, up)) is None and time.monotonic() < up + 20:
            time.sleep(0.05)
        time.sleep(2)  # then keep reading: no stale connection may surface later

    during = [(status, took) for started, status, took in load.results if down + 0.5 <= started < up]
    assert during, "no request sent while PostgreSQL was down was answered: each waited for it"
    statuses = {status for status, _ in during}
    assert 503 in statuses and statuses <= {200, 503}, f"answers while down: {during}"
    slowest = max(took for _, took in during)
    assert slowest < FAST_503, f"a request waited {slowest:.1f} s for the database instead of failing"
    assert back is not None, "no page was served within 20 s of PostgreSQL being back"
    assert back - up <= RECOVERY, f"pages came back {back - up:.1f} s after PostgreSQL"
    after = [status for started, status, _ in load.results if started >= back]
    assert after and set(after) == {200}, f"answers after recovery: {after}"
    assert server.process.poll() is None, "the app exited"
    assert httpx.get(f"{server.http}{url}", timeout=10).status_code == 200
