"""Content gaps: what people look for and do not find, counted without personal data.

Three signals, each counted per (normalised query, tag, vendor, day):
- a search that found nothing, and a search whose results were left unopened: the
  search page sends a POST beacon carrying a token the server signed when it rendered
  the results (``search_token``), so a beacon can only report a search that was shown;
- a question posted although suggestions were shown (``record_asked_anyway``, from the
  POST that creates the thread).
No user, session or address is stored; beacons are rate-limited per address.
"""

from __future__ import annotations

import re

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy
from taggit.models import Tag

from forum import ratelimit
from forum.models import ContentGap, Thread, ThreadVendor, Vendor
from forum.search import STOP_WORDS, WORD_RE
from forum.validation import normalise_text

_SEARCH_SALT = "barnraise.gaps.search"
# A results page left open longer than this is not reported any more.
SEARCH_TOKEN_MAX_AGE = 6 * 3600
QUERY_MAX = 200
NOT_SHOWN = gettext_lazy("That search was not shown on this site recently.")
PERSONAL_RE = re.compile(r"\S+@\S+|\d[\d\s-]{4,}\d")


def normalise_query(text: str) -> str:
    """Lower case, words only, stop words dropped, in order, deduplicated: "WiFi drops!" -> "wifi drops".

    Email addresses and long numbers (order, serial and phone numbers) are dropped first:
    the report keeps what was looked for, never who looked.
    """
    text = PERSONAL_RE.sub(" ", normalise_text(text or ""))
    words = WORD_RE.findall(text.lower())
    kept = [w for w in dict.fromkeys(words) if w not in STOP_WORDS and not re.fullmatch(r"_+", w)]
    return " ".join(kept)[:QUERY_MAX].strip()


def search_token(*, query: str, found: int) -> str:
    """Signed into the search page: this query was shown with ``found`` results."""
    return signing.dumps({"q": normalise_query(query), "n": min(found, 1)}, salt=_SEARCH_SALT)


def _tags_and_vendors(query: str) -> tuple[list[str], list[str]]:
    """Tags and vendor handles the query's words name (two queries)."""
    words = query.split()
    if not words:
        return [], []
    tags = sorted(Tag.objects.filter(name__in=words).values_list("name", flat=True))
    vendors = sorted(Vendor.objects.filter(handle__in=words).values_list("handle", flat=True))
    return tags, vendors


def _count(*, kind: str, query: str, tags: list[str], vendors: list[str]) -> int:
    """Add one to each (tag or "", vendor or "") row of today; returns how many rows were touched."""
    day = timezone.localdate()
    rows = [(t, v) for t in (tags or [""]) for v in (vendors or [""])]
    for tag, vendor in rows:
        key = {"kind": kind, "query": query, "tag": tag, "vendor": vendor, "day": day}
        if ContentGap.objects.filter(**key).update(count=F("count") + 1):
            continue
        try:
            with transaction.atomic():
                ContentGap.objects.create(**key)
        except IntegrityError:  # a concurrent beacon created it first
            ContentGap.objects.filter(**key).update(count=F("count") + 1)
    return len(rows)


def record_search_gap(*, token: str, opened: bool, address: str = "") -> str:
    """The search page's beacon: found nothing, or left without opening a result. Returns the kind counted, or ""."""
    try:
        data = signing.loads(token or "", salt=_SEARCH_SALT, max_age=SEARCH_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(NOT_SHOWN, code="not_shown") from None
    if not isinstance(data, dict) or not isinstance(data.get("q"), str) or not data["q"]:
        raise ValidationError(NOT_SHOWN, code="not_shown")
    if opened:
        return ""  # a result was opened: no gap
    if address:
        ratelimit.check_address(address=address, action="content_gap")
    kind = ContentGap.Kind.NO_RESULTS if not data.get("n") else ContentGap.Kind.NOT_OPENED
    query = data["q"][:QUERY_MAX]
    tags, vendors = _tags_and_vendors(query)
    _count(kind=kind, query=query, tags=tags, vendors=vendors)
    return kind


def record_asked_anyway(*, thread: Thread, title: str, body: str = "") -> bool:
    """In the POST that posts a question: were there suggestions for it? Then count the gap."""
    from forum import selectors

    shown = [s for s in selectors.ask_suggestions(title=title, body=body) if s.thread.pk != thread.pk]
    if not shown:
        return False
    tags = sorted(thread.tags.values_list("name", flat=True))
    vendors = sorted(ThreadVendor.objects.filter(thread=thread).values_list("vendor__handle", flat=True))
    _count(kind=ContentGap.Kind.ASKED_ANYWAY, query=normalise_query(title), tags=tags, vendors=vendors)
    return True
