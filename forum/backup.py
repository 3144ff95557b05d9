"""Consistent backups and their restore (docs/operations.md): the database plus uploaded media.

A backup is a folder: ``database.pgdump`` (``pg_dump -Fc``, one snapshot) or
``database.sqlite3`` (SQLite's online backup API, one snapshot while the site
keeps running), then ``media.tar.gz`` (taken after the database, so every image
a row names is in it), and ``manifest.json`` with what it holds.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return found


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--host", str(db.get("HOST") or "localhost"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])  # never on the command line, where ps shows it
    return [*args, "--dbname", str(db["NAME"])], env


def _run_pg(tool: str, *options: str) -> None:
    """Run pg_dump or pg_restore against the configured database; raise with its message on failure."""
    args, env = _pg_args_env()
    command = [_pg_tool(tool), *args, *options]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    """SQLite's online backup API: a consistent copy even while others write to the source."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _media_storage_is_local() -> bool:
    return settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def _counts() -> dict[str, int]:
    from forum.models import Attachment, Event, Post, Thread

    return {
        "threads": Thread.objects.count(),
        "posts": Post.objects.count(),
        "events": Event.objects.count(),
        "attachments": Attachment.objects.count(),
    }


def backup(output: Path) -> dict[str, Any]:
    """Write a backup of the database and media into ``output`` (a new or empty folder)."""
    output.mkdir(parents=True, exist_ok=True)
    if any(output.iterdir()):
        raise BackupError(f"{output} is not empty; give a new folder for each backup.")
    counts = _counts()
    if connection.vendor == "postgresql":
        _run_pg("pg_dump", "--format=custom", "--no-owner", "--file", str(output / PG_DUMP))
        database = PG_DUMP
    elif connection.vendor == "sqlite":
        _sqlite_copy(settings.DATABASES["default"]["NAME"], output / SQLITE_COPY)
        database = SQLITE_COPY
    else:
        raise BackupError(f"No backup method for the {connection.vendor} database.")
    media = None
    if _media_storage_is_local():
        media = MEDIA
        with tarfile.open(output / MEDIA, "w:gz") as tar:
            root = Path(settings.MEDIA_ROOT)
            if root.exists():
                tar.add(root, arcname=".")
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": database,
        "engine": connection.vendor,
        "media": media,
        "counts": counts,
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def _target_has_data() -> bool:
    with connection.cursor() as cursor:
        if "forum_thread" not in connection.introspection.table_names(cursor):
            return False
        cursor.execute("SELECT 1 FROM forum_thread LIMIT 1")
        return cursor.fetchone() is not None


def restore(source: Path, *, replace: bool = False) -> dict[str, Any]:
    """Load a backup into the configured database and media folder; refuses a database with threads."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} is not a Barnraise backup (no readable {MANIFEST}).") from error
    if manifest["engine"] != connection.vendor:
        raise BackupError(
            f"This backup is of a {manifest['engine']} database; the configured one is {connection.vendor}."
        )
    if _target_has_data() and not replace:
        raise BackupError("The target database already has threads; pass --replace to overwrite it.")
    if connection.vendor == "postgresql":
        connection.close()
        _run_pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            str(source / PG_DUMP),
        )
    else:
        connection.close()
        _sqlite_copy(source / SQLITE_COPY, settings.DATABASES["default"]["NAME"])
    if manifest.get("media"):
        root = Path(settings.MEDIA_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / MEDIA, "r:gz") as tar:
            tar.extractall(root, filter="data")  # "data": no absolute paths, links out or devices
    return manifest
