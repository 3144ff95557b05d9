"""Template helpers: relative times with the exact time on hover, user badges."""

from datetime import datetime
from urllib.parse import quote

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_UNITS = (
    (31_536_000, "year"),
    (2_592_000, "month"),
    (604_800, "week"),
    (86_400, "day"),
    (3_600, "hour"),
    (60, "minute"),
)


def ago(value: datetime, now: datetime) -> str:
    """ "3 hours ago" by plain arithmetic: pages show hundreds of these (humanize is slow)."""
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return "just now"
    for size, unit in _UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


@register.filter
def reltime(value: datetime | None) -> SafeString | str:
    """<time> showing "3 hours ago", the exact UTC time in its title (and for the JS to localise)."""
    if not value:
        return ""
    exact = timezone.localtime(value)
    # Every part is generated here from a datetime, never from user text.
    return mark_safe(  # noqa: S308
        f'<time datetime="{value.isoformat()}" title="{exact.strftime("%Y-%m-%d %H:%M %Z")}">'
        f"{ago(value, timezone.now())}</time>"
    )


@register.filter
def is_expert(user) -> bool:
    """Whether a person's reputation reaches BARNRAISE["EXPERT_REPUTATION"] (the "Expert" label)."""
    from django.conf import settings

    return getattr(user, "reputation", 0) >= settings.BARNRAISE["EXPERT_REPUTATION"]


@register.simple_tag
def page_url(request, **params) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    query = request.GET.copy()
    for key, value in params.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else request.path


@register.simple_tag(takes_context=True)
def panels(context, slot: str, obj=None) -> SafeString:
    """Panels other apps registered for a slot of this page (forum.hooks.register_panel)."""
    from forum import hooks

    request = context.get("request")
    if request is None:
        return SafeString("")
    return SafeString("".join(str(render(request, obj)) for render in hooks.panels(slot)))


@register.filter
def duration(value) -> str:
    """A timedelta as people say it: "40 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        rest = minutes - hours * 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    rest = hours - days * 24
    return f"{days} d {rest} h" if rest else f"{days} d"


# URL name -> (prefix, suffix) around the post id, reversed once per process: a 200-reply thread page
# used to call reverse() about 435 times (bench/RESULTS.md). Only names whose one argument is post_id.
_POST_URL_PARTS: dict[str, tuple[str, str]] = {}
_POST_URL_NAMES = frozenset(
    {"vote", "accept", "edit", "post_history", "flag", "verify_answer", "flag_outdated", "clear_outdated"}
)
_SENTINEL = 987654321


@register.filter
def post_url(name: str, post_id: int) -> str:
    """``{{ "vote"|post_url:post.pk }}``: the address of a post's ``forum:<name>`` view, without reverse()."""
    parts = _POST_URL_PARTS.get(name)
    if parts is None:
        if name not in _POST_URL_NAMES:
            raise template.TemplateSyntaxError(f"post_url does not know {name!r}")
        from django.urls import reverse

        prefix, _, suffix = reverse(f"forum:{name}", kwargs={"post_id": _SENTINEL}).partition(str(_SENTINEL))
        parts = _POST_URL_PARTS[name] = (prefix, suffix)
    return f"{parts[0]}{int(post_id)}{parts[1]}"


_PROFILE_PARTS: list[tuple[str, str]] = []


@register.filter
def profile_url(username: str) -> str:
    """A member's profile address, like ``User.get_absolute_url`` without a reverse() per post."""
    from django.urls import reverse

    if not _PROFILE_PARTS:
        prefix, _, suffix = reverse("forum:profile", args=["sentinel"]).partition("sentinel")
        _PROFILE_PARTS.append((prefix, suffix))
    prefix, suffix = _PROFILE_PARTS[0]
    return f"{prefix}{quote(str(username))}{suffix}"


_AVATAR_PARTS: list[tuple[str, str]] = []
_AVATAR_SHOWN = {"small": (64, 32), "large": (256, 128)}  # rendition, CSS pixels


@register.filter
def avatar(user, size: str = "small") -> SafeString:
    """``{{ post.author|avatar }}``: the person's uploaded picture, else their initials on their colour.

    Decorative (the name is always beside it), so hidden from assistive technology. No query and no
    reverse() per call: everything comes from the user row already loaded.
    """
    from django.urls import reverse
    from django.utils.html import format_html

    from forum import avatars

    rendition, shown = _AVATAR_SHOWN.get(size, _AVATAR_SHOWN["small"])
    if user is None or getattr(user, "deleted_at", None) is not None:
        return format_html('<span class="avatar avatar-{} avatar-deleted" aria-hidden="true"></span>', size)
    key = getattr(user, "avatar_key", "")
    if key:
        if not _AVATAR_PARTS:
            prefix, _, suffix = reverse("forum:avatar", args=["k" * 32, 64]).partition("k" * 32 + "/64")
            _AVATAR_PARTS.append((prefix, suffix))
        prefix, suffix = _AVATAR_PARTS[0]
        return format_html(
            '<img class="avatar avatar-{}" src="{}{}/{}{}" width="{}" height="{}" alt=""{}>',
            size,
            prefix,
            key,
            rendition,
            suffix,
            shown,
            shown,
            # Many small ones down a long page wait until scrolled to; the one large one is at the top.
            mark_safe(' loading="lazy"') if size == "small" else "",
        )
    return format_html(
        '<span class="avatar avatar-{} avatar-c{}" aria-hidden="true">{}</span>',
        size,
        avatars.colour_index(user.pk),
        avatars.initials(user.name),
    )


@register.filter
def person(user) -> SafeString:
    """``{{ thread.author|person }}``: the name linked to the profile; a deleted account's, unlinked."""
    from django.utils.html import format_html

    if user is None:
        return format_html("")
    if getattr(user, "deleted_at", None) is not None:
        return format_html('<span class="author-deleted">{}</span>', user.name)
    return format_html('<a href="{}">{}</a>', profile_url(user.username), user.name)
