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
