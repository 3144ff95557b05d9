"""Read side of the swarm: the thread panel, the vendor inbox and radar, and vendor metrics.

Each function runs a fixed number of queries, whatever the data.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from forum.access import AnyUser
from forum.models import Membership, Post, Thread, User, Vendor
from swarm.actions.claims import awaiting_confirmation
from swarm.models import Escalation, MeToo, RadarHit, RadarKeyword, StaffNote

S = Escalation.State


@dataclass
class VendorDesk:
    """What one of the viewer's vendors can do on a thread."""

    vendor: Vendor
    escalation: Escalation | None
    notes: list[StaffNote]
    colleagues: list[User]


@dataclass
class ThreadSwarm:
    thread: Thread
    escalations: list[Escalation]
    metoo_count: int
    said_metoo: bool
    desks: list[VendorDesk]
    invites: list[RadarHit]
    to_confirm: list[Escalation] = field(default_factory=list)
    to_rate: list[Escalation] = field(default_factory=list)

    @property
    def escalated_handles(self) -> set[str]:
        return {e.vendor.handle for e in self.escalations}


def _verified_vendor_ids(user: AnyUser) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, status=Membership.Status.VERIFIED, user__is_active=True).values_list(
            "vendor_id", flat=True
        )
    )


def thread_swarm(*, thread: Thread, user: AnyUser) -> ThreadSwarm:
    """The escalation panel of a thread page, as this viewer may see it (staff see their own vendor's notes)."""
    escalations = list(
        Escalation.objects.filter(thread=thread)
        .select_related("vendor", "claimed_by", "resolved_by", "handed_from")
        .order_by("created_at", "pk")
    )
    metoo = MeToo.objects.filter(thread=thread).aggregate(
        n=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[]))
    )
    my_vendor_ids = _verified_vendor_ids(user)
    desks: list[VendorDesk] = []
    if my_vendor_ids:
        vendors = Vendor.objects.filter(pk__in=my_vendor_ids).order_by("name")
        notes = list(
            StaffNote.objects.filter(thread=thread, vendor_id__in=my_vendor_ids)
            .select_related("author")
            .order_by("created_at", "pk")
        )
        staff = list(
            Membership.objects.filter(
                vendor_id__in=my_vendor_ids, status=Membership.Status.VERIFIED, user__is_active=True
            )
            .exclude(user_id=user.pk)
            .select_related("user")
            .order_by("user__username")
        )
        by_vendor = {e.vendor_id: e for e in escalations}
        for vendor in vendors:
            desks.append(
                VendorDesk(
                    vendor=vendor,
                    escalation=by_vendor.get(vendor.pk),
                    notes=[n for n in notes if n.vendor_id == vendor.pk],
                    colleagues=[m.user for m in staff if m.vendor_id == vendor.pk],
                )
            )
    invites: list[RadarHit] = []
    is_author = user.is_authenticated and user.pk == thread.author_id
    if is_author:
        escalated = {e.vendor_id for e in escalations}
        invites = [
            hit
            for hit in RadarHit.objects.filter(thread=thread, state=RadarHit.State.INVITED).select_related("vendor")
            if hit.vendor_id not in escalated
        ]
    result = ThreadSwarm(
        thread=thread,
        escalations=escalations,
        metoo_count=metoo["n"],
        said_metoo=bool(metoo["mine"]),
        desks=desks,
        invites=invites,
    )
    if is_author:
        result.to_confirm = [e for e in escalations if awaiting_confirmation(e, thread)]
        result.to_rate = [e for e in escalations if e.state == S.CONFIRMED and e.rating is None]
    return result


INBOX_STATES = {
    "active": ("Needs work", Q(state__in=[S.OPEN, S.CLAIMED])),
    "open": ("Not yet claimed", Q(state=S.OPEN)),
    "claimed": ("Claimed", Q(state=S.CLAIMED)),
    "resolved": ("Waiting for the customer", Q(state=S.RESOLVED)),
    "confirmed": ("Confirmed solved", Q(state=S.CONFIRMED)),
    "all": ("All", Q()),
}
INBOX_SORTS = {
    "waiting": ("Longest waiting", ["customer_posted_at", "pk"]),
    "metoo": ("Most “me too”", ["-metoo_count", "customer_posted_at", "pk"]),
    "age": ("Oldest", ["created_at", "pk"]),
    "newest": ("Newest", ["-created_at", "-pk"]),
}
INBOX_LIMIT = 100


@dataclass
class Inbox:
    vendor: Vendor
    rows: list[Escalation]
    state: str
    sort: str
    tag: str
    counts: dict[str, int]
    radar: list[RadarHit]
    radar_count: int
    keywords: list[RadarKeyword]
    truncated: bool


