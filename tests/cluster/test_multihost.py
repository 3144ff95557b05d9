"""A rehearsal of production on one machine: nginx in front of two app hosts, PostgreSQL and Redis.

Each app host is a daphne process on its own loopback address (127.0.0.2, 127.0.0.3);
nginx runs the deployed locations (deploy/nginx/barnraise-locations.conf), and a
worker (``manage.py run_worker``) on the same database and Redis sends the emails to a
counting SMTP server. One host dies during a burst of replies, and PostgreSQL restarts
under load: no email is lost or sent twice, and the worker carries on without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.models import DBTaskResult

from forum.actions import follows as follow_actions
from forum.models import Event, Post
from tests.cluster.helpers import Nginx, next_frame, reconnect, start_nginx
from tests.conftest import make_user, session_key
from tests.forum.worker_helpers import CountingMailServer, smtp_server, start_worker, stop
from tests.services import missing, started_postgres
from tests.swarm.conftest import Daphne, start_daphne

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

HOSTS = ("127.0.0.2", "127.0.0.3")
WATCHERS = 6
REPLIES_BEFORE_KILL, REPLIES_AFTER_KILL = 20, 40
JSON = {"Accept": "application/json"}
FAIL_FAST = 5  # seconds: DB_CONNECT_TIMEOUT's default; a refused connection fails at once
FOLLOWERS = 3  # people who follow the thread by email


@pytest.fixture
def posters(expert, customer, other_customer, moderator) -> list:
    return [expert, customer, other_customer, moderator]


@pytest.fixture
def followers(transactional_db, thread) -> list:
    """People following the thread who want an email for every reply."""
    people = []
    for n in range(FOLLOWERS):
        person = make_user(f"mailfollower{n}")
        follow_actions.follow_thread(user=person, thread=thread)
        follow_actions.update_notification_settings(
            user=person, new_thread_live=False, daily_digest=False, email_replies_mentions=True
        )
        people.append(person)
    return people


@dataclass
class Cluster:
    front: Nginx
    apps: list[Daphne]
    worker: subprocess.Popen
    mail: CountingMailServer

    def emails_to(self, people: list) -> Counter:
        """How many distinct messages each of ``people`` received (a message sent twice counts twice)."""
        addresses = {person.email for person in people}
        with self.mail.lock:
            return Counter(
                rcpt for (rcpt, _), times in self.mail.accepted.items() if rcpt in addresses for _ in range(times)
            )


@pytest.fixture
def make_cluster(redis, transactional_db, tmp_path) -> Iterator:
    """Start nginx in front of one daphne per host (``HOSTS`` unless told) and a worker; ``env`` adds settings."""
    started: list[Nginx | Daphne] = []
    stack = contextlib.ExitStack()
    mail, email_url = stack.enter_context(smtp_server())
    workers: list[subprocess.Popen] = []

    def make(hosts: tuple[str, ...] = HOSTS, **env: str) -> Cluster:
        env = {
            "TRUSTED_PROXIES": "127.0.0.1",  # nginx reaches the app hosts from 127.0.0.1
            "ALLOWED_HOSTS": ",".join(["127.0.0.1", *HOSTS]),
            "DB_CONN_MAX_AGE": "0",  # the default, with the pool below (docs/deploy.md)
            "DB_POOL_MAX": "10",  # as deployed: each host and the worker borrow from a pool (config/db)
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",  # as deployed: the worker runs the tasks
            **env,
        }
        apps: list[Daphne] = []
        with ThreadPoolExecutor() as pool:  # the hosts boot side by side
            booting = [
                pool.submit(start_daphne, redis.url, host=host, log=tmp_path / f"daphne-{host}.log", **env)
                for host in hosts
            ]
            errors = []
            for future in booting:
                try:
                    apps.append(future.result())
                except Exception as error:  # noqa: BLE001 (reported below with the logs)
                    errors.append(repr(error))
        started.extend(apps)
        assert len(apps) == len(hosts), f"an app host did not start: {errors} " + read_logs(tmp_path)
        front = start_nginx([f"{app.host}:{app.port}" for app in apps])
        started.append(front)
        # The worker as deployed (deploy/systemd): its own process on the same database and Redis.
        worker = start_worker(env={"EMAIL_URL": email_url, "REDIS_URL": redis.url, **env})
        workers.append(worker)
        return Cluster(front=front, apps=apps, worker=worker, mail=mail)

    try:
        yield make
    finally:
        for worker in workers:
            stop(worker)
        for server in reversed(started):
            if isinstance(server, Nginx):
                server.stop()
            else:
                server.kill()
        stack.close()


@pytest.fixture
def cluster(make_cluster) -> Cluster:
    return make_cluster()


def read_logs(folder: Path) -> str:
    return "\n".join(f"{log.name}: {log.read_text(errors='replace')[-2000:]}" for log in folder.glob("daphne-*.log"))


def session_cookie(user) -> dict[str, str]:
    return {settings.SESSION_COOKIE_NAME: session_key(user)}


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def public_seqs(thread) -> list[int]:
    return list(Event.objects.filter(thread=thread, vendor__isnull=True).order_by("seq").values_list("seq", flat=True))


def established(app: Daphne) -> int:
    """Open TCP connections to an app host's port (its websockets, before any page is fetched)."""
    local = f"{''.join(reversed([f'{int(part):02X}' for part in app.host.split('.')]))}:{app.port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "01")


