"""Reads for reputation: leaderboards, badge counts, a member's standing. Fixed query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from forum import badges
from forum.access import has_privilege
from forum.models import ReputationChange, User, UserBadge
from forum.timeline import presenter

PERIODS = {"week": 7, "month": 30, "all": None}
LEADERS_LIMIT = 50
PRIVILEGE_LABELS = {
    "flag_to_hide": gettext_lazy("Flag posts so enough flags hide them"),
    "retag": gettext_lazy("Change the tags of anyone's thread"),
    "mark_duplicate": gettext_lazy("Mark threads as duplicates"),
    "draft_article": gettext_lazy("Draft knowledge articles from solved threads"),
}


class UnknownPeriodError(ValueError):
    pass


@dataclass
class Leader:
    rank: int
    user_id: int
    username: str
    name: str
    reputation: int
    points: int


def window_start(period: str, now: datetime | None = None) -> datetime | None:
    if period not in PERIODS:
        raise UnknownPeriodError("Unknown period: choose week, month or all.")
    days = PERIODS[period]
    return None if days is None else (now or timezone.now()) - timedelta(days=days)


def leaderboard(*, period: str = "week", tag: str | None = None, limit: int = LEADERS_LIMIT) -> list[Leader]:
    """Top users by points earned in the window, overall or on threads with ``tag``. One query.

    Points granted by the site are not earned and stay off the boards.
    """
    since = window_start(period)
    changes = ReputationChange.objects.exclude(reason=ReputationChange.Reason.GRANTED)
    if since is not None:
        changes = changes.filter(created_at__gte=since)
    if tag:
        changes = changes.filter(post__thread__tags__name=tag)
    rows = (
        changes.values("user_id", "user__username", "user__display_name", "user__reputation")
        .annotate(points=Sum("amount"))
        .filter(points__gt=0, user__is_active=True)
        .order_by("-points", "user__username")[:limit]
    )
    return [
        Leader(
            rank=n,
            user_id=r["user_id"],
            username=r["user__username"],
            name=r["user__display_name"] or r["user__username"],
            reputation=r["user__reputation"],
            points=r["points"],
        )
        for n, r in enumerate(rows, start=1)
    ]


@dataclass
class BadgeCount:
    badge: badges.Badge
    people: int


def badge_counts() -> list[BadgeCount]:
    """Every declared badge with how many people hold it (any tag counts once). One query."""
    counts = dict(
        UserBadge.objects.values("badge").annotate(people=Count("user", distinct=True)).values_list("badge", "people")
    )
    ordered = sorted(badges.BADGES.values(), key=lambda b: (badges.LEVELS.index(b.level), b.name))
    return [BadgeCount(badge=b, people=counts.get(b.slug, 0)) for b in ordered]


@dataclass
class EarnedBadge:
    badge: badges.Badge
    tag: str
    awarded_at: datetime

    @property
    def title(self) -> str:
        return self.badge.title(self.tag)


@dataclass
class Privilege:
    name: str
    label: str
    threshold: int
    has: bool


@dataclass
class Standing:
    reputation: int
    badges: list[EarnedBadge]
    privileges: list[Privilege]
    next_privilege: Privilege | None
    recent: list[ReputationChange]

    @property
    def points_to_next(self) -> int:
        return self.next_privilege.threshold - self.reputation if self.next_privilege else 0


def standing(member: User, *, recent: int = 10) -> Standing:
    """A member's badges, privileges and latest reputation changes, for the profile. Two queries."""
    earned = [
        EarnedBadge(badge=badges.BADGES[b.badge], tag=b.tag, awarded_at=b.awarded_at)
        for b in UserBadge.objects.filter(user=member).order_by("-awarded_at", "-id")
        if b.badge in badges.BADGES
    ]
    privileges = [
        Privilege(
            name=name,
            label=str(PRIVILEGE_LABELS.get(name, name.replace("_", " ").capitalize())),
            threshold=threshold,
            has=has_privilege(member, name),
        )
        for name, threshold in sorted(settings.BARNRAISE["PRIVILEGES"].items(), key=lambda item: item[1])
    ]
    next_privilege = next((p for p in privileges if not p.has), None)
    changes = list(
        ReputationChange.objects.filter(user=member)
        .exclude(amount=0)
        .select_related("post__thread")
        .order_by("-created_at", "-id")[:recent]
    )
    # A public page: thread titles as a visitor sees them (forum.timeline.presenter).
    presenter.mask_threads(presenter.PUBLIC, [c.post.thread for c in changes if c.post is not None])
    return Standing(
        reputation=member.reputation,
        badges=earned,
        privileges=privileges,
        next_privilege=next_privilege,
        recent=changes,
    )