def _metoo_count() -> Coalesce:
    counts = MeToo.objects.filter(thread=OuterRef("thread")).values("thread").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def inbox(
    *, vendor: Vendor, tab: str = "escalations", state: str = "active", sort: str = "waiting", tag: str = ""
) -> Inbox:
    """One tab of the vendor's inbox: escalations (filtered, sorted) or radar hits with the keywords.

    Only the shown tab's rows are read; the other tab gets its count. Unknown filters fall back to defaults.
    """
    state = state if state in INBOX_STATES else "active"
    sort = sort if sort in INBOX_SORTS else "waiting"
    tag = (tag or "").strip()[:100]
    counts = dict(
        Escalation.objects.filter(vendor=vendor).values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    new_hits = RadarHit.objects.filter(vendor=vendor, state=RadarHit.State.NEW)
    rows: list[Escalation] = []
    radar: list[RadarHit] = []
    keywords: list[RadarKeyword] = []
    if tab == "radar":
        radar = list(new_hits.select_related("thread", "thread__author").order_by("-created_at", "-pk")[:INBOX_LIMIT])
        radar_count = len(radar)
        keywords = list(RadarKeyword.objects.filter(vendor=vendor))
    else:
        query = Escalation.objects.filter(vendor=vendor).filter(INBOX_STATES[state][1])
        if tag:
            query = query.filter(thread__tags__name__iexact=tag)
        questions = Prefetch("thread__posts", queryset=Post.objects.filter(is_question=True), to_attr="questions")
        rows = list(
            query.annotate(metoo_count=_metoo_count())
            .select_related("thread", "thread__author", "claimed_by", "handed_from")
            .prefetch_related("thread__tags", questions)
            .order_by(*INBOX_SORTS[sort][1])[: INBOX_LIMIT + 1]
        )
        radar_count = new_hits[:INBOX_LIMIT].count()
    return Inbox(
        vendor=vendor,
        rows=rows[:INBOX_LIMIT],
        state=state,
        sort=sort,
        tag=tag,
        counts={s: counts.get(s, 0) for s in S.values} | {"active": counts.get(S.OPEN, 0) + counts.get(S.CLAIMED, 0)},
        radar=radar,
        radar_count=radar_count,
        keywords=keywords,
        truncated=len(rows) > INBOX_LIMIT,
    )


def open_escalation_counts(user: AnyUser) -> list[tuple[Vendor, int]]:
    """For the top bar: each vendor the user is staff of, with its unclaimed escalations. One query."""
    if not user.is_authenticated:
        return []
    vendors = Vendor.objects.filter(memberships__user=user, memberships__status=Membership.Status.VERIFIED).annotate(
        waiting=Count("escalations", filter=Q(escalations__state=S.OPEN))
    )
    return [(v, v.waiting) for v in vendors.order_by("name")]


# ---- Vendor metrics -------------------------------------------------------------------------------


@dataclass
class Metrics:
    days: int
    escalations: int
    open: int
    resolved: int
    median_first_reply: timedelta | None
    median_claim: timedelta | None
    median_resolution: timedelta | None
    average_rating: float | None
    ratings: int
    solved_by_staff: int
    solved_by_community: int
    weekly: list[tuple[datetime, int, int]]  # week start, escalations, confirmed
    # Self-service: suggestions opened on /ask/ that stopped a new thread (set by the page).
    deflection: dict | None = None

    @property
    def staff_share(self) -> int | None:
        total = self.solved_by_staff + self.solved_by_community
        return round(100 * self.solved_by_staff / total) if total else None

    @property
    def community_share(self) -> int | None:
        share = self.staff_share
        return None if share is None else 100 - share


def _median(values: list[timedelta]) -> timedelta | None:
    return statistics.median(values) if values else None


def vendor_metrics(*, vendor: Vendor, days: int, now: datetime | None = None) -> Metrics:
    """Service figures over the last ``days`` days, from escalations opened in that window. One query."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    # Figures count only from the day the vendor joined (none while unclaimed): docs/vendors.md.
    since = max(since, vendor.joined_at or now)
    rows = list(
        Escalation.objects.filter(vendor=vendor, created_at__gte=since).values_list(
            "created_at",
            "state",
            "first_claimed_at",
            "first_staff_reply_at",
            "confirmed_at",
            "rating",
            "solved_by_staff",
        )
    )
    first_reply = [r[3] - r[0] for r in rows if r[3]]
    claim = [r[2] - r[0] for r in rows if r[2]]
    resolution = [r[4] - r[0] for r in rows if r[4]]
    ratings = [r[5] for r in rows if r[5]]
    week0 = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = max(1, -(-days // 7))
    starts = [week0 - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    weekly = []
    for start in starts:
        end = start + timedelta(weeks=1)
        weekly.append(
            (
                start,
                sum(1 for r in rows if start <= r[0] < end),
                sum(1 for r in rows if r[4] and start <= r[4] < end),
            )
        )
    return Metrics(
        days=days,
        escalations=len(rows),
        open=sum(1 for r in rows if r[1] in (S.OPEN, S.CLAIMED)),
        resolved=sum(1 for r in rows if r[1] in (S.RESOLVED, S.CONFIRMED)),
        median_first_reply=_median(first_reply),
        median_claim=_median(claim),
        median_resolution=_median(resolution),
        average_rating=round(sum(ratings) / len(ratings), 1) if ratings else None,
        ratings=len(ratings),
        solved_by_staff=sum(1 for r in rows if r[1] == S.CONFIRMED and r[6] is True),
        solved_by_community=sum(1 for r in rows if r[1] == S.CONFIRMED and r[6] is False),
        weekly=weekly,
    )


def vendor_escalations(*, vendor: Vendor, limit: int = 10) -> tuple[list[Escalation], list[Escalation]]:
    """The public page's lists: open escalations and recently resolved ones."""
    base = Escalation.objects.filter(vendor=vendor).select_related("thread", "claimed_by")
    open_rows = list(base.filter(state__in=[S.OPEN, S.CLAIMED]).order_by("-created_at", "-pk")[:limit])
    done = list(base.filter(state__in=[S.RESOLVED, S.CONFIRMED]).order_by("-resolved_at", "-pk")[:limit])
    return open_rows, done
