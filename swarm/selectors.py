"""Read side of the swarm: the thread panel, the vendor inbox and radar, and vendor metrics.

Each function runs a fixed number of queries, whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Field,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from forum import access as forum_access
from forum import selectors as forum_selectors
from forum.access import AnyUser
from forum.models import Membership, Post, Thread, User, Vendor
from forum.timeline import presenter
from swarm import access, business_hours
from swarm.actions.claims import awaiting_confirmation
from swarm.actions.escalations import metoo_refusal
from swarm.actions.targets import DAY_LABELS, FIRST_REPLY, RESOLUTION, clock_for
from swarm.business_hours import Week
from swarm.live import figures_key
from swarm.models import (
    Escalation,
    MeToo,
    Product,
    RadarHit,
    RadarKeyword,
    ResponseTarget,
    RoutingRule,
    StaffNote,
    Team,
    TeamMember,
    TicketLink,
)

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
    metoo_refusal: str = ""  # why the viewer can't say "me too" yet (suspended, brand-new)

    @property
    def is_being_worked(self) -> bool:
        """An escalation still with a vendor: the escalate control gives way to its status."""
        return any(e.is_active for e in self.escalations)

    @property
    def escalated_handles(self) -> set[str]:
        return {e.vendor.handle for e in self.escalations}


def _verified_vendor_ids(user: AnyUser) -> list[int]:
    return [v.pk for v in forum_access.verified_vendors(user)]  # remembered per request user


def note_vendors(user: AnyUser) -> list[Vendor]:
    """Vendors the user may write staff notes for (the composer's switch): ``access.can_write_note`` for
    each of their verified vendors, from the request's remembered list (no query of its own)."""
    if not access.can_act_for_vendors(user):
        return []
    return forum_access.verified_vendors(user)


def shown_rating_comment(escalation: Escalation, staff_vendor_ids: list[int] | set[int]) -> str:
    """The customer's comment with a rating is for the rated vendor's staff, where they review
    ratings (the thread's panel and their vendor page); everyone else sees only the stars."""
    return escalation.rating_comment if escalation.vendor_id in staff_vendor_ids else ""


def visible_ticket(
    user: AnyUser, escalation: Escalation, staff_vendor_ids: list[int] | None = None
) -> TicketLink | None:
    """The escalation's ticket link if this viewer may see it. A staff-only link lives on the vendor's
    private stream, so the presenter's stream rule decides (pages and the API alike)."""
    try:
        link = escalation.ticket
    except TicketLink.DoesNotExist:
        return None
    stream_vendor = None if link.is_public else escalation.vendor_id
    if presenter.stream(user, stream_vendor, staff_vendor_ids) is presenter.Seen.NOT_FOUND:
        return None
    return link


def _current_by_vendor(escalations: list[Escalation]) -> dict[int, Escalation]:
    """Each vendor's current case on the thread: the ongoing one, else the latest (rows in creation order)."""
    current: dict[int, Escalation] = {}
    for e in escalations:
        if e.is_ongoing or not current.get(e.vendor_id, e).is_ongoing:
            current[e.vendor_id] = e
    return current


def thread_swarm(*, thread: Thread, user: AnyUser) -> ThreadSwarm:
    """The escalation panel of a thread page, as this viewer may see it (staff see their own vendor's notes)."""
    escalations = list(
        Escalation.objects.filter(thread=thread)
        .select_related("vendor", "claimed_by", "resolved_by", "handed_from", "handed_to", "ticket")
        .order_by("created_at", "pk")
    )
    metoo = MeToo.objects.filter(thread=thread).aggregate(
        n=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[]))
    )
    my_vendor_ids = _verified_vendor_ids(user)
    for e in escalations:
        e.shown_ticket = visible_ticket(user, e, my_vendor_ids)
        e.staff_comment = shown_rating_comment(e, my_vendor_ids)
    desks: list[VendorDesk] = []
    if my_vendor_ids:
        vendors = forum_access.verified_vendors(user)
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
        by_vendor = _current_by_vendor(escalations)
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
    if user.is_authenticated and not is_author:
        result.metoo_refusal = metoo_refusal(user)
    if is_author:
        result.to_confirm = [e for e in escalations if awaiting_confirmation(e, thread)]
        # Staff who asked their own vendor don't rate it (swarm.access.can_rate); no extra query.
        result.to_rate = [
            e for e in escalations if e.state == S.CONFIRMED and e.rating is None and e.vendor_id not in my_vendor_ids
        ]
    return result


