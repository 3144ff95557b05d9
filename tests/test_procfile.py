"""The run command (``make run``: honcho and the Procfile) starts the site and the worker; Ctrl-C stops both."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from forum import worker
from tests.forum.worker_helpers import wait_for
from tests.services import free_port
from tests.swarm.conftest import database_env

ROOT = Path(__file__).resolve().parents[1]
HONCHO = Path(sys.executable).with_name("honcho")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_procfile_runs_web_and_worker_and_ctrl_c_stops_both(transactional_db):
    port = free_port()
    env = {
        **os.environ,
        **database_env(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # as `make run` sets it
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "WORKER_HEARTBEAT": "0.2",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    honcho = subprocess.Popen(
        [str(HONCHO), "start", "--port", str(port), "--no-colour", "-f", "Procfile"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(line.decode() for line in honcho.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: worker.last_heartbeat() is not None, timeout=60, what="the worker's heartbeat")

        def web_up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(web_up, timeout=60, what="the web process")
        pids = {name: int(pid) for name, pid in re.findall(r"(web|worker)\.1 started \(pid=(\d+)\)", "".join(output))}
        assert set(pids) == {"web", "worker"}

        started = time.monotonic()
        os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C in the terminal
        honcho.wait(timeout=20)
        assert time.monotonic() - started < 20
        wait_for(lambda: not any(alive(pid) for pid in pids.values()), timeout=10, what="both processes to exit")
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
            pytest.fail("honcho did not stop on Ctrl-C:\n" + "".join(output))
    reader.join(timeout=5)
    assert "Worker" in "".join(output) and "stopped" in "".join(output)  # the worker shut down cleanly
