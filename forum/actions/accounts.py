"""Account settings a person changes about themselves (email and password are allauth's)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from forum.models import User
from forum.validation import normalise_text

NAME_MAX = 80


def clean_display_name(value: str) -> str:
    """The name others see: no control or bidirectional-override characters, at most 80 characters."""
    name = " ".join(normalise_text(value or "").split())
    if len(name) > NAME_MAX:
        raise ValidationError(gettext("Keep your name under %(name_max)s characters.") % {"name_max": NAME_MAX})
    return name


def update_display_name(*, user: User, display_name: str) -> User:
    """Set the name shown beside the person's posts (blank: their username is shown)."""
    name = clean_display_name(display_name)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.display_name = name
        user.save(update_fields=["display_name"])
    return user
