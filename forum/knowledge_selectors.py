"""Reads for the KCS loop: the content-gap report and how often articles were reused. Fixed query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max, Q, Sum

from forum.models import ArticleReuse, ContentGap, TaggedThread, Thread, ThreadVendor, Vendor
from forum.timeline import presenter

GAP_ROWS = 50
VENDOR_TAGS = 20


@dataclass
class GapRow:
    query: str
    tag: str
    no_results: int
    not_opened: int
    asked_anyway: int

    @property
    def total(self) -> int:
        return self.no_results + self.not_opened + self.asked_anyway


def vendor_tags(vendor: Vendor) -> list[str]:
    """The tags most used on threads linked to the vendor: what its customers ask about (one query)."""
    thread_ids = ThreadVendor.objects.filter(vendor=vendor).values("thread_id")
    rows = (
        TaggedThread.objects.filter(content_object_id__in=thread_ids)
        .values("tag__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "tag__name")
        .values_list("tag__name", flat=True)[:VENDOR_TAGS]
    )
    return list(rows)


def gap_report(*, since: date, vendor: Vendor | None = None, tag: str = "", limit: int = GAP_ROWS) -> list[GapRow]:
    """What people looked for and did not find since ``since``, most often first (one query).

    For a vendor: gaps that name it and gaps under the tags of its threads.
    """
    qs = ContentGap.objects.filter(day__gte=since)
    if vendor is not None:
        qs = qs.filter(Q(vendor=vendor.handle) | Q(tag__in=vendor_tags(vendor)))
    if tag:
        qs = qs.filter(tag=tag)
    kinds = ContentGap.Kind
    rows = (
        qs.values("query", "tag")
        .annotate(
            no_results=Sum("count", filter=Q(kind=kinds.NO_RESULTS), default=0),
            not_opened=Sum("count", filter=Q(kind=kinds.NOT_OPENED), default=0),
            asked_anyway=Sum("count", filter=Q(kind=kinds.ASKED_ANYWAY), default=0),
            total=Sum("count"),
        )
        .order_by("-total", "query", "tag")[:limit]
    )
    return [GapRow(r["query"], r["tag"], r["no_results"], r["not_opened"], r["asked_anyway"]) for r in rows]


@dataclass
class Reuse:
    count: int
    last: datetime | None


def reuse_stats(thread_ids: list[int]) -> dict[int, Reuse]:
    """How many problems each article solved and when it was last confirmed to work (one query)."""
    if not thread_ids:
        return {}
    rows = (
        ArticleReuse.objects.filter(article_id__in=thread_ids)
        .values("article_id")
        .annotate(n=Count("pk"), last=Max("created_at"))
    )
    return {r["article_id"]: Reuse(r["n"], r["last"]) for r in rows}


def most_reused(*, vendor: Vendor, limit: int = 5) -> list[tuple[Thread, Reuse]]:
    """The vendor's most reused public articles (threads linked to it), most reused first (one query)."""
    threads = (
        presenter.public_threads(Thread.objects.filter(vendor_links__vendor=vendor))
        .annotate(n=Count("reuses", distinct=True), last=Max("reuses__created_at"))
        .filter(n__gt=0)
        .only("pk", "title", "slug")
        .order_by("-n", "-last", "-pk")[:limit]
    )
    return [(t, Reuse(t.n, t.last)) for t in threads]