@dataclass
class Watcher:
    """A browser tab on the thread through nginx, following docs/websocket.md's client rule."""

    front: Nginx
    thread_id: int
    last: int = 1  # the page showed the question (seq 1)
    seen: list[int] = field(default_factory=list)
    drops: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, final: asyncio.Future) -> None:
        ws = await self._connect()
        self.connected.set()
        while not (final.done() and self.last >= final.result()):
            try:
                frame = await next_frame(ws, timeout=1.0)
            except TimeoutError:
                await ws.send(json.dumps({"type": "ping"}))  # the pong tells the latest seq
                continue
            except websockets.exceptions.ConnectionClosed:
                self.drops += 1
                ws = await self._connect()
                continue
            assert frame["type"] != "reload", "a watcher was told to reload instead of resuming"
            if frame["type"] == "pong" and frame.get("seq", 0) > self.last:
                await self._resume(ws)
            events = [frame["event"]] if frame["type"] == "event" else frame.get("events", [])
            for event in events:
                if event["seq"] <= self.last:
                    continue  # a duplicate: already applied
                if event["seq"] != self.last + 1:
                    await self._resume(ws)  # a gap: ask for what is missing
                    break
                self.seen.append(event["seq"])
                self.last = event["seq"]
        await ws.close()

    async def _connect(self):
        ws = await reconnect(self.front, self.thread_id)
        await self._resume(ws)
        return ws

    async def _resume(self, ws) -> None:
        await ws.send(json.dumps({"type": "resume", "after": {"public": self.last}}))


