"""Follows, notification settings and image attachments from the browser."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from taggit.models import Tag

from forum import attachments, follows
from forum.actions import follows as follow_actions
from forum.forms import NotificationSettingsForm
from forum.models import Attachment, Thread, Vendor
from forum.timeline import presenter

# Attachments render in no document context: nothing in them runs, and nothing may frame them.
ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"


def _toggle(request: HttpRequest, *, kind: str, target: Tag | Vendor | Thread, fallback: str) -> HttpResponse:
    """Call follow_<kind> or unfollow_<kind>; answer htmx with the new button, others with a redirect."""
    on = request.POST.get("action", "follow") != "unfollow"
    action = getattr(follow_actions, f"{'' if on else 'un'}follow_{kind}")
    action(user=request.user, **{kind: target})
    button = follow_button(request, following=on, **{kind: target})
    if request.headers.get("HX-Request"):
        return render(request, "forum/_follow_button.html", button)
    what = button["follow_what"]
    messages.success(
        request,
        gettext("You follow %(what)s.") % {"what": what}
        if on
        else gettext("You no longer follow %(what)s.") % {"what": what},
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = fallback
    return redirect(back)


@login_required
@require_POST
def follow_tag(request: HttpRequest, tag: str) -> HttpResponse:
    tag_obj = get_object_or_404(Tag, name=tag.lower())
    return _toggle(request, kind="tag", target=tag_obj, fallback=reverse("forum:tag", args=[tag_obj.name]))


@login_required
@require_POST
def mute_tag(request: HttpRequest, tag: str) -> HttpResponse:
    """Mute (``action=mute``) or unmute a tag; back to where the form was (the tag's page by default)."""
    tag_obj = get_object_or_404(Tag, name=tag.lower())
    action = request.POST.get("action", "")
    if action == "mute":
        follow_actions.mute_tag(user=request.user, tag=tag_obj)
        messages.success(
            request,
            gettext("Muted %(tag)s: you hear about its threads only when someone mentions you or replies to your own.")
            % {"tag": tag_obj.name},
        )
    elif action == "unmute":
        follow_actions.unmute_tag(user=request.user, tag=tag_obj)
        messages.success(request, gettext("Unmuted %(tag)s.") % {"tag": tag_obj.name})
    else:
        messages.error(request, gettext("Choose mute or unmute."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("forum:tag", args=[tag_obj.name])
    return redirect(back)


@login_required
@require_POST
def follow_vendor(request: HttpRequest, handle: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, handle=handle.lower())
    return _toggle(request, kind="vendor", target=vendor, fallback=vendor.get_absolute_url())


@login_required
@require_POST
def follow_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.defer("search_vector"), pk=thread_id)
    return _toggle(request, kind="thread", target=thread, fallback=thread.get_absolute_url())


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
        url, what = (
            reverse("forum:follow_tag", args=[tag.name]),
            gettext("the tag %(name)s") % {"name": tag.name},
        )
    elif vendor is not None:
        url, what = reverse("forum:follow_vendor", args=[vendor.handle]), vendor.name
    else:
        url, what = reverse("forum:follow_thread", args=[thread.pk]), "this thread"
    return {"follow_url": url, "follow_what": what, "following": following, "next": request.POST.get("next", "")}


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    prefs = follows.settings_for(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        follow_actions.update_notification_settings(user=request.user, **form.cleaned_data)
        messages.success(request, gettext("Your notification settings are saved."))
        return redirect("forum:notification_settings")
    context = {"form": form, "following": follows.following(request.user)}
    return render(request, "forum/notification_settings.html", context, status=400 if form.errors else 200)


# Room for the text fields and multipart framing on top of the images themselves.
FORM_OVERHEAD = 1024 * 1024


def limit_upload_size(view):
    """Refuse a post whose body is bigger than its images could be, before Django spools it to disk."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        per_post, max_bytes, _ = attachments.limits()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > per_post * max_bytes + FORM_OVERHEAD:
            message = gettext(
                "That was too much to upload at once: at most %(per_post)s images of %(value)s "
                "MB each. Nothing was posted; go back and choose fewer or smaller images."
            ) % {"per_post": per_post, "value": max_bytes // 1_048_576}
            return render(request, "error.html", {"title": gettext("Upload too large"), "message": message}, status=413)
        return view(request, *args, **kwargs)

    return wrapped


def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Stream an image from storage with headers that keep browsers from treating it as anything else.

    An image exists only for those who may read its post (forum.timeline.presenter): one under a
    hidden, pending or rejected post is a 404 for everyone else, and only images everyone may see
    are cacheable by shared caches.
    """
    item = get_object_or_404(Attachment.objects.select_related("post", "post__thread"), pk=attachment_id)
    if item.content_type not in Attachment.EXTENSIONS:
        raise Http404("No such image.")
    if presenter.attachment(request.user, item) is not presenter.Seen.SHOWN:
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
    response["Cache-Control"] = presenter.attachment_cache_control(item)
    return response
