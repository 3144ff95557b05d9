"""Which pages may open a websocket here: an exact scheme, host and port match.

A browser sends cookies with a websocket handshake from any site, so the
Origin header is what stops another page (another site, another port on the
same host, or the plain-http version of this site) from using a visitor's
session. An origin is accepted when it equals, scheme, host and port:

- ``SITE_URL`` (the public address behind a proxy),
- an entry of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` matches subdomains), or
- the address the request itself was sent to: its Host header (which must be
  in ``ALLOWED_HOSTS``) with the connection's scheme (``wss`` means https;
  ``X-Forwarded-Proto`` counts only when ``SECURE_PROXY_SSL_HEADER`` trusts it).

A handshake without an Origin header is refused: browsers always send one,
and non-browser clients can send their own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

Origin = tuple[str, str, int]  # scheme, host, port
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(value: str) -> Origin | None:
    """``scheme://host[:port]`` as a normalised triple; None for anything else."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host or parts.path not in ("", "/") or parts.username:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _trusted(value: str) -> Origin | None:
    """A configured address (SITE_URL may carry a path) reduced to its origin."""
    parts = urlsplit(value.strip())
    return parse_origin(f"{parts.scheme}://{parts.netloc}")


def _matches(origin: Origin, trusted: str) -> bool:
    scheme, host, port = origin
    if "://*." in trusted:  # Django's CSRF_TRUSTED_ORIGINS wildcard: any subdomain
        wanted = _trusted(trusted.replace("://*.", "://", 1))
        return wanted is not None and (scheme, port) == (wanted[0], wanted[2]) and host.endswith("." + wanted[1])
    return origin == _trusted(trusted)


def _headers(scope: dict) -> dict[bytes, str]:
    return {name.lower(): value.decode("latin1") for name, value in scope.get("headers", [])}


def _request_origin(scope: dict, headers: dict[bytes, str]) -> Origin | None:
    """The scheme, host and port this handshake was sent to, if its Host is allowed."""
    host_header = headers.get(b"host", "")
    domain, port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, secure_value = proxy_header
        forwarded = headers.get(name.removeprefix("HTTP_").replace("_", "-").lower().encode(), "")
        if forwarded:
            scheme = "https" if forwarded.split(",")[0].strip() == secure_value else "http"
    try:
        number = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, domain.strip("[]"), number


def origin_allowed(scope: dict) -> bool:
    headers = _headers(scope)
    origin = parse_origin(headers.get(b"origin", ""))
    if origin is None:
        return False
    if any(_matches(origin, trusted) for trusted in [settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS]):
        return True
    return origin == _request_origin(scope, headers)


class SameOriginValidator:
    """ASGI middleware for websockets: refuse the handshake unless ``origin_allowed``."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
