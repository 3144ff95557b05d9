"""The restore drill: a backup restored into a fresh database has every thread, post, event and image."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from forum.actions import posts as post_actions
from forum.models import Attachment, Event, Post, Thread
from tests.forum.test_attachments import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]

# Run in the restored site: everything a reader would check, then one new reply.
SNAPSHOT = """
import json
from forum.models import Attachment, Event, Post, Thread, User
from forum.actions import posts
data = {
    "threads": sorted([t.pk, t.title, t.last_seq] for t in Thread.objects.all()),
    "posts": sorted([p.pk, p.thread_id, p.body] for p in Post.objects.all()),
    "events": sorted([e.pk, e.thread_id, e.vendor_id, e.seq, e.kind] for e in Event.objects.all()),
    "images": sorted([a.pk, a.file.name, a.file.open("rb").read().hex()] for a in Attachment.objects.all()),
}
thread = Thread.objects.order_by("pk").first()
reply = posts.reply(author=User.objects.get(username="dana"), thread=thread, body="After the restore")
data["next_seq"] = Event.objects.get(post=reply).seq
print(json.dumps(data))
"""


def snapshot_here() -> dict:
    return {
        "threads": sorted([t.pk, t.title, t.last_seq] for t in Thread.objects.all()),
        "posts": sorted([p.pk, p.thread_id, p.body] for p in Post.objects.all()),
        "events": sorted([e.pk, e.thread_id, e.vendor_id, e.seq, e.kind] for e in Event.objects.all()),
        "images": sorted([a.pk, a.file.name, a.file.open("rb").read().hex()] for a in Attachment.objects.all()),
    }


def fresh_database(tmp_path: Path) -> dict[str, str]:
    """Settings for an empty database of the same kind as the test's."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS barnraise_restored")
            cursor.execute("CREATE DATABASE barnraise_restored")
        db = connection.settings_dict
        return {"DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/barnraise_restored"}
    return {"SQLITE_PATH": str(tmp_path / "restored.sqlite3"), "DATABASE_URL": ""}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, **env, "LOG_LEVEL": "WARNING"}
    full.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


def test_a_backup_restores_into_a_fresh_database_with_everything_intact(
    thread, customer, expert, staff, vendor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    from swarm.actions import escalations, notes

    for n in range(5):
        post_actions.reply(author=expert, thread=thread, body=f"Reply {n}")
    post_actions.reply(
        author=customer,
        thread=thread,
        body="A screenshot",
        images=[SimpleUploadedFile("shot.png", image_bytes(), content_type="image/png")],
    )
    escalations.escalate(user=customer, thread=thread, handle=vendor.handle)
    notes.add_note(staff=staff, thread=thread, vendor=vendor, body="Staff-only: check the firmware")
    before = snapshot_here()
    assert before["images"] and any(e[2] == vendor.pk for e in before["events"])

    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["counts"]["events"] == len(before["events"])

    env = {**fresh_database(tmp_path), "MEDIA_ROOT": str(tmp_path / "restored-media")}
    assert manage(env, "migrate", "--check").returncode != 0  # it really is empty
    restored = manage(env, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout

    shell = manage(env, "shell", "-c", SNAPSHOT)
    assert shell.returncode == 0, shell.stderr
    after = json.loads(shell.stdout.strip().splitlines()[-1])
    next_seq = after.pop("next_seq")
    assert after == json.loads(json.dumps(before))
    # Sequence numbers continue where they stopped: the restored site keeps numbering gap-free.
    assert next_seq == max(seq for _, tid, vid, seq, _ in before["events"] if tid == thread.pk and vid is None) + 1

    again = manage(env, "restore", str(tmp_path / "backup"))
    assert again.returncode != 0
    assert "already has threads" in again.stderr


def test_a_backup_refuses_a_folder_in_use_and_restore_a_folder_that_is_not_a_backup(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "used"))
    with pytest.raises(CommandError, match="not a Barnraise backup"):
        call_command("restore", str(tmp_path / "used"))
