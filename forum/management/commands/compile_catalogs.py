"""Compile locale/*/LC_MESSAGES/*.po to .mo without GNU gettext (forum.i18n_catalogs)."""

from django.core.management.base import BaseCommand

from forum import i18n_catalogs


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po) to .mo files, in pure Python; only stale ones are rewritten."

    def handle(self, *args, **options) -> None:
        written = i18n_catalogs.compile_all()
        for path in written:
            self.stdout.write(f"compiled {path}")
        current = len(i18n_catalogs.catalogs()) - len(written)
        self.stdout.write(f"{len(written)} catalog(s) compiled, {current} up to date")
