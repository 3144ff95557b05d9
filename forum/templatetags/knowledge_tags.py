"""Template helpers for knowledge: verified and outdated answers, duplicate events, excerpts."""

from __future__ import annotations

from django import template

from forum.models import Event, Vendor
from forum.selectors import excerpt_of

register = template.Library()


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
