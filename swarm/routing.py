"""WebSocket routes (served by daphne through config.asgi)."""

websocket_urlpatterns: list = []
