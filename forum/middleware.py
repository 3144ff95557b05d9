"""Site-wide request handling that no single view owns."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict

from forum.validation import strip_invisible
from forum.views.errors import DATABASE_DOWN, database_unavailable


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers a quick 503 with Retry-After, not a 500.

    The process keeps running: Django's connection health checks open a new
    connection on the first request after the database is back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request, exception)
        return None


class UserPreferencesMiddleware:
    """A signed-in person's time zone and language, for this request (after AuthenticationMiddleware).

    Blank preferences leave the defaults: the site's zone, and whatever language Django's
    LocaleMiddleware chose from the browser or the language cookie. The previous language is
    restored afterwards, so nothing leaks into the next request served by this thread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import zoneinfo

        from django.conf import settings
        from django.utils import timezone, translation

        user = getattr(request, "user", None)
        try:
            signed_in = user is not None and user.is_authenticated  # loads the session and the user
        except DATABASE_DOWN:
            # Preferences are cosmetic: let the view meet the outage and answer its own 503 (the
            # API's has its error code), instead of a middleware error no view handler sees.
            return self.get_response(request)
        if not signed_in:
            return self.get_response(request)
        zone = getattr(user, "time_zone", "")
        language = getattr(user, "language", "")
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = ""  # a zone removed from the system's database: show the site's
        previous = translation.get_language()
        if language and language in {code for code, _name in settings.LANGUAGES}:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        else:
            language = ""
        try:
            response = self.get_response(request)
        finally:
            if zone:
                timezone.deactivate()
            if language and previous:
                translation.activate(previous)
            elif language:
                translation.deactivate()
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _cleaned(data: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        # A password is compared, never shown: changing it would lock its owner out.
        keep = "password" in key
        cleaned.setlist(strip_invisible(key), [v if keep else strip_invisible(v) for v in values])
    cleaned._mutable = False
    return cleaned


class InvisibleCharactersMiddleware:
    """Every form field and query parameter loses bidirectional controls and invisible characters.

    One place for all of them (names, bios, handles, token names, titles, search queries echoed
    back...): no view or form can forget it. JSON bodies of the API go through the actions,
    which clean their text with forum.validation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.GET = _cleaned(request.GET)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            # Lazily, when something first reads request.POST: the body must not be read here,
            # before a view has had the chance to refuse an oversized upload unread.
            load = request._load_post_and_files

            def load_and_clean() -> None:
                load()
                request._post = _cleaned(request._post)

            request._load_post_and_files = load_and_clean
        return self.get_response(request)
