"""Which language a person reads: for work done outside their request (emails, background tasks).

A request's language is chosen by Django's LocaleMiddleware (the account's preference when set, else the
language cookie, else Accept-Language; docs/i18n.md). Emails are written in the recipient's preferred
language when the account has one, else in the site's default (LANGUAGE_CODE).
"""

from django.conf import settings
from django.utils import translation


def language_for(user) -> str:
    """The language code to write to ``user`` in (one of LANGUAGES)."""
    wanted = getattr(user, "language", "") or ""
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else settings.LANGUAGE_CODE


def speaking_to(user) -> translation.override:
    """``with speaking_to(user):`` renders templates and messages in ``user``'s language."""
    return translation.override(language_for(user))
