"""Template helpers: relative times with the exact time on hover, user badges."""

from datetime import datetime

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
