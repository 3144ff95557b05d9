"""``manage.py restore FOLDER``: load a backup made by ``manage.py backup`` (docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forum.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into the configured database and media folder (an empty database unless --replace)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", help="a folder written by manage.py backup")
        parser.add_argument("--replace", action="store_true", help="overwrite a database that already has threads")

    def handle(self, *args, folder: str, replace: bool = False, **options) -> None:
        try:
            manifest = restore(Path(folder), replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{n} {what}" for what, n in manifest["counts"].items())
        self.stdout.write(f"Restored {counts} from {folder} (taken {manifest['created_at']})")
