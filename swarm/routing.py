"""WebSocket routes (served by daphne through config.asgi)."""

from django.urls import path

from swarm.consumers import InboxConsumer, NotificationConsumer, ThreadConsumer

websocket_urlpatterns = [
    path("ws/t/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/me/", NotificationConsumer.as_asgi()),
    path("ws/v/<str:handle>/inbox/", InboxConsumer.as_asgi()),
]
