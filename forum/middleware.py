"""Site-wide request handling that no single view owns."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
        if user is None or not user.is_authenticated:
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
