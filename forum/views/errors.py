"""Error pages in the site's layout. JSON for API-like requests."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext

from forum.proxies import client_address
from forum.ratelimit import RateLimitedError

logger = logging.getLogger(__name__)

# The database is down or restarting (connection refused, terminated, timed out).
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER = 5


def _wants_json(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) or "application/json" in request.headers.get("Accept", "")


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request, 400, gettext("Bad request"), str(exception) if exception else "The request could not be understood."
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else gettext("You are not allowed to do that.")
    if isinstance(exception, RateLimitedError):
        return rate_limited(request, exception)
    return _page(request, 403, gettext("Not allowed"), message)


def with_retry_after(response: HttpResponse, exception: RateLimitedError) -> HttpResponse:
    """A page or fragment that shows the refusal in place (a form with its error) still says when to
    try again, as every 429 must."""
    response["Retry-After"] = str(exception.retry_after)
    return response


def rate_limited(request: HttpRequest, exception: RateLimitedError) -> HttpResponse:
    """429 with Retry-After; JSON for htmx and API-like requests, the site's page otherwise."""
    if _wants_json(request):
        response = JsonResponse({"detail": str(exception), "retry_after": exception.retry_after}, status=429)
    else:
        response = _page(request, 429, gettext("Slow down"), str(exception))
    return with_retry_after(response, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        404,
        gettext("Not found"),
        gettext("There is nothing at this address. It may have been moved or deleted."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Reached for errors outside a view too (a middleware saving the session, say).
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_DOWN):
        return database_unavailable(request, error)
    return render(request, "500.html", status=500)


def database_unavailable(request: HttpRequest, exception: Exception) -> HttpResponse:
    """503 with Retry-After, at once, when the database cannot be reached; JSON for htmx and API-like requests.

    Rendered without the request's context: the context processors would ask the database again.
    """
    logger.error(
        "Database unavailable: %s %s from %s: %s", request.method, request.path, client_address(request), exception
    )
    message = gettext("The database cannot be reached right now. Try again in a few seconds.")
    if _wants_json(request):
        response: HttpResponse = JsonResponse({"detail": message, "retry_after": DATABASE_RETRY_AFTER}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        gettext("Form expired"),
        gettext("This form was sent without a valid security token. Reload the page and try again."),
    )
