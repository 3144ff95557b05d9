"""WebSocket routes (served by daphne through config.asgi)."""

from importlib import import_module
from typing import Any

from channels.auth import get_user
from django.conf import settings
from django.http.cookie import parse_cookie
from django.urls import path

from swarm.consumers import InboxConsumer, NotificationConsumer, ThreadConsumer

websocket_urlpatterns = [
    path("ws/t/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/me/", NotificationConsumer.as_asgi()),
    path("ws/v/<str:handle>/inbox/", InboxConsumer.as_asgi()),
]


class SessionUser:
    """Puts the signed-in user in a socket's scope, read once from the session cookie at the handshake.

    Channels' AuthMiddlewareStack keeps, for as long as each socket is open, a parsed cookie dict, a
    lazy session, a session-saving send wrapper and a copy of the scope per layer (each layer's frame
    stays alive under the consumer): a socket never writes its session, so one scope with the user is
    all a consumer needs (bench/WS_RESULTS.md, memory per idle socket).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if "user" in scope:  # set by whoever built the scope (as channels' AuthMiddleware honours it)
            return await self.inner(scope, receive, send)
        header = next((value for name, value in scope.get("headers", []) if name.lower() == b"cookie"), b"")
        key = parse_cookie(header.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
        session = import_module(settings.SESSION_ENGINE).SessionStore(key)
        user = await get_user({"session": session})
        del header, key, session  # not kept for the socket's lifetime in this frame
        return await self.inner(dict(scope, user=user), receive, send)
