"""The REST API: one NinjaAPI mounting the forum and swarm routers (docs/api.md)."""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from ninja import NinjaAPI, Swagger

from config import api_docs
from forum.api import knowledge as knowledge_routes
from forum.api import routes as forum_routes
from forum.api.auth import ApiAuth
from forum.api.errors import error_response, install
from swarm import api as swarm_api

api = NinjaAPI(
    title="Barnraise API",
    version="1",
    description="Threads, posts, search, escalations and timeline events. See docs/api.md.",
    auth=ApiAuth(),
    # The interactive console (about 1.7 MB of script) only on demand; /api/docs is server-rendered.
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs/try",
    urls_namespace="api",
)
install(api)
api.add_router("/", forum_routes.router)
api.add_router("/", knowledge_routes.router)
api.add_router("/", swarm_api.router)


def _json_errors(view):
    """Ninja answers a wrong method with a bare 405; give it the API's error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = error_response(405, "method_not_allowed", f"Use one of: {allowed}.")
            response["Allow"] = allowed
        return response

    return wrapper


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", "No such API endpoint.")


def urlpatterns() -> list:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _json_errors(pattern.callback)
    return [
        path("api/docs", api_docs.docs, name="api_docs"),
        path("api/", (patterns, app_name, namespace)),
        re_path(r"^api/(?P<rest>.*)$", not_found),
    ]
