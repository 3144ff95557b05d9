"""Template helpers: relative times with the exact time on hover, user badges."""

import functools
from datetime import datetime
from urllib.parse import quote

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

register = template.Library()

# Each unit's "N units ago" in the active language (ngettext: languages differ in their plural rules).
_UNITS = (
    (31_536_000, lambda n: ngettext("%(count)d year ago", "%(count)d years ago", n)),
    (2_592_000, lambda n: ngettext("%(count)d month ago", "%(count)d months ago", n)),
    (604_800, lambda n: ngettext("%(count)d week ago", "%(count)d weeks ago", n)),
    (86_400, lambda n: ngettext("%(count)d day ago", "%(count)d days ago", n)),
    (3_600, lambda n: ngettext("%(count)d hour ago", "%(count)d hours ago", n)),
    (60, lambda n: ngettext("%(count)d minute ago", "%(count)d minutes ago", n)),
)


def ago(value: datetime, now: datetime) -> str:
    """ "3 hours ago" by plain arithmetic: pages show hundreds of these (humanize is slow)."""
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return gettext("just now")
    for size, phrase in _UNITS:
        if seconds >= size:
            count = seconds // size
            return phrase(count) % {"count": count}
    return gettext("just now")


@functools.lru_cache(maxsize=8192)
def _exact_time(value: datetime, zone: str, language: str | None) -> str:
    """The exact time in the active zone and language (named in the key): a list or thread page shows the
    same times view after view, and localised formatting is most of a relative time's cost."""
    exact = timezone.localtime(value)  # the zone UserPreferencesMiddleware activated, else the site's
    return f"{date_format(exact, 'DATETIME_FORMAT')} {exact.tzname()}"


@register.filter
def reltime(value: datetime | None) -> SafeString | str:
    """<time> showing "3 hours ago"; its title is the exact time in the page's locale and the person's zone."""
    if not value:
        return ""
    title = _exact_time(value, timezone.get_current_timezone_name(), get_language())
    # Every part is generated here from a datetime, never from user text.
    return mark_safe(  # noqa: S308
        f'<time datetime="{value.isoformat()}" title="{title}">{ago(value, timezone.now())}</time>'
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


@register.simple_tag
def thread_rows(threads) -> SafeString:
    """A list's rows, each rendered once per version and cached (forum/fragments.py)."""
    from forum import fragments

    return fragments.render_thread_rows(list(threads))


@register.simple_tag
def search_hits(hits) -> SafeString:
    """Search results, each hit's frame rendered once per version and cached (forum/fragments.py)."""
    from forum import fragments

    return fragments.render_search_hits(list(hits))


@register.filter
def duration(value) -> str:
    """A timedelta as people say it: "40 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds < 60:
        return gettext("%(seconds)d s") % {"seconds": max(seconds, 0)}
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    if hours < 24:
        rest = minutes - hours * 60
        if rest:
            return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
        return gettext("%(hours)d h") % {"hours": hours}
    rest = hours - days * 24
    if rest:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": rest}
    return gettext("%(days)d d") % {"days": days}


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
