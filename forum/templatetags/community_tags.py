"""Follow buttons and feed links for the pages that show them."""

from django import template
from taggit.models import Tag

from forum import follows
from forum.models import Thread, Vendor

register = template.Library()


@register.inclusion_tag("forum/_follow_button.html", takes_context=True)
def follow_button(context, target: Tag | Vendor | Thread) -> dict:
    """A Follow / Following toggle for a tag, vendor or thread (one query for a logged-in viewer)."""
    from forum.views.community import follow_button as button_context

    request = context["request"]
    user = request.user
    if isinstance(target, Tag):
        following = follows.follows_tag(user, target)
        data = button_context(request, tag=target, following=following)
    elif isinstance(target, Vendor):
        following = follows.follows_vendor(user, target)
        data = button_context(request, vendor=target, following=following)
    else:
        # thread_page annotates whether the viewer follows it: no query of its own on the thread page.
        following = getattr(target, "viewer_follows", None)
        if following is None:
            following = follows.follows_thread(user, target)
        data = button_context(request, thread=target, following=following)
    return {**data, "user": user, "request": request, "next": request.get_full_path()}


@register.simple_tag(takes_context=True)
def tag_muted(context, tag: Tag) -> bool:
    """Whether the viewer muted ``tag`` (one query for a logged-in viewer)."""
    return follows.mutes_tag(context["request"].user, tag)
