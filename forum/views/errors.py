"""Error pages in the site's layout. JSON for API-like requests."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from forum.ratelimit import RateLimitedError


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "Bad request", str(exception) if exception else "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You are not allowed to do that."
    if isinstance(exception, RateLimitedError):
        return rate_limited(request, exception)
    return _page(request, 403, "Not allowed", message)


def rate_limited(request: HttpRequest, exception: RateLimitedError) -> HttpResponse:
    """429 with Retry-After; JSON for htmx and API-like requests, the site's page otherwise."""
    if request.headers.get("HX-Request") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": str(exception), "retry_after": exception.retry_after}, status=429)
    else:
        response = _page(request, 429, "Slow down", str(exception))
    response["Retry-After"] = str(exception.retry_after)
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "Not found", "There is nothing at this address. It may have been moved or deleted.")


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        "Form expired",
        "This form was sent without a valid security token. Reload the page and try again.",
    )