INBOX_STATES = {
    "active": (gettext_lazy("Needs work"), Q(state__in=[S.OPEN, S.CLAIMED])),
    "open": (gettext_lazy("Not yet claimed"), Q(state=S.OPEN)),
    "claimed": (gettext_lazy("Claimed"), Q(state=S.CLAIMED)),
    "resolved": (gettext_lazy("Waiting for the customer"), Q(state=S.RESOLVED)),
    "confirmed": (gettext_lazy("Confirmed solved"), Q(state=S.CONFIRMED)),
    "handed_off": (gettext_lazy("Handed off"), Q(state=S.HANDED_OFF)),
    "all": (gettext_lazy("All"), Q()),
}
INBOX_SORTS = {
    "waiting": (gettext_lazy("Longest waiting"), ["customer_posted_at", "pk"]),
    "metoo": (gettext_lazy("Most “me too”"), ["-metoo_count", "customer_posted_at", "pk"]),
    "age": (gettext_lazy("Oldest"), ["created_at", "pk"]),
    "newest": (gettext_lazy("Newest"), ["-created_at", "-pk"]),
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
    teams: list[Team] = field(default_factory=list)
    team: str = ""  # "", "none" or a team's id, as given
    who: str = ""  # "", "mine" or "unclaimed"
    # Claims with no staff activity since this moment are shown as idle (released by the background job).
    idle_before: datetime | None = None
    idle_hours: float = 0


def _in_force(history: list[ResponseTarget], opened: datetime) -> ResponseTarget | None:
    """The target record in force when an escalation opened: the newest not after it (``history`` newest
    first, as ``swarm.actions.targets.target_in_force`` picks it in SQL), without a subquery per row."""
    return next((t for t in history if t.created_at <= opened), None)


INBOX_WHO = {"": gettext_lazy("Everyone's"), "mine": gettext_lazy("Mine"), "unclaimed": gettext_lazy("Unclaimed")}


def inbox(
    *,
    vendor: Vendor,
    tab: str = "escalations",
    state: str = "active",
    sort: str = "waiting",
    tag: str = "",
    team: str = "",
    who: str = "",
    user: AnyUser | None = None,
) -> Inbox:
    """One tab of the vendor's inbox: escalations (filtered, sorted) or radar hits with the keywords.

    Only the shown tab's rows are read; the other tab gets its count. Unknown filters fall back to defaults.
    Every sort is by stored columns (the me-too count is kept on the escalation), so the database
    reads the first rows from an index or sorts plain columns; nothing is counted per row.
    """
    state = state if state in INBOX_STATES else "active"
    sort = sort if sort in INBOX_SORTS else "waiting"
    idle_hours = settings.BARNRAISE["CLAIM_IDLE_HOURS"]
    tag = (tag or "").strip()[:100]
    teams = list(Team.objects.filter(vendor=vendor))
    team = team if team == "none" or team in {str(t.pk) for t in teams} else ""
    who = who if who in INBOX_WHO else ""
    counts = dict(
        Escalation.objects.filter(vendor=vendor).values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    new_hits = RadarHit.objects.filter(vendor=vendor, state=RadarHit.State.NEW)
    rows: list[Escalation] = []
    history: list[ResponseTarget] = []
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
        if team:
            query = query.filter(team__isnull=True) if team == "none" else query.filter(team_id=int(team))
        if who == "mine":
            query = query.filter(claimed_by_id=user.pk if user is not None and user.is_authenticated else -1)
        elif who == "unclaimed":
            query = query.filter(state=S.OPEN)
        # The question's text for the summary line; its HTML stays in the database.
        questions = Prefetch(
            "thread__posts",
            queryset=Post.objects.filter(is_question=True).only("thread", "body"),
            to_attr="questions",
        )
        order = INBOX_SORTS[sort][1]
        # The first rows are chosen from the escalations alone (an index, or a sort of plain columns), and
        # only those are joined: sorting the joined rows made PostgreSQL join every escalation of the tab.
        first = query.order_by(*order).values("pk")[: INBOX_LIMIT + 1]
        rows = list(
            Escalation.objects.filter(pk__in=Subquery(first))
            .select_related("thread", "thread__author", "claimed_by", "handed_from", "handed_to", "team")
            .defer("thread__search_vector")
            .prefetch_related("thread__tags", questions)
            .order_by(*order)
        )
        radar_count = new_hits[:INBOX_LIMIT].count()
        # Each row's targets in force, from the vendor's few target records (one query for all rows).
        history = target_history(vendor)
    now = timezone.now()
    weeks = {t.pk: t.counted_in for t in history if t.business_hours}
    for row in rows:
        target = _in_force(history, row.created_at)
        row.first_reply_allowed = target.first_reply if target else None
        row.resolution_allowed = target.resolution if target else None
        row.target_pk = target.pk if target else None
        row.clocks = target_clocks(row, now, weeks)
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
        idle_before=timezone.now() - timedelta(hours=idle_hours),
        idle_hours=idle_hours,
        teams=teams,
        team=team,
        who=who,
    )


def open_escalation_counts(user: AnyUser) -> list[tuple[Vendor, int]]:
    """For the top bar: each vendor the user is staff of, with its unclaimed escalations. One query."""
    if not forum_access.verified_vendors(user):  # most people staff no vendor: no query for them
        return []
    vendors = Vendor.objects.filter(memberships__user=user, memberships__status=Membership.Status.VERIFIED).annotate(
        waiting=Count("escalations", filter=Q(escalations__state=S.OPEN))
    )
    return [(v, v.waiting) for v in vendors.order_by("name")]


# ---- Vendor metrics -------------------------------------------------------------------------------

# Below this many cases a median or an average says more about luck (or a few planted cases) than about
# the vendor: the page shows the sample size and "not enough data yet" instead.
MIN_SAMPLE = 5


@dataclass
class Metrics:
    days: int
    escalations: int
    open: int
    resolved: int  # confirmed by the customer; staff marking it resolved is not enough
    # Each median and the average come with their sample size; None below MIN_SAMPLE cases.
    median_first_reply: timedelta | None
    first_reply_cases: int
    median_claim: timedelta | None
    claim_cases: int
    median_resolution: timedelta | None  # confirmed and solved by this vendor's staff
    resolution_cases: int
    average_rating: float | None
    ratings: int
    solved_by_staff: int
    solved_by_community: int
    weekly: list[tuple[datetime, int, int]]  # week start, escalations, confirmed
    # Self-service: suggestions opened on /ask/ that stopped a new thread (set by the page).
    deflection: dict | None = None
    min_sample: int = MIN_SAMPLE

    @property
    def solved_cases(self) -> int:
        return self.solved_by_staff + self.solved_by_community

    @property
    def staff_share(self) -> int | None:
        total = self.solved_cases
        return round(100 * self.solved_by_staff / total) if total >= self.min_sample else None

    @property
    def community_share(self) -> int | None:
        share = self.staff_share
        return None if share is None else 100 - share


def _median(escalations: QuerySet[Escalation], start: str, end: str) -> tuple[timedelta | None, int]:
    """The median of ``end - start`` over rows where ``end`` is set, and how many rows. One query.

    The database numbers the durations in order and keeps the middle one or two, so only those rows
    come back, whatever the window holds.
    """
    duration = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    middle = (
        escalations.filter(**{f"{end}__isnull": False})
        .annotate(duration=duration)
        .annotate(rank=Window(RowNumber(), order_by=[F("duration").asc(), F("pk").asc()]), cases=Window(Count("pk")))
        .filter(rank__gte=(F("cases") + 1) / 2, rank__lte=(F("cases") + 2) / 2)
        .values_list("duration", "cases")
    )
    rows = list(middle)
    if not rows:
        return None, 0
    cases = rows[0][1]
    if cases < MIN_SAMPLE:
        return None, cases
    return sum((r[0] for r in rows), timedelta()) / len(rows), cases


class _Median(Aggregate):
    """PostgreSQL's exact median of durations: the middle value, or the mean of the middle two (as ``_median``)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = DurationField()


# Each median: the moment that ends the duration (it starts when the escalation opened), and which cases count.
# Credit for a resolution goes only to the vendor whose staff solved it, once the customer confirmed.
MEDIANS = {
    "first_reply": ("first_staff_reply_at", Q()),
    "claim": ("first_claimed_at", Q()),
    "resolution": ("confirmed_at", Q(state=S.CONFIRMED, solved_by_staff=True)),
}


def vendor_figures(*, vendor: Vendor, days: tuple[int, ...], now: datetime | None = None) -> list[Metrics]:
    """Service figures over each of the last ``days`` windows, from escalations opened in it.

    Every window's counts, average rating and weekly chart come from one aggregate query over the widest
    window; on PostgreSQL its medians too (PERCENTILE_CONT). Other databases have no median aggregate: one
    window query per median and window (``_median``). Nothing is computed from rows in Python.
    """
    now = now or timezone.now()
    # Figures count only from the day the vendor joined (none while unclaimed): docs/vendors.md.
    joined = vendor.joined_at or now
    since = {d: max(now - timedelta(days=d), joined) for d in days}
    rows = Escalation.objects.filter(vendor=vendor, created_at__gte=min(since.values()))
    medians_in_sql = connection.vendor == "postgresql"
    confirmed = Q(state=S.CONFIRMED)
    week0 = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = {d: [week0 - timedelta(weeks=i) for i in range(max(1, -(-d // 7)) - 1, -1, -1)] for d in days}
    wanted = {}
    for d in days:
        within = Q(created_at__gte=since[d])
        wanted |= {
            f"{d}_escalations": Count("pk", filter=within),
            f"{d}_open": Count("pk", filter=within & Q(state__in=[S.OPEN, S.CLAIMED])),
            f"{d}_resolved": Count("pk", filter=within & confirmed),
            f"{d}_rated": Count("rating", filter=within),
            f"{d}_rating_average": Avg("rating", filter=within),
            f"{d}_staff_solved": Count("pk", filter=within & confirmed & Q(solved_by_staff=True)),
            f"{d}_community_solved": Count("pk", filter=within & confirmed & Q(solved_by_staff=False)),
        }
        for i, start in enumerate(starts[d]):
            stop = start + timedelta(weeks=1)
            wanted[f"{d}_w{i}_escalated"] = Count("pk", filter=within & Q(created_at__gte=start, created_at__lt=stop))
            wanted[f"{d}_w{i}_confirmed"] = Count(
                "pk", filter=within & confirmed & Q(confirmed_at__gte=start, confirmed_at__lt=stop)
            )
        if medians_in_sql:
            for name, (end, cases) in MEDIANS.items():
                counted = within & cases & Q(**{f"{end}__isnull": False})
                duration = ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())
                wanted[f"{d}_{name}_median"] = _Median(duration, filter=counted)
                wanted[f"{d}_{name}_cases"] = Count("pk", filter=counted)
    totals = rows.aggregate(**wanted)
    figures = []
    for d in days:
        medians: dict[str, tuple[timedelta | None, int]] = {}
        for name, (end, cases) in MEDIANS.items():
            if medians_in_sql:
                count = totals[f"{d}_{name}_cases"]
                medians[name] = (totals[f"{d}_{name}_median"] if count >= MIN_SAMPLE else None, count)
            else:
                medians[name] = _median(rows.filter(cases, created_at__gte=since[d]), "created_at", end)
        ratings = totals[f"{d}_rated"]
        average = totals[f"{d}_rating_average"]
        figures.append(
            Metrics(
                days=d,
                escalations=totals[f"{d}_escalations"],
                open=totals[f"{d}_open"],
                resolved=totals[f"{d}_resolved"],
                median_first_reply=medians["first_reply"][0],
                first_reply_cases=medians["first_reply"][1],
                median_claim=medians["claim"][0],
                claim_cases=medians["claim"][1],
                median_resolution=medians["resolution"][0],
                resolution_cases=medians["resolution"][1],
                average_rating=round(average, 1) if average is not None and ratings >= MIN_SAMPLE else None,
                ratings=ratings,
                solved_by_staff=totals[f"{d}_staff_solved"],
                solved_by_community=totals[f"{d}_community_solved"],
                weekly=[
                    (start, totals[f"{d}_w{i}_escalated"], totals[f"{d}_w{i}_confirmed"])
                    for i, start in enumerate(starts[d])
                ],
            )
        )
    return figures


def vendor_metrics(*, vendor: Vendor, days: int, now: datetime | None = None) -> Metrics:
    """Service figures over the last ``days`` days (``vendor_figures`` for one window)."""
    return vendor_figures(vendor=vendor, days=(days,), now=now)[0]


@dataclass
class PublicFigures:
    """The vendor page's figures: each period's metrics (with self-service deflection) and target shares."""

    periods: list[Metrics]
    target_shares: list[TargetShare]


FIGURE_PERIODS = (30, 90)


def public_figures(*, vendor: Vendor, history: list[ResponseTarget], now: datetime | None = None) -> PublicFigures:
    """The vendor page's figures, computed over months of escalations, so kept in the cache for
    ``VENDOR_FIGURES_CACHE_SECONDS``. An action that changes one of the vendor's escalations drops
    them (``swarm.live.forget_figures``); joining or publishing targets changes the stamp they are
    kept with. So only the passing of time (a case leaving the window, a target's clock running
    out) shows up to that many seconds late.
    """
    key = figures_key(vendor.pk)
    stamp = (vendor.joined_at, history[0].pk if history else None)
    seconds = settings.BARNRAISE["VENDOR_FIGURES_CACHE_SECONDS"]
    kept = cache.get(key) if seconds > 0 else None
    if kept is not None and kept[0] == stamp:
        return kept[1]
    now = now or timezone.now()
    periods = vendor_figures(vendor=vendor, days=FIGURE_PERIODS, now=now)
    for metrics in periods:
        metrics.deflection = forum_selectors.deflection_stats(since=now - timedelta(days=metrics.days), vendor=vendor)
    shares = [target_share(vendor=vendor, days=m.days, now=now, history=history) for m in periods] if history else []
    figures = PublicFigures(periods=periods, target_shares=shares)
    if seconds > 0:
        cache.set(key, (stamp, figures), seconds)
    return figures


def vendor_escalations(*, vendor: Vendor, limit: int = 10) -> tuple[list[Escalation], list[Escalation]]:
    """The public page's lists: escalations still waiting (for staff or for the customer's "yes"), and solved ones.

    Only the customer's confirmation makes an escalation solved; one the staff marked resolved stays in the
    first list until then. A public page: threads everyone may see (forum.timeline.presenter), whoever is looking.
    """
    base = (
        Escalation.objects.filter(presenter.public_q("thread__"), vendor=vendor)
        .select_related("thread", "claimed_by")
        .defer("thread__search_vector")
    )
    open_rows = list(base.filter(state__in=[S.OPEN, S.CLAIMED, S.RESOLVED]).order_by("-created_at", "-pk")[:limit])
    done = list(base.filter(state=S.CONFIRMED).order_by("-confirmed_at", "-pk")[:limit])
    return open_rows, done


# ---- The escalation picker ------------------------------------------------------------------------

PICKER_DAYS = 90
PICKER_LIMIT = 8
PICKER_TAGS = 4


@dataclass
class VendorChoice:
    """One vendor in the escalate picker: who it is, what it covers, and how fast it usually answers."""

    vendor: Vendor
    tags: list[str]
    median_first_reply: timedelta | None  # None below MIN_SAMPLE cases
    first_reply_cases: int
    min_sample: int = MIN_SAMPLE


def escalation_choices(*, typed: str) -> list[VendorChoice]:
    """Up to PICKER_LIMIT vendors whose handle or name starts with ``typed`` (all, by name, when empty).

    Two queries for the vendors and their tags, plus the public median (vendor_metrics' own queries)
    for each of at most PICKER_LIMIT vendors: bounded, whatever the data.
    """
    from forum.models import TaggedThread

    typed = typed.strip().lstrip("@")[:40]
    vendors = Vendor.objects.order_by("name")
    if typed:
        vendors = vendors.filter(Q(handle__istartswith=typed) | Q(name__istartswith=typed))
    vendors = list(vendors[:PICKER_LIMIT])
    # Tags it covers: the commonest tags of public threads escalated to it.
    rows = (
        TaggedThread.objects.filter(
            presenter.public_q("content_object__"), content_object__escalations__vendor__in=vendors
        )
        .values_list("content_object__escalations__vendor_id", "tag__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "tag__name")
    )
    tags: dict[int, list[str]] = {}
    for vendor_id, name, _ in rows:
        if len(tags.setdefault(vendor_id, [])) < PICKER_TAGS:
            tags[vendor_id].append(name)
    choices = []
    for vendor in vendors:
        median, cases = (None, 0)
        if vendor.is_claimed:
            metrics = vendor_metrics(vendor=vendor, days=PICKER_DAYS)
            median, cases = metrics.median_first_reply, metrics.first_reply_cases
        choices.append(VendorChoice(vendor, tags.get(vendor.pk, []), median, cases))
    return choices


def team_settings(*, vendor: Vendor) -> dict[str, object]:
    """The vendor's teams with their members and rules, its products, its staff to choose from, its targets
    and business hours. Seven queries."""
    members = Prefetch("members", queryset=TeamMember.objects.select_related("user").order_by("user__username"))
    teams = list(Team.objects.filter(vendor=vendor).prefetch_related(members))
    rules = list(RoutingRule.objects.filter(vendor=vendor).select_related("team"))
    staff = list(
        User.objects.filter(
            memberships__vendor=vendor, memberships__status=Membership.Status.VERIFIED, is_active=True
        ).order_by("username")
    )
    target = ResponseTarget.objects.filter(vendor=vendor).order_by("-created_at", "-pk").first()
    products = list(Product.objects.filter(vendor=vendor).prefetch_related("terms"))
    hours = target.hours if target else None
    week = [
        (index, name, _hhmm(day[0]) if day else "", _hhmm(day[1]) if day else "")
        for index, (name, day) in enumerate(zip(DAY_LABELS, hours.days if hours else [None] * 7, strict=True))
    ]
    if hours is None:  # a starting point for the form, not saved until the admin says so
        week = [(i, name, "09:00", "17:00") if i < 5 else (i, name, "", "") for i, name, _o, _c in week]
    return {
        "teams": teams,
        "rules": rules,
        "staff": staff,
        "matches": RoutingRule.Match.choices,
        "target": target,
        "products": products,
        "hours": hours,
        "week": week,
        "time_zone": hours.zone_name if hours else settings.TIME_ZONE,
        "time_zones": sorted(business_hours.time_zones()),
    }


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60  # midnight at the end of a day shows as 00:00, which the form reads back as 24:00
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ---- Public response targets ----------------------------------------------------------------------


@dataclass
class Clock:
    """One escalation's time against one target, for the inbox."""

    label: str
    due: datetime
    state: str  # "ok", "warn" (within the warning window) or "breach" (missed)
    business_hours: bool = False  # counts only the vendor's open hours


def target_clocks(escalation: Escalation, now: datetime, weeks: dict[int, Week] | None = None) -> list[Clock]:
    """Clocks of an inbox row annotated with the targets in force when it opened (no query).

    ``weeks``: business hours by target record (``counted_weeks``); a target not in it counts calendar time.
    """
    week = (weeks or {}).get(getattr(escalation, "target_pk", None))
    clocks = []
    pending = [
        (
            FIRST_REPLY,
            gettext("First reply"),
            getattr(escalation, "first_reply_allowed", None),
            escalation.first_staff_reply_at is None,
        ),
        (RESOLUTION, gettext("Resolution"), getattr(escalation, "resolution_allowed", None), escalation.is_active),
    ]
    for target, label, allowed, running in pending:
        if allowed is None or not running:
            continue
        timing = clock_for(target, opened=escalation.created_at, allowed=allowed, week=week)
        state = "breach" if now >= timing.due else "warn" if now >= timing.warn_from else "ok"
        clocks.append(Clock(label=label, due=timing.due, state=state, business_hours=week is not None))
    return clocks


@dataclass
class TargetShare:
    days: int
    first_reply_met: int
    first_reply_cases: int
    resolution_met: int
    resolution_cases: int

    @property
    def first_reply_share(self) -> int | None:
        return round(100 * self.first_reply_met / self.first_reply_cases) if self.first_reply_cases else None

    @property
    def resolution_share(self) -> int | None:
        return round(100 * self.resolution_met / self.resolution_cases) if self.resolution_cases else None


def target_share(
    *, vendor: Vendor, days: int, now: datetime | None = None, history: list[ResponseTarget] | None = None
) -> TargetShare:
    """How many escalations opened in the last ``days`` met the target in force when each opened.

    A case counts once its outcome is known: met, or its time ran out. Handed-off escalations count for
    the first reply only (the resolution was the next vendor's). Figures start when the vendor joined.
    Calendar-time targets are counted by the database in one query; cases under a business-hours
    target need the vendor's calendar (swarm.business_hours.clock), so one more query reads just their
    dates. ``history`` (target_history's list) spares the query for the vendor's target records.
    """
    now = now or timezone.now()
    since = max(now - timedelta(days=days), vendor.joined_at or now)
    if history is None:
        history = target_history(vendor)
    weeks = {t.pk: t.counted_in for t in history if t.business_hours}
    duration = DurationField()
    rows = Escalation.objects.filter(vendor=vendor, created_at__gte=since).annotate(
        fr=_in_force_sql(history, "first_reply", duration),
        res=_in_force_sql(history, "resolution", duration),
        target_pk=_in_force_sql(history, "pk", IntegerField()),
    )
    calendar = rows.exclude(target_pk__in=list(weeks)) if weeks else rows
    calendar = calendar.annotate(
        age=ExpressionWrapper(Value(now, output_field=DateTimeField()) - F("created_at"), output_field=duration),
        reply_took=ExpressionWrapper(F("first_staff_reply_at") - F("created_at"), output_field=duration),
        resolve_took=ExpressionWrapper(F("confirmed_at") - F("created_at"), output_field=duration),
    )
    replied_in_time = Q(first_staff_reply_at__isnull=False, reply_took__lte=F("fr"))
    resolved_in_time = Q(state=S.CONFIRMED, resolve_took__lte=F("res"))
    has_fr = Q(fr__isnull=False)
    has_res = Q(res__isnull=False) & ~Q(state=S.HANDED_OFF)
    totals = calendar.aggregate(
        fr_met=Count("pk", filter=has_fr & replied_in_time),
        fr_cases=Count("pk", filter=has_fr & (Q(first_staff_reply_at__isnull=False) | Q(age__gte=F("fr")))),
        res_met=Count("pk", filter=has_res & resolved_in_time),
        res_cases=Count("pk", filter=has_res & (Q(state=S.CONFIRMED) | Q(age__gte=F("res")))),
    )
    share = TargetShare(
        days=days,
        first_reply_met=totals["fr_met"],
        first_reply_cases=totals["fr_cases"],
        resolution_met=totals["res_met"],
        resolution_cases=totals["res_cases"],
    )
    if weeks:
        business = rows.filter(target_pk__in=list(weeks)).values_list(
            "created_at", "first_staff_reply_at", "confirmed_at", "state", "fr", "res", "target_pk"
        )
        for opened, replied, confirmed, state, fr, res, target_pk in business:
            week = weeks[target_pk]
            if fr is not None:
                due = clock_for(FIRST_REPLY, opened=opened, allowed=fr, week=week).due
                share.first_reply_cases += replied is not None or now >= due
                share.first_reply_met += replied is not None and replied <= due
            if res is not None and state != S.HANDED_OFF:
                due = clock_for(RESOLUTION, opened=opened, allowed=res, week=week).due
                solved = state == S.CONFIRMED
                share.resolution_cases += solved or now >= due
                share.resolution_met += solved and confirmed <= due
    return share


def _in_force_sql(history: list[ResponseTarget], field: str, output: Field) -> Cast:
    """``swarm.actions.targets.target_in_force`` for one vendor's rows, as a CASE over its target records
    (newest first: the first one not after the escalation opened wins) instead of a subquery per row.
    Cast, so PostgreSQL knows the type when every record leaves that target empty (all NULL)."""
    whens = [When(created_at__gte=t.created_at, then=Value(getattr(t, field), output_field=output)) for t in history]
    return Cast(Case(*whens, default=Value(None, output_field=output), output_field=output), output_field=output)


def target_history(vendor: Vendor) -> list[ResponseTarget]:
    """Every published change, newest first: the public record. One query."""
    return list(ResponseTarget.objects.filter(vendor=vendor).order_by("-created_at", "-pk"))
