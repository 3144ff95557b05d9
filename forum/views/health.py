"""Liveness and readiness probes, for the proxy, systemd and monitoring (docs/operations.md)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from forum import health


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: the process answers. Touches nothing else, so a database outage does not get it restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: 200 when every configured dependency answers, 503 (with which one) when not."""
    ready, checks = health.readiness()
    return JsonResponse({"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503)
