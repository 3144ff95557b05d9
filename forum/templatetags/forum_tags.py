"""Template helpers: relative times with the exact time on hover, user badges."""

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.filter
def reltime(value: datetime | None) -> str:
    """<time> showing "3 hours ago", the exact UTC time in its title (and for the JS to localise)."""
    if not value:
        return ""
    exact = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        exact.strftime("%Y-%m-%d %H:%M %Z"),
        naturaltime(value),
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
