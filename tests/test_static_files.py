"""A real daphne after ``collectstatic``: hashed names, a year-long immutable cache, brotli and gzip."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.services import free_port
from tests.swarm.conftest import database_env

ROOT = Path(__file__).resolve().parents[1]


def test_collected_static_files_are_hashed_compressed_and_cached_for_a_year(tmp_path, transactional_db):
    env = {**os.environ, **database_env(), "STATIC_ROOT": str(tmp_path / "static"), "DEBUG": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    hashed = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    port = free_port()
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    server = subprocess.Popen(daphne, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"{base}/", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "daphne did not start"
                time.sleep(0.2)
        # Pages link the hashed name, so a new release can never be served from an old cache.
        assert f"/static/{hashed}" in page.text
        for encoding in ("br", "gzip"):
            response = httpx.get(f"{base}/static/{hashed}", headers={"Accept-Encoding": encoding})
            assert response.status_code == 200
            assert response.headers["Content-Encoding"] == encoding
            assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
            assert "--" in response.text  # decoded: it is the stylesheet
        # The API docs load their scripts by hashed name too, compressed.
        docs = httpx.get(f"{base}/api/docs/try").text  # the interactive console
        scripts = re.findall(r'<script src="(/static/[^"]+)"', docs)
        assert scripts and all(re.search(r"\.[0-9a-f]{12}\.js$", src) for src in scripts)
        bundle = httpx.get(f"{base}{scripts[0]}", headers={"Accept-Encoding": "br"})
        assert bundle.headers["Content-Encoding"] == "br"
        assert int(bundle.headers["Content-Length"]) < 400_000  # 1.5 MB uncompressed
    finally:
        server.terminate()
        server.wait(timeout=10)
