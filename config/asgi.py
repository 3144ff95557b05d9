"""ASGI entry point: HTTP goes to Django, WebSockets to the swarm consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Build the Django application (and its app registry) before importing consumers.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.origins import SameOriginValidator  # noqa: E402
from forum.metrics import count_websockets  # noqa: E402
from swarm.routing import SessionUser, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Scheme, host and port must match this site (config/origins.py), not just the host name.
        "websocket": count_websockets(SameOriginValidator(SessionUser(URLRouter(websocket_urlpatterns)))),
    }
)
