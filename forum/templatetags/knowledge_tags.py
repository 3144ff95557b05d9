"""Template helpers for knowledge: verified and outdated answers, duplicate events, excerpts."""

from __future__ import annotations

from django import template

from forum.models import Event, Vendor
from forum.selectors import excerpt_of

register = template.Library()


def _post_context(context: template.Context) -> dict:
    k = context.get("k")
    post = context.get("post")
    thread = context.get("thread")
    if k is None or post is None or thread is None:  # e.g. a post rendered for a live event
        return {"show": False}
    is_accepted = thread.accepted_post_id == post.pk
    vendors = k.verifications.get(post.pk, [])
    return {
        "show": True,
        "post": post,
        "verified_by": vendors,
        "outdated": k.outdated.get(post.pk),
        "can_verify": [v for v in k.staffed_vendors if v not in vendors] if is_accepted else [],
        "can_flag": k.can_flag_outdated and not post.is_question and post.pk not in k.outdated,
        "can_clear": k.can_clear_outdated and post.pk in k.outdated,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("forum/_post_knowledge.html", takes_context=True)
def post_knowledge(context: template.Context) -> dict:
    """Badges and warnings above an answer: "Verified by Northwind", "Outdated: reason"."""
    return _post_context(context)


@register.inclusion_tag("forum/_post_knowledge_controls.html", takes_context=True)
def post_knowledge_controls(context: template.Context) -> dict:
    """Verify, flag outdated and clear controls in an answer's footer, for those allowed."""
    return _post_context(context)


@register.filter
def event_label(event: Event) -> str:
    """The history line for an event: its registered label (set and clear are separate kinds)."""
    return event.label


@register.filter
def excerpt(html: str) -> str:
    return excerpt_of(html or "")


@register.inclusion_tag("forum/_most_reused.html")
def most_reused(vendor: Vendor) -> dict:
    """The vendor page's panel: its articles that solved the most other problems (one query)."""
    from forum.knowledge_selectors import most_reused as select

    return {"articles": select(vendor=vendor)}


@register.simple_tag
def gap_token(query: str, hits: list) -> str:
    """Signed for the search page's content-gap beacon: this query was shown with (or without) results."""
    from forum.actions.gaps import search_token

    return search_token(query=query, found=len(hits))
