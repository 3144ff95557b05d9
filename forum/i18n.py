"""Which language a person reads: for work done outside their request (emails, background tasks).

A request's language is chosen by Django's LocaleMiddleware (the account's preference when set, else the
language cookie, else Accept-Language; docs/i18n.md). Emails are written in the recipient's preferred
language when the account has one, else in the site's default (LANGUAGE_CODE).
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real


def language_for(user) -> str:
    """The language code to write to ``user`` in (one of LANGUAGES)."""
    wanted = getattr(user, "language", "") or ""
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else settings.LANGUAGE_CODE


def speaking_to(user) -> translation.override:
    """``with speaking_to(user):`` renders templates and messages in ``user``'s language."""
    return translation.override(language_for(user))


def language_for_scope(scope: dict) -> str:
    """A websocket's language, chosen as LocaleMiddleware chooses a page's: account, cookie, Accept-Language."""
    codes = {code for code, _name in settings.LANGUAGES}
    user = scope.get("user")
    wanted = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if wanted in codes:
        return wanted
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
    if cookies.get(settings.LANGUAGE_COOKIE_NAME) in codes:
        return cookies[settings.LANGUAGE_COOKIE_NAME]
    for accepted, _quality in trans_real.parse_accept_lang_header(headers.get("accept-language", "")):
        try:
            return trans_real.get_supported_language_variant(accepted)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
