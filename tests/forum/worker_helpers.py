"""Real things for the worker tests: a counting SMTP server on loopback and worker processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.services import free_port
from tests.swarm.conftest import database_env

ROOT = Path(__file__).resolve().parents[2]
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class CountingMailServer:
    """Counts each (recipient, Message-ID) it accepts. A message counts only once the server
    has taken all of it and is about to answer 250; ``hold`` seconds of "processing" come
    first, so a client that dies meanwhile leaves nothing accepted (as with a real server)."""

    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.arrived = 0  # DATA received in full, accepted or not
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            self.arrived += 1
        await asyncio.sleep(self.hold)  # cancelled when the client's connection drops
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.accepted[(rcpt, message_id)] += 1
        return "250 Message accepted for delivery"

    def total(self) -> int:
        with self.lock:
            return sum(self.accepted.values())


@contextmanager
def smtp_server(
    hold: float = 0.0, *, handler: CountingMailServer | None = None
) -> Iterator[tuple[CountingMailServer, str]]:
    """A counting SMTP server on 127.0.0.1 (``handler``, or a new one); yields it and the EMAIL_URL that reaches it."""
    handler = handler or CountingMailServer(hold)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}?tls=0"
    finally:
        controller.stop()


def start_worker(*extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``manage.py run_worker`` as its own process, on the test's database, with short leases."""
    process_env = {
        **os.environ,
        **database_env(),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "WORKER_HEARTBEAT": "0.2",
        "WORKER_LEASE": "1.5",
        "TASK_RETRY_BASE": "0.2",
        **(env or {}),
    }
    process_env.pop("DJANGO_SETTINGS_MODULE", None)
    # Its log goes to a file, not a pipe: nobody reads a pipe until the end, and a worker that logs
    # an outage would fill it and then block on its next line (it did, mid-test).
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for stop(), freed with the process)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.1", *extra],
        cwd=ROOT,
        env=process_env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    process.log = log  # read by stop()
    return process


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop(process: subprocess.Popen) -> str:
    """Kill a worker if it still runs; return what it wrote to stderr (for failure messages)."""
    if process.poll() is None:
        process.kill()
    process.wait(10)
    process.log.seek(0)
    return process.log.read().decode(errors="replace")  # the file stays open: stop() may be called twice