async def test_watchers_on_a_killed_host_resume_through_nginx_on_the_other_without_gaps(
    cluster, thread, posters, followers
):
    front, (a, b) = cluster.front, cluster.apps
    final: asyncio.Future = asyncio.get_running_loop().create_future()
    watchers = [Watcher(front, thread.pk) for _ in range(WATCHERS)]
    tasks = [asyncio.create_task(w.run(final)) for w in watchers]
    await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in watchers)), 20)
    # least_conn spreads the sockets over both hosts, so killing one drops some of them.
    assert established(a) >= 1 and established(b) >= 1, "nginx sent every socket to one host"

    statuses: list[int] = []
    # Several people reply (each person's own limit is 20 replies in 5 minutes).
    people = [await sync_to_async(session_cookie)(user) for user in posters]
    clients = [httpx.AsyncClient(base_url=front.http, cookies=cookies, timeout=10) for cookies in people]
    async with contextlib.AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(client)
        page = await clients[0].get(thread.get_absolute_url())
        assert page.headers.get("X-Request-ID"), "nginx gives every request an id"
        tokens = [csrf_from((await client.get(thread.get_absolute_url())).text) for client in clients]
        referer = f"{front.http}{thread.get_absolute_url()}"
        for n in range(REPLIES_BEFORE_KILL + REPLIES_AFTER_KILL):
            if n == REPLIES_BEFORE_KILL:
                b.kill()  # SIGKILL one app host in the middle of the burst
            client, token = clients[n % len(clients)], tokens[n % len(clients)]
            for _attempt in range(3):  # as a person would after a "bad gateway"
                response = await client.post(
                    f"/t/{thread.pk}/reply/",
                    data={"body": f"burst reply {n}", "csrfmiddlewaretoken": token},
                    headers={"Referer": referer},
                )
                statuses.append(response.status_code)
                if response.status_code != 502:
                    break
            assert response.status_code == 302, f"reply {n} answered {response.status_code}"

    expected = (await sync_to_async(public_seqs)(thread))[1:]
    final.set_result(expected[-1])
    await asyncio.wait_for(asyncio.gather(*tasks), 30)

    assert statuses.count(502) <= 1, f"only a request in flight on the killed host may fail: {statuses}"
    assert expected == list(range(2, expected[-1] + 1))
    posts = await sync_to_async(Post.objects.filter(thread=thread).count)()
    assert posts >= 1 + REPLIES_BEFORE_KILL + REPLIES_AFTER_KILL
    assert sum(w.drops for w in watchers) >= 1, "no watcher was on the killed host"
    for watcher in watchers:
        assert watcher.seen == expected, f"a watcher that dropped {watcher.drops} time(s) has a gap or duplicate"

    # The worker emailed every follower once per reply, whichever host took the reply.
    replies = posts - 1
    want = {person.email: replies for person in followers}
    await asyncio.to_thread(wait_until, lambda: cluster.emails_to(followers) == want, 60, cluster)
    assert cluster.worker.poll() is None, "the worker exited"


def test_through_nginx_limits_count_each_client_and_ignore_what_it_forges(make_cluster):
    """Two people behind nginx, on 127.0.0.9 and 127.0.0.10; the first forges X-Forwarded-For."""
    cluster = make_cluster(hosts=HOSTS[:1], API_RATE_LIMIT="3")  # anonymous API reads: 3 a minute per client

    def person(address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=cluster.front.http, transport=transport, timeout=10, headers=JSON)

    with person("127.0.0.9") as forger, person("127.0.0.10") as other:
        forged = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(4)]
        statuses = [forger.get("/api/tags", headers=headers).status_code for headers in forged]
        assert statuses == [200, 200, 200, 429], "a new forged address each time escaped the limit"
        assert other.get("/api/tags").status_code == 200, "everyone behind nginx shares one limit"


class Load(threading.Thread):
    """Readers and a poster through nginx, recording each answer's status and time."""

    def __init__(self, front: Nginx, thread, people: list[dict[str, str]]) -> None:
        super().__init__(daemon=True)
        self.front, self.thread, self.people = front, thread, people
        self.results: list[tuple[str, int, float]] = []
        self.running = True

    def run(self) -> None:
        url = self.thread.get_absolute_url()
        clients = [httpx.Client(base_url=self.front.http, cookies=cookies, timeout=15) for cookies in self.people]
        with contextlib.ExitStack() as stack:
            for client in clients:
                stack.enter_context(client)
            tokens = [csrf_from(client.get(url).text) for client in clients]
            n = 0
            while self.running:
                n += 1
                client, token = clients[n % len(clients)], tokens[n % len(clients)]
                self._time("page", lambda client=client: client.get(url))
                self._time("api", lambda client=client: client.get("/api/threads", headers=JSON))
                if n % 3 == 0:  # each person stays under 20 replies in 5 minutes
                    self._time(
                        "post",
                        lambda client=client, token=token, n=n: client.post(
                            f"/t/{self.thread.pk}/reply/",
                            data={"body": f"load reply {n}", "csrfmiddlewaretoken": token},
                            headers={"Referer": f"{self.front.http}{url}"},
                        ),
                    )
                time.sleep(0.3)

    def _time(self, kind: str, request) -> None:
        started = time.monotonic()
        try:
            status = request().status_code
        except httpx.HTTPError:
            status = 0
        self.results.append((kind, status, time.monotonic() - started))


