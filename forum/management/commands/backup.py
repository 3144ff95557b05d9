"""``manage.py backup [FOLDER]``: a consistent backup of the database and uploaded media (docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from forum.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc, or SQLite's online backup) and uploaded media into a new folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", nargs="?", help="a new or empty folder (default: backups/<UTC time>)")

    def handle(self, *args, folder: str | None = None, **options) -> None:
        output = Path(folder or f"backups/{timezone.now():%Y%m%dT%H%M%SZ}")
        try:
            manifest = backup(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{n} {what}" for what, n in manifest["counts"].items())
        self.stdout.write(f"Backed up {counts} to {output}")
