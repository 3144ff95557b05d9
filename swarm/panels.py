"""Swarm's panels on forum's pages (registered with forum.hooks in SwarmConfig.ready())."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from forum import hooks
from forum import selectors as forum_selectors
from forum.models import Thread, Vendor
from swarm import access, selectors
from swarm.views import thread_panel_html

CHART_WIDTH = 26  # px per week
CHART_HEIGHT = 80


def thread_head(request: HttpRequest, thread: Thread) -> str:
    return thread_panel_html(request, thread)


def _chart(weekly: list) -> dict:
    """Bar positions for the weekly chart, computed here so the template only places them."""
    peak = max([max(e, c) for _, e, c in weekly] + [1])
    bars = []
    for i, (start, escalated, confirmed) in enumerate(weekly):
        x = i * CHART_WIDTH
        h1 = round(CHART_HEIGHT * escalated / peak)
        h2 = round(CHART_HEIGHT * confirmed / peak)
        bars.append(
            {
                "start": start,
                "escalated": escalated,
                "confirmed": confirmed,
                "x1": x + 3,
                "x2": x + 13,
                "y1": CHART_HEIGHT - h1,
                "y2": CHART_HEIGHT - h2,
                "h1": h1,
                "h2": h2,
            }
        )
    return {"bars": bars, "width": len(weekly) * CHART_WIDTH, "height": CHART_HEIGHT, "peak": peak}


def vendor_page(request: HttpRequest, vendor: Vendor) -> str:
    if not vendor.is_claimed:  # not joined: its open escalations and nothing else (docs/vendors.md)
        open_rows, _ = selectors.vendor_escalations(vendor=vendor)
        return render_to_string(
            "swarm/_unclaimed_panel.html", {"vendor": vendor, "open_rows": open_rows}, request=request
        )
    now = timezone.now()
    periods = [selectors.vendor_metrics(vendor=vendor, days=days, now=now) for days in (30, 90)]
    for metrics in periods:
        metrics.deflection = forum_selectors.deflection_stats(since=now - timedelta(days=metrics.days), vendor=vendor)
    open_rows, done_rows = selectors.vendor_escalations(vendor=vendor)
    history = selectors.target_history(vendor)
    context = {
        "targets": history[0] if history else None,
        "target_history": history,
        "target_shares": [selectors.target_share(vendor=vendor, days=m.days, now=now, history=history) for m in periods]
        if history
        else [],
        "vendor": vendor,
        "periods": periods,
        "chart": _chart(periods[1].weekly),
        "open_rows": open_rows,
        "done_rows": done_rows,
        "is_staff": access.can_see_inbox(request.user, vendor),
    }
    return render_to_string("swarm/_vendor_panel.html", context, request=request)


def composer(request: HttpRequest, thread: Thread) -> str:
    """The reply composer's "Reply publicly / Staff note" switch, for the vendors' verified staff only."""
    vendors = selectors.note_vendors(request.user)
    if not vendors:
        return ""
    return render_to_string("swarm/_note_switch.html", {"vendors": vendors, "thread": thread}, request=request)


def nav(request: HttpRequest, obj: None) -> str:
    desks = selectors.open_escalation_counts(request.user)
    if not desks:
        return ""
    return render_to_string("swarm/_nav.html", {"desks": desks}, request=request)


def register() -> None:
    hooks.register_panel("thread-head", thread_head)
    hooks.register_panel("vendor", vendor_page)
    hooks.register_panel("nav", nav)
    hooks.register_panel("composer", composer)
