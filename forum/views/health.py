"""Liveness and readiness probes, for the proxy, systemd and monitoring (docs/operations.md)."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from forum import health
from forum import metrics as prometheus


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: the process answers. Touches nothing else, so a database outage does not get it restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: 200 when every configured dependency answers, 503 (with which one) when not."""
    ready, checks = health.readiness()
    return JsonResponse({"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for METRICS_ALLOWED_IPS or the METRICS_TOKEN bearer; not found when neither is set."""
    permitted = prometheus.allowed(request)
    if permitted is None:
        raise Http404("Metrics are not enabled.")
    if not permitted:
        return HttpResponse("Not allowed to read metrics.\n", status=403, content_type="text/plain")
    return HttpResponse(prometheus.render(), content_type=prometheus.CONTENT_TYPE)
