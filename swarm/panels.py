"""Swarm's panels on forum's pages (registered with forum.hooks in SwarmConfig.ready())."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from forum import hooks
from forum.models import Thread, Vendor
from swarm import access, selectors
from swarm.models import Escalation
from swarm.views import thread_panel_html

# The weekly chart's geometry, in SVG user units: a plot area with room for the value axis on the
# left, values above the bars and dates below them. The template only places what _chart computes.
WEEK_WIDTH = 26  # per week: two bars of BAR_WIDTH and a gap
BAR_WIDTH = 9
PLOT_HEIGHT = 80
AXIS_LEFT = 26  # room for the value labels
TOP = 14  # room for the number above the tallest bar
BOTTOM = 30  # room for the dates


def thread_head(request: HttpRequest, thread: Thread) -> str:
    return thread_panel_html(request, thread)


def _chart(weekly: list) -> dict:
    """Bars, axes and labels for the weekly escalated / confirmed chart, and its figures for a table."""
    peak = max([max(e, c) for _, e, c in weekly] + [1])
    base = TOP + PLOT_HEIGHT
    bars = []
    for i, (start, escalated, confirmed) in enumerate(weekly):
        x = AXIS_LEFT + i * WEEK_WIDTH
        h1 = round(PLOT_HEIGHT * escalated / peak)
        h2 = round(PLOT_HEIGHT * confirmed / peak)
        bars.append(
            {
                "start": start,
                "escalated": escalated,
                "confirmed": confirmed,
                "x1": x + 3,
                "x2": x + 3 + BAR_WIDTH + 1,
                "y1": base - h1,
                "y2": base - h2,
                "h1": h1,
                "h2": h2,
                # Numbers sit above their bar, dates under every other week so they never overlap.
                "label1_x": x + 3 + BAR_WIDTH / 2,
                "label2_x": x + 4 + BAR_WIDTH * 1.5,
                "label1_y": base - h1 - 3,
                "label2_y": base - h2 - 3,
                "date_x": x + WEEK_WIDTH / 2,
                "show_date": i % 2 == 0,
                "minor_date": i % 4 != 0,  # hidden on phones, where the labels are larger
            }
        )
    ticks = sorted({0, peak // 2, peak}) if peak >= 2 else [0, peak]
    return {
        "bars": bars,
        "ticks": [{"value": t, "y": base - round(PLOT_HEIGHT * t / peak)} for t in ticks],
        "width": AXIS_LEFT + len(weekly) * WEEK_WIDTH + 16,  # the last date label overhangs its week
        "height": base + BOTTOM,
        "base": base,
        "axis_left": AXIS_LEFT,
        "date_y": base + 14,
        "bar_width": BAR_WIDTH,
        "peak": peak,
        "escalated": sum(e for _, e, _ in weekly),
        "confirmed": sum(c for _, _, c in weekly),
        "first": weekly[0][0] if weekly else None,
    }


def vendor_page(request: HttpRequest, vendor: Vendor) -> str:
    if not vendor.is_claimed:  # not joined: its open escalations and nothing else (docs/vendors.md)
        open_rows, _ = selectors.vendor_escalations(vendor=vendor)
        return render_to_string(
            "swarm/_unclaimed_panel.html", {"vendor": vendor, "open_rows": open_rows}, request=request
        )
    open_rows, done_rows = selectors.vendor_escalations(vendor=vendor)
    is_staff = access.can_see_inbox(request.user, vendor)
    for e in done_rows:
        e.staff_comment = selectors.shown_rating_comment(e, {vendor.pk} if is_staff else set())
    history = selectors.target_history(vendor)
    figures = selectors.public_figures(vendor=vendor, history=history)
    context = {
        "targets": history[0] if history else None,
        "target_history": history,
        "target_shares": figures.target_shares,
        "vendor": vendor,
        "periods": figures.periods,
        "chart": _chart(figures.periods[-1].weekly),
        "open_rows": open_rows,
        "done_rows": done_rows,
        "is_staff": is_staff,
    }
    return render_to_string("swarm/_vendor_panel.html", context, request=request)


def notice_actions(request: HttpRequest, notices: list) -> dict[int, str]:
    """In place on the notification list: "Claim" on an escalation to the viewer's vendor that is still
    open, "Confirm solved" / "Not solved yet" on one the asker is asked to confirm; otherwise where it
    stands now. They post to the same endpoints (and so the same actions and rules) as the thread page.
    One query for the whole list (the viewer's vendors are remembered on the request)."""
    from forum.models import Notification
    from swarm.actions.claims import awaiting_confirmation

    kinds = {Notification.Kind.ESCALATED, Notification.Kind.RESOLVED}
    wanted = {n.pk: n.event.data.get("escalation") for n in notices if n.kind in kinds}
    ids = {e for e in wanted.values() if isinstance(e, int)}
    if not ids:
        return {}
    found = Escalation.objects.select_related("vendor", "thread", "claimed_by").in_bulk(ids)
    working = {v.pk for v in selectors.note_vendors(request.user)}
    html = {}
    for n in notices:
        e = found.get(wanted.get(n.pk))
        if e is None:
            continue
        # The title comes from the notice: its thread is masked as this viewer sees it (a hidden question).
        context = {"e": e, "n": n, "next": f"{request.path}#notice-{n.pk}"}
        if n.kind == Notification.Kind.ESCALATED and e.vendor_id in working:
            context["can_claim"] = e.state == Escalation.State.OPEN
        elif n.kind == Notification.Kind.RESOLVED and e.thread.author_id == request.user.pk:
            context["can_confirm"] = awaiting_confirmation(e, e.thread)
        else:
            continue
        html[n.pk] = render_to_string("swarm/_notice_actions.html", context, request=request)
    return html


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
    hooks.register_notice_actions(notice_actions)
