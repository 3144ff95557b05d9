"""One JSON error shape for every refusal under /api/: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from forum.api.auth import RateLimitedError, UnauthorizedError
from forum.selectors import BadCursorError
from forum.views.errors import DATABASE_DOWN, DATABASE_RETRY_AFTER

logger = logging.getLogger(__name__)


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


# Every status an API operation may refuse with; each carries ErrorOut.
ERROR_CODES = frozenset({400, 401, 403, 404, 405, 409, 422, 429})


# Action error codes that mean "the object is not in a state for that": answered 409.
CONFLICT_CODES = {"duplicate", "taken", "wrong_state"}


def error_response(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for e in errors for m in e.messages] for name, errors in exc.error_dict.items()}
        return error_response(400, "invalid", "Some fields are not valid.", fields)
    code = getattr(exc, "code", None) or "invalid"
    status = 409 if code in CONFLICT_CODES or code.startswith("already") else 400
    return error_response(status, code, exc.messages[0])


def _request_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[2:] if loc[:1] == ["body"] else loc[1:]  # (source, parameter, *path)
        fields.setdefault(".".join(location) or "request", []).append(str(error.get("msg", "Not valid.")))
    return error_response(422, "invalid_request", "The request does not match the API schema.", fields)


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return error_response(500, "server_error", "Something went wrong on our side.")


def _rate_limited(request: HttpRequest, exc: RateLimitedError) -> HttpResponse:
    response = error_response(429, "rate_limited", f"Too many requests; try again in {exc.retry_after} seconds.")
    response["Retry-After"] = str(exc.retry_after)
    return response


def _database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("API: database unavailable on %s: %s", request.path, exc)
    response = error_response(
        503, "database_unavailable", "The database cannot be reached right now; try again in a few seconds."
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "error"), str(exc.message))


def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = getattr(exc, "message", "") if isinstance(exc, UnauthorizedError) else ""
    response = error_response(401, "unauthorized", message or "Authentication required.")
    response["WWW-Authenticate"] = 'Bearer realm="barnraise"'
    return response


HANDLERS: list[tuple[type[Exception], Any]] = [
    (Exception, _server_error),
    (HttpError, _http_error),
    (AuthenticationError, _unauthorized),
    (NinjaValidationError, _request_validation),
    (ValidationError, _validation),
    (PermissionDenied, lambda r, e: error_response(403, "forbidden", str(e) or "You may not do that.")),
    (Http404, lambda r, e: error_response(404, "not_found", "Not found.")),
    (BadCursorError, lambda r, e: error_response(400, "bad_cursor", str(e))),
    (RateLimitedError, _rate_limited),
    *((error, _database_unavailable) for error in DATABASE_DOWN),
]


def install(api: NinjaAPI) -> None:
    for exc_class, handler in HANDLERS:
        api.add_exception_handler(exc_class, handler)
