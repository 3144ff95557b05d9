"""Read side of the swarm: the thread panel, the vendor inbox and radar, and vendor metrics.

Each function runs a fixed number of queries, whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from forum import access as forum_access
from forum.access import AnyUser
from forum.models import Membership, Post, Thread, User, Vendor
from forum.timeline import presenter
from swarm import access, business_hours
from swarm.actions.claims import awaiting_confirmation
from swarm.actions.escalations import metoo_refusal
from swarm.actions.targets import DAY_LABELS, FIRST_REPLY, RESOLUTION, clock_for, counted_weeks, target_in_force
from swarm.business_hours import Week
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


def _metoo_count() -> Coalesce:
    counts = MeToo.objects.filter(thread=OuterRef("thread")).values("thread").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


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
        questions = Prefetch("thread__posts", queryset=Post.objects.filter(is_question=True), to_attr="questions")
        rows = list(
            query.annotate(
                metoo_count=_metoo_count(),
                first_reply_allowed=target_in_force("first_reply"),
                resolution_allowed=target_in_force("resolution"),
                target_pk=target_in_force("pk"),
            )
            .select_related("thread", "thread__author", "claimed_by", "handed_from", "handed_to", "team")
            .prefetch_related("thread__tags", questions)
            .order_by(*INBOX_SORTS[sort][1])[: INBOX_LIMIT + 1]
        )
        radar_count = new_hits[:INBOX_LIMIT].count()
    now = timezone.now()
    weeks = counted_weeks(row.target_pk for row in rows)  # no query when no row has a target
    for row in rows:
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


def vendor_metrics(*, vendor: Vendor, days: int, now: datetime | None = None) -> Metrics:
    """Service figures over the last ``days`` days, from escalations opened in that window.

    Counts, the average rating and the weekly chart in one aggregate query, each median in one more
    (four queries). Nothing is computed from rows in Python.
    """
    now = now or timezone.now()
    since = now - timedelta(days=days)
    # Figures count only from the day the vendor joined (none while unclaimed): docs/vendors.md.
    since = max(since, vendor.joined_at or now)
    window = Escalation.objects.filter(vendor=vendor, created_at__gte=since)
    confirmed = Q(state=S.CONFIRMED)
    week0 = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = max(1, -(-days // 7))
    starts = [week0 - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    per_week = {}
    for i, start in enumerate(starts):
        end = start + timedelta(weeks=1)
        per_week[f"w{i}_escalated"] = Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
        per_week[f"w{i}_confirmed"] = Count("pk", filter=confirmed & Q(confirmed_at__gte=start, confirmed_at__lt=end))
    totals = window.aggregate(
        escalations=Count("pk"),
        open=Count("pk", filter=Q(state__in=[S.OPEN, S.CLAIMED])),
        resolved=Count("pk", filter=confirmed),
        rated=Count("rating"),
        rating_average=Avg("rating"),
        staff_solved=Count("pk", filter=confirmed & Q(solved_by_staff=True)),
        community_solved=Count("pk", filter=confirmed & Q(solved_by_staff=False)),
        **per_week,
    )
    first_reply, first_reply_cases = _median(window, "created_at", "first_staff_reply_at")
    claim, claim_cases = _median(window, "created_at", "first_claimed_at")
    # Credit for a resolution goes only to the vendor whose staff solved it, once the customer confirmed.
    resolution, resolution_cases = _median(window.filter(confirmed, solved_by_staff=True), "created_at", "confirmed_at")
    ratings = totals["rated"]
    average = totals["rating_average"]
    return Metrics(
        days=days,
        escalations=totals["escalations"],
        open=totals["open"],
        resolved=totals["resolved"],
        median_first_reply=first_reply,
        first_reply_cases=first_reply_cases,
        median_claim=claim,
        claim_cases=claim_cases,
        median_resolution=resolution,
        resolution_cases=resolution_cases,
        average_rating=round(average, 1) if average is not None and ratings >= MIN_SAMPLE else None,
        ratings=ratings,
        solved_by_staff=totals["staff_solved"],
        solved_by_community=totals["community_solved"],
        weekly=[(start, totals[f"w{i}_escalated"], totals[f"w{i}_confirmed"]) for i, start in enumerate(starts)],
    )


def vendor_escalations(*, vendor: Vendor, limit: int = 10) -> tuple[list[Escalation], list[Escalation]]:
    """The public page's lists: escalations still waiting (for staff or for the customer's "yes"), and solved ones.

    Only the customer's confirmation makes an escalation solved; one the staff marked resolved stays in the
    first list until then. A public page: threads everyone may see (forum.timeline.presenter), whoever is looking.
    """
    base = Escalation.objects.filter(presenter.public_q("thread__"), vendor=vendor).select_related(
        "thread", "claimed_by"
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
        fr=target_in_force("first_reply"),
        res=target_in_force("resolution"),
        target_pk=target_in_force("pk"),
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


def target_history(vendor: Vendor) -> list[ResponseTarget]:
    """Every published change, newest first: the public record. One query."""
    return list(ResponseTarget.objects.filter(vendor=vendor).order_by("-created_at", "-pk"))