def forget_dead_connections() -> None:
    """This process's connections died with the server: let the next query reconnect.

    Here, and in asgiref's thread that async tests' ORM calls run in, as a request would.
    """
    close_old_connections()
    asyncio.run(sync_to_async(close_old_connections)())


def wait_until(check, timeout: float, cluster: Cluster) -> None:
    """Wait for the worker to reach ``check``; on timeout say what the mail server got."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline or cluster.worker.poll() is not None:
            tasks = list(DBTaskResult.objects.values_list("task_path", "status"))
            raise AssertionError(
                f"the worker did not deliver in {timeout} s: {dict(cluster.mail.accepted)}; tasks {tasks}; "
                f"worker said: {stop(cluster.worker)[-3000:]}"
            )
        time.sleep(0.2)


def wait_for(check, timeout: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"not within {timeout} s"
        time.sleep(0.2)
    return time.monotonic() - started


def test_a_postgresql_restart_answers_a_quick_503_and_the_hosts_recover_without_a_restart(
    cluster, thread, posters, followers
):
    postgres = started_postgres()
    if postgres is None:
        missing("a PostgreSQL server started by the tests (unset DATABASE_URL)")
    front, apps = cluster.front, cluster.apps
    pids = [app.process.pid for app in apps]
    people = [session_cookie(user) for user in posters]
    load = Load(front, thread, people[1:])
    load.start()
    with contextlib.ExitStack() as stack:
        stack.callback(load.join, 20)
        stack.callback(setattr, load, "running", False)
        client = stack.enter_context(httpx.Client(base_url=front.http, cookies=people[0], timeout=15))
        wait_for(lambda: any(kind == "post" and status == 302 for kind, status, _ in load.results), 20)
        # The worker is up and mailing the load's replies (it can take seconds to boot on a busy machine;
        # restarting before that would prove nothing about it).
        wait_for(lambda: cluster.mail.total() > 0, 30)

        postgres.halt("fast")  # ends every session, as a restart does
        try:
            started = time.monotonic()
            page = client.get(thread.get_absolute_url())
            assert time.monotonic() - started < FAIL_FAST, "a request waited for the database instead of failing"
            assert page.status_code == 503
            assert page.headers["Retry-After"] == "5"
            assert "back in a moment" in page.text
            api = client.get("/api/threads", headers=JSON)
            assert api.status_code == 503
            assert api.json()["error"]["code"] == "database_unavailable"
            assert api.headers["Retry-After"] == "5"
            fragment = client.get(thread.get_absolute_url(), headers={"HX-Request": "true"})
            assert fragment.status_code == 503 and fragment.json()["retry_after"] == 5
            time.sleep(1)  # the load keeps coming while the database is down
        finally:
            postgres.resume()
            forget_dead_connections()  # even when an assertion failed: the next tests need a live connection

        recovered = wait_for(lambda: client.get(thread.get_absolute_url()).status_code == 200, 20)
        for app in apps:  # each host, not only the one nginx happened to pick
            assert httpx.get(f"{app.http}{thread.get_absolute_url()}", timeout=10).status_code == 200
        count = Post.objects.filter(thread=thread).count()
        wait_for(lambda: Post.objects.filter(thread=thread).count() > count, 10)  # posting works again

    assert [app.process.poll() for app in apps] == [None, None], "an app host exited"
    assert [app.process.pid for app in apps] == pids
    # The worker lived through the restart too: every reply, before and after it, reached each follower
    # once, including the batch it was sending when PostgreSQL went (forum.worker.Worker.run puts it back).
    replies = Post.objects.filter(thread=thread).count() - 1
    want = {person.email: replies for person in followers}
    wait_until(lambda: cluster.emails_to(followers) == want, 60, cluster)
    assert cluster.worker.poll() is None, "the worker exited during the outage"
    statuses = {status for _, status, _ in load.results}
    assert 503 in statuses, "the load never met the outage"
    assert statuses <= {200, 302, 503}, f"answers other than 200/302/503: {sorted(statuses)}"
    slowest = max(elapsed for _, status, elapsed in load.results if status == 503)
    assert slowest < FAIL_FAST, f"a 503 took {slowest:.1f} s"
    assert recovered < 20
