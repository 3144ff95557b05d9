from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from forum import hooks, notifications, selectors
from forum.actions import follows as follow_actions
from forum.models import Thread


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    groups = selectors.notification_groups(request.user)
    notices = [n for group in groups for n in group.items]
    offered: dict[int, str] = {}
    for render_actions in hooks.notice_actions():  # swarm's "Claim" and "Confirm solved"
        offered.update(render_actions(request, notices))
    for n in notices:
        n.actions_html = offered.get(n.pk, "")
    return render(request, "forum/notifications.html", {"groups": groups})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    count = notifications.mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext("Marked %(count)s notification as read.", "Marked %(count)s notifications as read.", count)
        % {"count": count},
    )
    return redirect("forum:notifications")


@login_required
@require_POST
def mute_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Mute (``action=mute``) or unmute a thread; back to where the form was (the inbox by default)."""
    thread = get_object_or_404(Thread.objects.defer("search_vector"), pk=thread_id)
    action = request.POST.get("action", "")
    if action not in ("mute", "unmute"):
        messages.error(request, gettext("Choose mute or unmute."))
    elif action == "mute":
        follow_actions.mute_thread(user=request.user, thread=thread)
        messages.success(request, gettext("Muted: you will hear nothing more about this thread."))
    else:
        follow_actions.unmute_thread(user=request.user, thread=thread)
        messages.success(request, gettext("Unmuted: mentions reach you again; follow the thread to hear of replies."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("forum:notifications")
    return redirect(back)
