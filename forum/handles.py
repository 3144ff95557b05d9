"""Vendor handles: one place decides whether a handle may be taken.

A handle is unique ignoring case, and may not look like another vendor's handle
(listed or unclaimed): ``northwlnd``, ``n0rthwind``, ``nоrthwind`` with a
Cyrillic "о", or ``rnicrosoft`` would fool a customer who tags a vendor in
public. Two handles look alike when their skeletons are equal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext

from forum.models.vendors import HANDLE_PATTERN

# Any fixed number: the PostgreSQL advisory lock that makes taking a handle one at a time.
_HANDLE_LOCK = 0x68616E646C65

HANDLE_RE = re.compile(rf"^{HANDLE_PATTERN}$")
# Multi-letter look-alikes first (TR39 has them too), then the single letters and digits that
# read alike in most fonts. Hyphens are dropped: "north-wind" reads as "northwind".
_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_SINGLE = str.maketrans({"1": "l", "i": "l", "|": "l", "0": "o", "-": "", "_": ""})


@cache
def _ascii_prototypes() -> dict[str, str]:
    """Unicode TR39 confusables (confusable-homoglyphs' table): a character to an ASCII look-alike."""
    from confusable_homoglyphs.confusables import confusables_data

    table = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_glyphs = [g["c"] for g in glyphs if g["c"].isascii() and g["c"].isalnum()]
        if ascii_glyphs:
            # Prefer a lowercase letter ("і" -> "i" rather than "I"); all fold to the same skeleton anyway.
            table[char] = min(ascii_glyphs, key=lambda g: (not g.islower(), len(g), g)).lower()
    return table


def skeleton(handle: str) -> str:
    """What a handle looks like: equal skeletons mean a reader could take one for the other."""
    text = unicodedata.normalize("NFKC", handle).casefold()
    prototypes = _ascii_prototypes()
    text = "".join(prototypes.get(char, char) for char in text)
    for pair, single in _PAIRS:
        text = text.replace(pair, single)
    return text.translate(_SINGLE)


def normalise(handle: str) -> str:
    return unicodedata.normalize("NFKC", (handle or "").strip().lstrip("@")).lower()


def check_handle(handle: str, *, exclude_vendor_id: int | None = None) -> str:
    """The handle to store, or a clear refusal: taken, a look-alike of one taken, or not a handle.

    Compared with every vendor, joined or unclaimed (except the vendor being renamed), and with
    new vendors whose domains are proven and that wait for a site admin's approval.
    """
    from forum.models import Vendor, VendorApplication

    cleaned = normalise(handle)
    if not cleaned:
        raise ValidationError(gettext("Choose a handle, like @northwind."), code="handle_empty")
    mine = skeleton(cleaned)
    others = Vendor.objects.exclude(pk=exclude_vendor_id).values_list("handle", flat=True)
    waiting = VendorApplication.objects.filter(status=VendorApplication.Status.REVIEW, is_claim=False)
    for other in [*others, *waiting.values_list("handle", flat=True)]:
        if other == cleaned:
            raise ValidationError(
                gettext("The handle @%(cleaned)s is taken. Choose another.") % {"cleaned": cleaned}, code="handle_taken"
            )
        if skeleton(other) == mine:
            raise ValidationError(
                gettext(
                    "@%(value)s looks too much like @%(other)s, which is already taken. "
                    "Choose a handle nobody could mistake for another vendor's."
                )
                % {"value": cleaned[:40], "other": other},
                code="handle_confusable",
            )
    if not HANDLE_RE.match(cleaned):
        raise ValidationError(_shape_message(cleaned), code="handle_invalid")
    return cleaned


def lock_handles() -> None:
    """Take handles one at a time until the transaction ends, so two look-alikes cannot both pass
    ``check_handle`` (no unique index can see a skeleton). SQLite's IMMEDIATE transactions already
    queue writers; PostgreSQL takes a transaction-scoped advisory lock."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_handles() must run inside the action's transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_HANDLE_LOCK])


def _shape_message(cleaned: str) -> str:
    foreign = next((char for char in cleaned if not (char.isascii() and (char.isalnum() or char == "-"))), None)
    base = "A handle is 1 to 30 lowercase letters a-z, digits or hyphens, not starting or ending with a hyphen."
    if foreign is None:
        return base
    name = unicodedata.name(foreign, "a character").title()
    return f"{base} “{foreign}” ({name}) is not one of them."
