"""Swarm pages and writes. Each write parses, calls one action, and answers with the updated panel.

Without JavaScript a write redirects back to the thread with a message; with
htmx it answers the re-rendered panel (422 and the message when refused).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from forum import access as forum_access
from forum.models import Thread, Vendor
from forum.timeline import presenter
from forum.validation import normalise_text
from swarm import access, selectors
from swarm.actions import bulk, claims, escalations, notes, products, radar, targets, teams, tickets
from swarm.inbox_rows import inbox_rows
from swarm.models import Escalation, Product, RadarHit, RadarKeyword, RoutingRule, Team


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def thread_panel_html(request: HttpRequest, thread: Thread, error: str = "", notice: str = "") -> str:
    swarm = selectors.thread_swarm(thread=thread, user=request.user)
    context = {"s": swarm, "thread": thread, "panel_error": error, "panel_notice": notice}
    return render_to_string("swarm/_thread_panel.html", context, request=request)


def _back(request: HttpRequest, thread: Thread) -> HttpResponse:
    """Back to ``next`` (the notification list's in-place actions), if it stays on this site; else the thread."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(thread)


def _answer(request: HttpRequest, thread: Thread, done: str, run) -> HttpResponse:
    """Run one action; answer with the panel (htmx) or a redirect and a message."""
    try:
        run()
    except ValidationError as error:
        message = error.messages[0] if error.messages else "That could not be done."
        if _is_htmx(request):
            thread.refresh_from_db()
            return HttpResponse(thread_panel_html(request, thread, error=message), status=422)
        messages.error(request, message)
        return _back(request, thread)
    if _is_htmx(request):
        thread.refresh_from_db()
        return HttpResponse(thread_panel_html(request, thread, notice=done))
    messages.success(request, done)
    return _back(request, thread)


def _escalation(escalation_id: int) -> Escalation:
    return get_object_or_404(Escalation.objects.select_related("thread", "vendor"), pk=escalation_id)


@require_GET
def panel(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.defer("search_vector"), pk=thread_id)
    presenter.require_thread(request.user, thread)  # a pending or rejected thread does not exist for others
    return HttpResponse(thread_panel_html(request, thread))


@require_GET
def vendor_suggest(request: HttpRequest) -> HttpResponse:
    """<option>s of vendors whose handle or name starts with what was typed (the escalate control)."""
    typed = normalise_text(request.GET.get("handle", request.GET.get("q", ""))).strip().lstrip("@")[:40]
    if request.GET.get("picker"):  # the escalate picker: name, description, tags, usual speed
        return render(request, "swarm/_vendor_picker.html", {"choices": selectors.escalation_choices(typed=typed)})
    vendors = []
    if typed:
        vendors = list(
            Vendor.objects.filter(handle__istartswith=typed).order_by("handle")[:8]
            or Vendor.objects.filter(name__icontains=typed).order_by("handle")[:8]
        )
    return render(request, "swarm/_vendor_options.html", {"vendors": vendors})


@login_required
@require_POST
def escalate(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    # A vendor chosen in the picker wins over what was typed in its search box (which works without JavaScript).
    handle = request.POST.get("pick") or request.POST.get("handle", "")
    return _answer(
        request,
        thread,
        gettext("Escalated to @%(value)s. Their staff have been told.")
        % {"value": handle.strip().lstrip("@").lower()[:30]},
        lambda: escalations.escalate(user=request.user, thread=thread, handle=handle),
    )


@login_required
@require_POST
def metoo(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    if request.POST.get("action") == "withdraw":
        return _answer(
            request,
            thread,
            gettext("Your “me too” is withdrawn."),
            lambda: escalations.withdraw_metoo(user=request.user, thread=thread),
        )
    return _answer(
        request,
        thread,
        gettext("Counted: you have this problem too. You'll hear about replies."),
        lambda: escalations.add_metoo(user=request.user, thread=thread),
    )


@login_required
@require_POST
def work(request: HttpRequest, escalation_id: int, verb: str) -> HttpResponse:
    """claim / release / resolve / hand off / link a ticket, by the vendor's staff."""
    escalation = _escalation(escalation_id)
    user = request.user
    steps = {
        "claim": (
            gettext("You claimed it. Everyone on the thread can see that."),
            lambda: claims.claim(staff=user, escalation=escalation),
        ),
        "release": (
            gettext("Released: it's back in the inbox."),
            lambda: claims.release(staff=user, escalation=escalation),
        ),
        "resolve": (
            gettext("Marked resolved. The customer is asked to confirm."),
            lambda: claims.resolve(staff=user, escalation=escalation),
        ),
        "handoff": (
            gettext("Handed off."),
            lambda: claims.hand_off(
                staff=user,
                escalation=escalation,
                to_username=request.POST.get("to_username", "").strip() or None,
                to_handle=request.POST.get("to_handle", "").strip() or None,
                note=request.POST.get("note", ""),
            ),
        ),
    }
    if verb == "ticket":
        post = request.POST
        steps["ticket"] = (
            gettext("Ticket link saved."),
            lambda: tickets.link_ticket(
                staff=user,
                escalation=escalation,
                key=post.get("key", ""),
                url=post.get("url", ""),
                status=post.get("status", ""),
                visibility=post.get("visibility", ""),
            ),
        )
    done, run = steps[verb]
    return _answer(request, escalation.thread, done, run)


@login_required
@require_POST
def confirm(request: HttpRequest, escalation_id: int) -> HttpResponse:
    escalation = _escalation(escalation_id)
    answer = request.POST.get("solved")
    if answer not in ("yes", "no"):
        return _answer(request, escalation.thread, "", _refuse("Answer yes or no."))
    solved = answer == "yes"
    done = "Thanks! It's marked solved." if solved else f"Reopened: {escalation.vendor.name} will pick it up again."
    return _answer(
        request,
        escalation.thread,
        done,
        lambda: claims.confirm(user=request.user, escalation=escalation, solved=solved),
    )


def _refuse(message: str):
    def run() -> None:
        raise ValidationError(message)

    return run


@login_required
@require_POST
def rate(request: HttpRequest, escalation_id: int) -> HttpResponse:
    escalation = _escalation(escalation_id)
    return _answer(
        request,
        escalation.thread,
        gettext("Thanks for rating the help."),
        lambda: claims.rate(
            user=request.user,
            escalation=escalation,
            rating=request.POST.get("rating", ""),
            comment=request.POST.get("comment", ""),
        ),
    )


@login_required
@require_POST
def add_note(request: HttpRequest, thread_id: int) -> HttpResponse:
    """A staff note: from the panel (``note``) or the thread's composer in note mode (``body``)."""
    thread = get_object_or_404(Thread, pk=thread_id)
    vendor = get_object_or_404(Vendor, handle=normalise_text(request.POST.get("vendor", ""))[:30])
    return _answer(
        request,
        thread,
        gettext("Note saved. Only %(name)s staff can see it.") % {"name": vendor.name},
        lambda: notes.add_note(
            staff=request.user,
            thread=thread,
            vendor=vendor,
            body=request.POST.get("note") or request.POST.get("body", ""),
        ),
    )


# ---- Inbox and radar -----------------------------------------------------------------------------


def _staff_vendor(request: HttpRequest, handle: str) -> Vendor:
    vendor = get_object_or_404(Vendor, handle=handle)
    forum_access.require(
        access.can_see_inbox(request.user, vendor),
        gettext("The inbox is for %(name)s's verified staff.") % {"name": vendor.name},
    )
    return vendor


@login_required
@require_GET
def inbox(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = _staff_vendor(request, handle)
    # A GET never writes: idle claims are released by `manage.py release_idle_claims` (the worker's job);
    # the page only shows them as idle.
    fragment = bool(request.GET.get("fragment"))
    tab = "radar" if request.GET.get("tab") == "radar" else "escalations"
    box = selectors.inbox(
        vendor=vendor,
        tab=tab,
        state=request.GET.get("state", "active"),
        sort=request.GET.get("sort", "waiting"),
        tag=normalise_text(request.GET.get("tag", "")),
        team=request.GET.get("team", ""),
        who=request.GET.get("who", ""),
        user=request.user,
    )
    # Titles and question summaries as this member of staff may see them (a hidden question is masked).
    presenter.mask_threads(request.user, [row.thread for row in [*box.rows, *box.radar]])
    context = {
        "rows": inbox_rows(box, get_token(request)),
        "box": box,
        "vendor": vendor,
        "tab": tab,
        "states": selectors.INBOX_STATES,
        "sorts": selectors.INBOX_SORTS,
        "whos": selectors.INBOX_WHO,
        "is_admin": access.can_manage_radar(request.user, vendor),
    }
    template = "swarm/_inbox_body.html" if fragment else "swarm/inbox.html"
    return render(request, template, context)


def _back_to_radar(vendor: Vendor) -> HttpResponse:
    return redirect(f"{vendor.get_absolute_url()}inbox/?tab=radar")


@login_required
@require_POST
def radar_keywords(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = _staff_vendor(request, handle)
    try:
        if request.POST.get("remove"):
            keyword = get_object_or_404(RadarKeyword, vendor=vendor, pk=_int(request.POST["remove"]))
            radar.remove_keyword(admin=request.user, keyword=keyword)
            messages.success(request, gettext("Stopped watching “%(phrase)s”.") % {"phrase": keyword.phrase})
        else:
            keyword = radar.add_keyword(admin=request.user, vendor=vendor, phrase=request.POST.get("phrase", ""))
            messages.success(request, gettext("Watching for “%(phrase)s” in new threads.") % {"phrase": keyword.phrase})
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return _back_to_radar(vendor)


@login_required
@require_POST
def radar_hit(request: HttpRequest, handle: str, hit_id: int) -> HttpResponse:
    vendor = _staff_vendor(request, handle)
    hit = get_object_or_404(RadarHit.objects.select_related("thread", "vendor"), vendor=vendor, pk=hit_id)
    action = request.POST.get("action", "")
    try:
        radar.act_on_hit(staff=request.user, hit=hit, action=action)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _back_to_radar(vendor)
    if action == "join":
        return redirect(hit.thread)
    messages.success(
        request, gettext("Invited the author to escalate.") if action == "invite" else gettext("Dismissed.")
    )
    return _back_to_radar(vendor)


def _team_or_none(vendor: Vendor, value: str) -> Team | None:
    """The vendor's team named by id in a form; "" or "none" is no team."""
    if value in ("", "none"):
        return None
    return get_object_or_404(Team, vendor=vendor, pk=_int(value))


@login_required
@require_POST
def inbox_bulk(request: HttpRequest, handle: str) -> HttpResponse:
    """Claim, release or move the selected escalations; back to the inbox with what was done and refused."""
    vendor = _staff_vendor(request, handle)
    ids = [_int(v) for v in request.POST.getlist("escalation")[: bulk.BULK_MAX + 1]]
    verb = request.POST.get("verb", "")
    try:
        team = _team_or_none(vendor, request.POST.get("team", "")) if verb == "move" else None
        result = bulk.bulk_act(staff=request.user, vendor=vendor, escalation_ids=ids, verb=verb, team=team)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if result.done:
            messages.success(
                request,
                ngettext("Done for %(done)s escalation.", "Done for %(done)s escalations.", result.done)
                % {"done": result.done},
            )
        for refusal in result.refused[:10]:
            messages.error(request, refusal)
    back = request.POST.get("next", "")
    return redirect(f"{vendor.get_absolute_url()}inbox/{back if back.startswith('?') else ''}")


@login_required
def team_settings(request: HttpRequest, handle: str) -> HttpResponse:
    """The vendor admin's teams, routing rules and response targets (GET shows, each POST runs one action)."""
    vendor = _staff_vendor(request, handle)
    if request.method == "POST":
        try:
            done = _team_change(request, vendor)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, done)
        return redirect("swarm:teams", handle=vendor.handle)
    context = selectors.team_settings(vendor=vendor) | {
        "vendor": vendor,
        "is_admin": access.can_manage_teams(request.user, vendor),
    }
    return render(request, "swarm/teams.html", context)


def _team_change(request: HttpRequest, vendor: Vendor) -> str:
    post = request.POST
    admin = request.user
    op = post.get("op", "")
    if op == "create_team":
        team = teams.create_team(
            admin=admin, vendor=vendor, name=post.get("name", ""), round_robin=post.get("round_robin") == "on"
        )
        return gettext("Team “%(name)s” created.") % {"name": team.name}
    if op == "publish_targets":
        targets.publish_targets(
            admin=admin,
            vendor=vendor,
            first_reply_hours=post.get("first_reply_hours", ""),
            resolution_days=post.get("resolution_days", ""),
            business_hours=post.get("business_hours") == "on",
        )
        return gettext("Targets published. The change is dated on your public vendor page.")
    if op == "set_hours":
        days = [(post.get(f"open_{day}", ""), post.get(f"close_{day}", "")) for day in range(7)]
        targets.set_business_hours(admin=admin, vendor=vendor, time_zone=post.get("time_zone", ""), days=days)
        return gettext("Business hours saved. The change is dated on your public vendor page.")
    if op == "add_rule":
        # Any vendor's team by id, so the action can say it belongs to another vendor.
        team = get_object_or_404(Team.objects.select_related("vendor"), pk=_int(post.get("team", "")))
        rule = teams.add_rule(
            admin=admin, vendor=vendor, team=team, match=post.get("match", ""), value=post.get("value", "")
        )
        return gettext("New escalations matching “%(value)s” go to %(name)s.") % {
            "value": rule.value,
            "name": team.name,
        }
    if op == "create_product":
        product = products.create_product(
            admin=admin, vendor=vendor, name=post.get("name", ""), aliases=post.get("aliases", "")
        )
        return gettext("Product “%(name)s” added.") % {"name": product.name}
    if op in ("set_aliases", "delete_product"):
        product = get_object_or_404(
            Product.objects.select_related("vendor"), vendor=vendor, pk=_int(post.get("product"))
        )
        if op == "delete_product":
            products.delete_product(admin=admin, product=product)
            return gettext("Product “%(name)s” deleted, with its routing rules.") % {"name": product.name}
        products.set_aliases(admin=admin, product=product, aliases=post.get("aliases", ""))
        return gettext("Aliases of “%(name)s” saved.") % {"name": product.name}
    if op == "remove_rule":
        rule = get_object_or_404(RoutingRule.objects.select_related("vendor"), vendor=vendor, pk=_int(post.get("rule")))
        teams.remove_rule(admin=admin, rule=rule)
        return gettext("Rule removed.")
    team = get_object_or_404(Team.objects.select_related("vendor"), vendor=vendor, pk=_int(post.get("team", "")))
    if op == "update_team":
        usernames = normalise_text(post.get("members", "")).replace(",", " ").split()
        teams.update_team(admin=admin, team=team, round_robin=post.get("round_robin") == "on", usernames=usernames)
        return gettext("Team “%(name)s” saved.") % {"name": team.name}
    if op == "delete_team":
        teams.delete_team(admin=admin, team=team)
        return gettext("Team “%(name)s” deleted; its escalations are in no team now.") % {"name": team.name}
    raise ValidationError(gettext("Unknown change."))


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
