from django import template

from forum import access
from forum.models import Thread

register = template.Library()


@register.filter
def can_retag(thread: Thread, user) -> bool:
    """Mirror of access.can_retag for templates."""
    return access.can_retag(user, thread)
