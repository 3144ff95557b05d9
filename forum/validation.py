"""Cleaning of user text: one place decides what a title, a body and a tag may be."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# Bidirectional controls (embeddings, overrides, isolates, the LRM/RLM/ALM marks) reorder how
# text is shown, so "gpj.exe" can read as "exe.jpg" ("Trojan Source"); zero-width spaces and the
# word joiner make two names look alike. None belongs in what people type. Joiners (U+200C/D)
# stay: emoji sequences and Persian need them.
INVISIBLE = "\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Control characters other than tab/newline, and the invisible characters above.
_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{INVISIBLE}]")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.-]{0,31}$")


def _limits() -> dict:
    return settings.BARNRAISE


def normalise_text(value: str) -> str:
    """NFC-normalise, drop NUL and other control characters, unify line ends."""
    value = unicodedata.normalize("NFC", value or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def strip_invisible(value: str) -> str:
    """Remove bidirectional controls and invisible characters (forum.middleware applies it to all form input)."""
    return _INVISIBLE.sub("", value)


def clean_title(value: str) -> str:
    title = re.sub(r"\s+", " ", normalise_text(value)).strip()
    if not title:
        raise ValidationError(gettext("Please give your thread a title."), code="title_empty")
    if len(title) < 8:
        raise ValidationError(
            gettext("The title is too short: say in a few words what went wrong."), code="title_short"
        )
    limit = _limits()["TITLE_MAX"]
    if len(title) > limit:
        raise ValidationError(
            gettext("The title is %(length)s characters long; the limit is %(limit)s.")
            % {"length": len(title), "limit": limit},
            code="title_long",
        )
    return title


def clean_body(value: str) -> str:
    body = normalise_text(value).strip()
    if not body:
        raise ValidationError(gettext("Please write something: the post is empty."), code="body_empty")
    limit = _limits()["BODY_MAX"]
    if len(body) > limit:
        raise ValidationError(
            gettext("The post is %(length)s characters long; the limit is %(limit)s.")
            % {"length": format(len(body), ","), "limit": format(limit, ",")},
            code="body_long",
        )
    return body


def parse_tags(value: str | list[str]) -> list[str]:
    """Split, normalise and check tags: lowercase, deduplicated, at most MAX_TAGS."""
    raw = value if isinstance(value, list) else re.split(r"[,\s]+", value or "")
    tags: list[str] = []
    for item in raw:
        tag = unicodedata.normalize("NFKC", normalise_text(item)).strip().lower().lstrip("#")
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise ValidationError(
                gettext(
                    "“%(value)s” is not a valid tag: use up to 32 letters, digits, "
                    "and + # . - starting with a letter or digit."
                )
                % {"value": tag[:40]},
                code="tag_invalid",
            )
        if tag not in tags:
            tags.append(tag)
    limit = _limits()["MAX_TAGS"]
    if len(tags) > limit:
        raise ValidationError(
            gettext("Use at most %(limit)s tags; you gave %(length)s.") % {"limit": limit, "length": len(tags)},
            code="tags_too_many",
        )
    return tags
