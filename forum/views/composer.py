"""The composer's two helpers (docs/composer.md): a Markdown preview and @mention look-up.

Both answer JSON, only to logged-in participants, and are rate-limited per person. The
preview runs the server's own renderer and sanitiser (forum.markdown.render), so what a
person previews is exactly what the post will show; nothing is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from forum import access, markdown, ratelimit, selectors
from forum.validation import normalise_text
from forum.views.errors import with_retry_after


def _refusal(request: HttpRequest, action: str) -> JsonResponse | None:
    """Visitors, suspended and service accounts get a JSON refusal, never a login redirect."""
    if not access.is_participant(request.user):
        message = (
            access.suspension_message(request.user)
            if access.is_suspended(request.user)
            else gettext("Log in to use the composer.")
        )
        return JsonResponse({"error": message}, status=403)
    try:
        ratelimit.check(user_id=request.user.pk, action=action)
    except ratelimit.RateLimitedError as error:
        return with_retry_after(JsonResponse({"error": str(error)}, status=429), error)
    return None


@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """{"html": sanitised HTML} for the posted ``body``; 400 with a message for text a post would refuse."""
    refused = _refusal(request, "preview")
    if refused:
        return refused
    body = normalise_text(request.POST.get("body", ""))
    limit = settings.BARNRAISE["BODY_MAX"]
    if len(body) > limit:
        return JsonResponse(
            {
                "error": gettext("Too long to post: at most %(limit)s characters (%(length)s now).")
                % {"limit": limit, "length": len(body)}
            },
            status=400,
        )
    try:
        rendered = markdown.render(body)
    except ValidationError as error:
        return JsonResponse({"error": error.messages[0]}, status=400)
    return JsonResponse({"html": rendered.html})


@require_GET
def mention_suggest(request: HttpRequest) -> JsonResponse:
    """{"results": [{kind, handle, name}]}: at most 8 people and vendors starting with ``q``."""
    refused = _refusal(request, "mention_suggest")
    if refused:
        return refused
    return JsonResponse({"results": selectors.mention_candidates(normalise_text(request.GET.get("q", ""))[:40])})
