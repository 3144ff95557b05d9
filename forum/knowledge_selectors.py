"""Reads for the KCS loop: the content-gap report and how often articles were reused. Fixed query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from forum import access
from forum.access import AnyUser
from forum.models import (
    Article,
    ArticleFlag,
    ArticleReuse,
    ContentGap,
    Event,
    TaggedThread,
    Thread,
    ThreadVendor,
    Vendor,
)
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


def most_reused(*, vendor: Vendor | None, limit: int = 5, offset: int = 0) -> list[tuple[Thread, Reuse]]:
    """The most reused public articles (threads; the vendor's: linked to it), most reused first (one query).

    Each thread carries ``article_id``: its published knowledge article, if any (a reuse of the
    article is counted on its thread).
    """
    qs = Thread.objects.filter(vendor_links__vendor=vendor) if vendor is not None else Thread.objects.all()
    published = Article.objects.filter(thread_id=OuterRef("pk"), status=Article.Status.PUBLISHED).values("pk")[:1]
    threads = (
        presenter.public_threads(qs)
        .annotate(n=Count("reuses", distinct=True), last=Max("reuses__created_at"), article_id=Subquery(published))
        .filter(n__gt=0)
        .only("pk", "title", "slug")
        .order_by("-n", "-last", "-pk")[offset : offset + limit]
    )
    return [(t, Reuse(t.n, t.last)) for t in threads]


# ---- Knowledge articles (docs/knowledge.md, "Article life") ----

# Ranking of published articles, as for suggestions: a reused, vendor-verified, recently
# published or fixed article comes first, a flagged one goes down.
ARTICLE_REUSE_BOOST, ARTICLE_REUSE_CAP = 0.25, 4
ARTICLE_VERIFIED_BOOST, ARTICLE_FRESH_BOOST, ARTICLE_FLAGGED_PENALTY = 1.5, 1.2, 0.4
ARTICLE_FRESH_DAYS = 365
ARTICLE_CANDIDATES = 200
FLAG_ENVIRONMENTS = 5


def article_score(article: Article, *, now: datetime) -> float:
    """Higher first: reuse, verification and freshness lift an article, open flags lower it."""
    score = 1 + ARTICLE_REUSE_BOOST * min(article.reuse_count or 0, ARTICLE_REUSE_CAP)
    score *= ARTICLE_VERIFIED_BOOST if article.vendor_id else 1
    score *= ARTICLE_FRESH_BOOST if (now - article.updated_at).days < ARTICLE_FRESH_DAYS else 1
    score *= ARTICLE_FLAGGED_PENALTY if article.open_flags else 1
    return score


def _with_facts(qs: QuerySet[Article]) -> QuerySet[Article]:
    """Articles with ``open_flags`` (on the current revision), ``reuse_count`` and ``last_reuse`` (the
    latest time its solution was linked to help another thread): annotations, no extra query."""
    reuses = ArticleReuse.objects.filter(article_id=OuterRef("thread_id")).values("article_id")
    return qs.annotate(
        open_flags=Count("flags", filter=Q(flags__revision=F("revision")), distinct=True),
        reuse_count=Subquery(reuses.annotate(n=Count("pk")).values("n")[:1]),
        last_reuse=Subquery(reuses.annotate(last=Max("created_at")).values("last")[:1]),
    )


def published_articles(
    *,
    tag: str = "",
    vendor: Vendor | None = None,
    thread_ids: list[int] | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[Article]:
    """Published articles on public threads (of ``thread_ids``: a search page's), best first
    (``article_score``). One query, none for an empty ``thread_ids``.

    The newest ``ARTICLE_CANDIDATES`` are ranked; older ones are found through search.
    """
    if thread_ids is not None and not thread_ids:
        return []
    qs = Article.objects.filter(status=Article.Status.PUBLISHED).filter(presenter.public_q("thread__"))
    if thread_ids is not None:
        qs = qs.filter(thread_id__in=thread_ids)
    if tag:
        qs = qs.filter(thread__taggedthread__tag__name=tag)
    if vendor is not None:
        qs = qs.filter(Q(vendor=vendor) | Q(thread__vendor_links__vendor=vendor)).distinct()
    rows = list(
        _with_facts(qs.select_related("vendor", "thread").defer("thread__search_vector")).order_by(
            "-updated_at", "-pk"
        )[:ARTICLE_CANDIDATES]
    )
    now = timezone.now()
    rows.sort(key=lambda a: (-article_score(a, now=now), -a.updated_at.timestamp(), -a.pk))
    return rows[offset : offset + limit]


@dataclass
class ArticlePage:
    article: Article
    flags: list[ArticleFlag]  # the latest flags on the current revision, with the environments
    can_review: bool
    can_fix: bool
    can_flag: bool
    flagged_by_viewer: bool = False


def article_page(*, article_id: int, viewer: AnyUser) -> ArticlePage:
    """An article as the viewer may see it (404 otherwise), with its facts. Four queries at most
    (the article, its open flags, the viewer's vendors, the viewer's own flag)."""
    article = (
        _with_facts(Article.objects.select_related("vendor", "thread", "author", "reviewed_by"))
        .defer("thread__search_vector")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise Http404("No such article.")
    presenter.require_article(viewer, article)
    flags = list(
        ArticleFlag.objects.filter(article=article, revision=article.revision).order_by("-created_at")[
            :FLAG_ENVIRONMENTS
        ]
    )
    can_flag = access.can_flag_article(viewer) and article.status == Article.Status.PUBLISHED
    flagged = can_flag and ArticleFlag.objects.filter(article=article, user=viewer, revision=article.revision).exists()
    return ArticlePage(
        article=article,
        flags=flags,
        can_review=access.can_review_article(viewer, article),
        can_fix=access.can_fix_article(viewer, article),
        can_flag=can_flag and not flagged,
        flagged_by_viewer=flagged,
    )


def article_history(article: Article) -> list[Event]:
    """The article's own history: its steps, oldest first, from the source thread's timeline. One query."""
    events = Event.objects.filter(
        thread_id=article.thread_id, vendor__isnull=True, kind__in=presenter.ARTICLE_KINDS
    ).select_related("actor")
    return [e for e in events.order_by("seq") if e.data.get("article") == article.pk]


def review_queue(viewer: AnyUser) -> list[Article]:
    """Drafts the viewer may publish (their vendors' drafts; for moderators, the others), and the
    viewer's own drafts, oldest first. Two queries (the viewer's vendors, the drafts)."""
    if not viewer.is_authenticated:
        return []
    mine = Q(vendor__in=[v.pk for v in access.verified_vendors(viewer)]) | Q(author=viewer)
    if access.is_moderator(viewer):
        mine |= Q(vendor__isnull=True)
    drafts = Article.objects.filter(mine, status=Article.Status.DRAFT).filter(presenter.public_q("thread__"))
    return list(
        drafts.select_related("vendor", "thread", "author").defer("thread__search_vector").order_by("created_at")
    )


def article_prefill(thread: Thread) -> dict[str, str]:
    """A draft's fields taken from the thread: its title, its vendors and tags as the environment,
    the question as the cause to edit, and the accepted answer (or, for an escalation confirmed
    solved, the latest staff reply) as the resolution. Three queries."""
    from forum.models import Post

    vendors = [link.vendor.name for link in thread.vendor_links.select_related("vendor").order_by("vendor__name")]
    tags = sorted(t.name for t in thread.tags.all())
    posts = Post.objects.filter(thread=thread, review_state="visible")
    question = posts.filter(is_question=True).only("body").first()
    if thread.accepted_post_id:
        answer = posts.filter(pk=thread.accepted_post_id).only("body").first()
    else:
        answer = posts.filter(is_question=False, staff_vendor__isnull=False).only("body").order_by("-pk").first()
    environment = " · ".join(part for part in (", ".join(vendors), ", ".join(tags)) if part)
    return {
        "title": thread.title,
        "environment": environment[:300],
        "cause": question.body if question else "",
        "resolution": answer.body if answer else "",
    }
