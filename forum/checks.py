"""System checks for deployment: ``manage.py check --deploy`` fails on a weak signing key."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error

from config.secret_key import KNOWN_DEVELOPMENT_KEY

MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5


def check_secret_key(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A missing, short or published SECRET_KEY lets anyone forge sessions and account links."""
    key = getattr(settings, "SECRET_KEY", "") or ""
    hint = "Set SECRET_KEY to a long random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    if not key:
        return [Error("SECRET_KEY is not set.", hint=hint, id="forum.E001")]
    if key == KNOWN_DEVELOPMENT_KEY:
        return [Error("SECRET_KEY is the development key published in Barnraise's source.", hint=hint, id="forum.E002")]
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return [
            Error(
                f"SECRET_KEY is too weak: use at least {MIN_LENGTH} characters and "
                f"{MIN_UNIQUE_CHARACTERS} different ones.",
                hint=hint,
                id="forum.E003",
            )
        ]
    return []


def check_catalogs(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Missing or stale .mo files would serve English (or old text) to German and Spanish readers."""
    from forum import i18n_catalogs

    return [
        Error(f"Translation catalog not compiled: {reason}.", hint="Run manage.py compile_catalogs.", id="forum.E004")
        for reason in filter(None, map(i18n_catalogs.stale, i18n_catalogs.catalogs()))
    ]
