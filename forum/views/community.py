"""Follows, notification settings and image attachments from the browser."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from taggit.models import Tag

from forum import follows
from forum.actions import follows as follow_actions
from forum.forms import NotificationSettingsForm
from forum.models import Attachment, Thread, Vendor

# Attachments render in no document context: nothing in them runs, and nothing may frame them.
ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"


def _follow_reply(request: HttpRequest, *, button: dict, done: str, fallback: str) -> HttpResponse:
    """The new button for htmx; otherwise back to the page the form was on, with a message."""
    if request.headers.get("HX-Request"):
        return render(request, "forum/_follow_button.html", button)
    messages.success(request, done)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return redirect(target)


def _wants_follow(request: HttpRequest) -> bool:
    return request.POST.get("action", "follow") != "unfollow"


@login_required
@require_POST
def follow_tag(request: HttpRequest, tag: str) -> HttpResponse:
    tag_obj = get_object_or_404(Tag, name=tag.lower())
    on = _wants_follow(request)
    action = follow_actions.follow_tag if on else follow_actions.unfollow_tag
    action(user=request.user, tag=tag_obj)
    button = follow_button(request, tag=tag_obj, following=on)
    done = f"You follow “{tag_obj.name}”." if on else f"You no longer follow “{tag_obj.name}”."
    return _follow_reply(request, button=button, done=done, fallback=reverse("forum:tag", args=[tag_obj.name]))


@login_required
@require_POST
def follow_vendor(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle.lower())
    on = _wants_follow(request)
    action = follow_actions.follow_vendor if on else follow_actions.unfollow_vendor
    action(user=request.user, vendor=vendor)
    done = f"You follow {vendor.name}." if on else f"You no longer follow {vendor.name}."
    button = follow_button(request, vendor=vendor, following=on)
    return _follow_reply(request, button=button, done=done, fallback=vendor.get_absolute_url())


@login_required
@require_POST
def follow_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.defer("search_vector"), pk=thread_id)
    on = _wants_follow(request)
    action = follow_actions.follow_thread if on else follow_actions.unfollow_thread
    action(user=request.user, thread=thread)
    done = "You will hear about new replies." if on else "You will no longer hear about replies on this thread."
    button = follow_button(request, thread=thread, following=on)
    return _follow_reply(request, button=button, done=done, fallback=thread.get_absolute_url())


def follow_button(
    request: HttpRequest,
    *,
    following: bool,
    tag: Tag | None = None,
    vendor: Vendor | None = None,
    thread: Thread | None = None,
) -> dict:
    """Context for forum/_follow_button.html."""
    if tag is not None:
        url, what = reverse("forum:follow_tag", args=[tag.name]), f"the tag {tag.name}"
    elif vendor is not None:
        url, what = reverse("forum:follow_vendor", args=[vendor.handle]), vendor.name
    else:
        url, what = reverse("forum:follow_thread", args=[thread.pk]), "this thread"
    return {"follow_url": url, "follow_what": what, "following": following, "next": request.POST.get("next", "")}


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    prefs = follows.settings_for(request.user)
    form = NotificationSettingsForm(
        request.POST or None,
        initial={
            "new_thread_live": prefs.new_thread_live,
            "daily_digest": prefs.daily_digest,
            "email_replies_mentions": prefs.email_replies_mentions,
        },
    )
    if request.method == "POST" and form.is_valid():
        follow_actions.update_notification_settings(user=request.user, **form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("forum:notification_settings")
    context = {"form": form, "following": follows.following(request.user)}
    return render(request, "forum/notification_settings.html", context, status=400 if form.errors else 200)


def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Stream an image from storage with headers that keep browsers from treating it as anything else."""
    item = get_object_or_404(Attachment, pk=attachment_id)
    if item.content_type not in Attachment.EXTENSIONS:
        raise Http404("No such image.")
    try:
        handle = item.file.storage.open(item.file.name, "rb")
    except OSError:
        raise Http404("This image is no longer stored.") from None
    name = item.original_name
    if not name.lower().endswith(f".{item.extension}"):
        name = f"{name}.{item.extension}"
    response = FileResponse(handle, content_type=item.content_type, as_attachment=False, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "public, max-age=3600"
    return response
