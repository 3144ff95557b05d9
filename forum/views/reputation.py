"""Leaderboards, the badge list, and retagging a thread."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from taggit.models import Tag

from forum import reputation_selectors
from forum.actions import tags as tag_actions
from forum.models import Thread

MAX_TAG_LENGTH = 100


def _board(request: HttpRequest, tag_name: str | None) -> HttpResponse:
    period = request.GET.get("period", "week")
    context: dict = {"period": period, "periods": list(reputation_selectors.PERIODS), "tag": None, "leaders": []}
    status = 200
    tag = None
    if tag_name:
        wanted = tag_name.replace("\x00", "").strip().lower()[:MAX_TAG_LENGTH]
        tag = Tag.objects.filter(name=wanted).first() if wanted else None
        if tag is None and wanted:
            context["error"] = gettext("There is no tag named “%(wanted)s”.") % {"wanted": wanted}
            status = 404
    context["tag"] = tag
    if period not in reputation_selectors.PERIODS:
        context["error"] = gettext("Unknown period: choose week, month or all.")
        context["period"] = "week"
        status = 400
    if status == 200:
        context["leaders"] = reputation_selectors.leaderboard(period=period, tag=tag.name if tag else None)
    return render(request, "forum/leaders.html", context, status=status)


def leaders(request: HttpRequest) -> HttpResponse:
    return _board(request, request.GET.get("tag") or None)


def tag_leaders(request: HttpRequest, tag: str) -> HttpResponse:
    return _board(request, tag)


def badge_list(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/badges.html", {"counts": reputation_selectors.badge_counts()})


@login_required
@require_POST
def retag(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    try:
        tag_actions.retag(user=request.user, thread=thread, tags=request.POST.get("tags", ""))
    except ValidationError as error:
        messages.error(request, error.messages[0] if error.messages else gettext("The tags could not be changed."))
    else:
        messages.success(request, gettext("Tags updated."))
    return redirect(thread)
