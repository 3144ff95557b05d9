"""Throwaway PostgreSQL and Redis servers for the test run (a pytest plugin).

Loaded with ``-p tests.services`` (see pyproject.toml) so it runs before
pytest-django reads the settings:

- ``BARNRAISE_TEST_DB=postgres`` starts a private PostgreSQL cluster (initdb +
  pg_ctl from Debian's packages) on a free port and points DATABASE_URL at it.
- ``redis_server()`` starts a private redis-server on a free port, on demand.
- Tests marked ``postgres`` run only in the PostgreSQL pass.

When ``CI`` is set, a missing server binary is an error, never a skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(what: str) -> None:
    """A missing service fails the run in CI and skips locally."""
    message = f"{what} is not installed (apt-get install postgresql redis-server chromium nginx)"
    if in_ci():
        raise RuntimeError(message)
    pytest.skip(message)


def _pg_bin(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


def _run_as_postgres_if_root() -> list[str]:
    # initdb and postgres refuse to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"]
    return []


class Postgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="barnraise-pg-"))
        self.port = free_port()
        self.prefix = _run_as_postgres_if_root()

    def start(self) -> str:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise FileNotFoundError("initdb")
        if self.prefix:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        subprocess.run(
            [*self.prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        self.resume()
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def resume(self) -> None:
        """Start the server (again) on its port and data."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        log = str(self.dir / "log")
        subprocess.run(
            [*self.prefix, _pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-o", options, "-l", log, "-w", "start"],
            check=True,
            capture_output=True,
        )

    def halt(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data: "fast" ends every session, as a restart does."""
        subprocess.run(
            [*self.prefix, _pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop"],
            capture_output=True,
        )

    def stop(self) -> None:
        self.halt("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


_postgres: Postgres | None = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Start PostgreSQL before Django's settings are read, when asked to."""
    global _postgres
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")  # no connections left open in worker threads
    # No pool in the test process itself: its threads keep a connection for a whole test (the stress
    # test's eight would exhaust it) and outlive restarts of the shared server. The servers the
    # production-like tests start turn it on (tests/cluster/test_pool.py, test_multihost.py).
    os.environ.setdefault("DB_POOL_MAX", "0")
    # Request-path tests run background tasks inline; tests/forum/test_worker*.py run the real worker.
    os.environ.setdefault("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
    # An explicit key: tests (and the servers they start) never write a key file into the repo.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SQLITE_TEST_PATH", os.path.join(tempfile.mkdtemp(prefix="barnraise-test-"), "test.sqlite3"))
    # Pages under test load the source CSS and JavaScript, never a copy a `make run` collected into
    # the checkout earlier (served by its manifest, it would test yesterday's scripts).
    os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="barnraise-static-"))
    if os.environ.get("BARNRAISE_TEST_DB") == "postgres" and not os.environ.get("DATABASE_URL"):
        _postgres = Postgres()
        try:
            os.environ["DATABASE_URL"] = _postgres.start()
        except (FileNotFoundError, subprocess.CalledProcessError) as error:
            raise pytest.UsageError(f"Could not start PostgreSQL for the tests: {error}") from error
    return (yield)


def started_postgres() -> Postgres | None:
    """The PostgreSQL server these tests started, if any (tests may stop and resume it)."""
    return _postgres


def pytest_runtest_setup(item) -> None:
    if item.get_closest_marker("postgres") and os.environ.get("BARNRAISE_TEST_DB") != "postgres":
        pytest.skip("runs in the PostgreSQL pass (BARNRAISE_TEST_DB=postgres)")


def pytest_unconfigure(config) -> None:
    if _postgres is not None:
        _postgres.stop()


def pytest_report_header(config) -> str:
    url = os.environ.get("DATABASE_URL")
    return f"barnraise database: {'PostgreSQL at ' + url if url else 'SQLite'}"


class RedisServer:
    """A private redis-server on a free port that tests can stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            missing("redis-server")
        self.binary = binary
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="barnraise-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A running private redis-server; stopped and removed afterwards."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


def wait_until_healthy(
    process: subprocess.Popen, base_url: str, timeout: float = 90.0, *, path: str = "/healthz"
) -> None:
    """Wait for a server process to answer 200 on ``path``; raise if it exits or never does."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server at {base_url} did not become healthy within {timeout:.0f} s")


@dataclass
class ServerProcess:
    """An ASGI server (daphne or uvicorn) started on a local port by the tests or the benchmarks."""

    port: int
    process: subprocess.Popen
    host: str = "127.0.0.1"

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
