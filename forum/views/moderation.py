"""Moderation from the browser: flag a post, the moderators' queue, lock, suspend."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from forum import access, selectors
from forum.actions import moderation as mod_actions
from forum.actions import threads as thread_actions
from forum.models import Post, Thread, User

MOD_ONLY = gettext_lazy("Only moderators can open the moderation queue.")


def _first_message(error: ValidationError) -> str:
    return error.messages[0] if error.messages else gettext("That could not be done.")


def _require_moderator(request: HttpRequest) -> None:
    if not access.is_moderator(request.user):
        raise PermissionDenied(MOD_ONLY)


@login_required
@require_POST
def flag(request: HttpRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    try:
        mod_actions.flag_post(
            user=request.user,
            post=post,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        messages.success(request, gettext("Thanks: the moderators will look at this post. Only they see your flag."))
    return redirect(post)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require_moderator(request)
    context = {
        "q": selectors.moderation_queue(),
        "pending_decisions": [("approve", gettext("Approve")), ("reject", gettext("Reject"))],
        "flagged_decisions": [("dismiss", gettext("Dismiss flags")), ("hide", gettext("Hide"))],
        "hidden_decisions": [("restore", gettext("Restore")), ("dismiss", gettext("Dismiss flags"))],
    }
    return render(request, "forum/mod_queue.html", context)


POST_DECISIONS = {
    "dismiss": (mod_actions.dismiss_flags, gettext_lazy("Flags dismissed; the post stays as it is.")),
    "hide": (mod_actions.hide_post, gettext_lazy("The post is hidden pending review.")),
    "restore": (mod_actions.restore_post, gettext_lazy("The post is visible again.")),
    "approve": (mod_actions.approve_post, "Approved: the post is public now."),
    "reject": (mod_actions.reject_post, "Rejected: nobody else sees the post."),
}


@login_required
@require_POST
def decide(request: HttpRequest, post_id: int, decision: str) -> HttpResponse:
    _require_moderator(request)
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    if decision not in POST_DECISIONS:
        messages.error(request, gettext("Choose dismiss, hide, restore, approve or reject."))
        return redirect("forum:mod_queue")
    action, done = POST_DECISIONS[decision]
    try:
        action(moderator=request.user, post=post)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        messages.success(request, done)
    if request.POST.get("next") == "post":
        return redirect(post)
    return redirect("forum:mod_queue")


@login_required
@require_POST
def lock(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    locked = request.POST.get("locked") == "1"
    thread_actions.set_locked(moderator=request.user, thread=thread, locked=locked)
    messages.success(
        request, gettext("The thread is locked: no new replies.") if locked else gettext("The thread is unlocked.")
    )
    return redirect(thread)


def _parse_until(value: str) -> datetime | None:
    """A date (YYYY-MM-DD) to the end of that day in the site's time zone; empty means indefinitely."""
    value = value.strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError(gettext("Give the end date as YYYY-MM-DD, or leave it empty for indefinitely.")) from None
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


@login_required
def member(request: HttpRequest, username: str) -> HttpResponse:
    _require_moderator(request)
    target = get_object_or_404(User, username=username)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "unsuspend":
                mod_actions.unsuspend_user(moderator=request.user, user=target)
                messages.success(request, gettext("%(name)s can take part again.") % {"name": target.name})
            else:
                until = _parse_until(request.POST.get("until", ""))
                mod_actions.suspend_user(
                    moderator=request.user, user=target, until=until, reason=request.POST.get("reason", "")
                )
                messages.success(request, gettext("%(name)s is suspended.") % {"name": target.name})
        except ValidationError as error:
            messages.error(request, _first_message(error))
            status = 400
        else:
            return redirect("forum:mod_member", username=target.username)
    context = {
        "member": target,
        "log": selectors.moderation_log_for(target),
        "can_suspend": access.can_suspend(request.user, target),
    }
    return render(request, "forum/mod_member.html", context, status=status)
