"""A vendor's teams and routing rules, routing new escalations, and moving one to another team.

Teams and rules are the vendor's own configuration (no thread event); an escalation
moved between teams records one event on the vendor's private stream.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from forum import timeline
from forum.models import EventKind, Membership, Post, Thread, User, Vendor
from forum.validation import normalise_text
from swarm import access, notify
from swarm.actions.common import set_claimant, vendor_data
from swarm.kinds import SwarmKind
from swarm.models import Escalation, ProductTerm, RoutingRule, Team, TeamMember

NAME_MAX = 40
VALUE_MAX = 60
MAX_TEAMS = 50
MAX_RULES = 200
MAX_MEMBERS = 200
ADMINS_ONLY = "Only {vendor}'s admins can change teams and routing."
STAFF_ONLY = "Only verified staff of {vendor} can move its escalations between teams."


def _require_admin(admin: User, vendor: Vendor) -> None:
    access.require(admin, access.can_manage_teams(admin, vendor), ADMINS_ONLY.format(vendor=vendor.name))


def _team_name(name: str) -> str:
    name = " ".join(normalise_text(str(name or "")).split())
    if not name:
        raise ValidationError(gettext("Give the team a name, like “Tablets”."), code="no_name")
    if len(name) > NAME_MAX:
        raise ValidationError(
            gettext("Keep team names under %(name_max)s characters.") % {"name_max": NAME_MAX}, code="too_long"
        )
    return name


def create_team(*, admin: User, vendor: Vendor, name: str, round_robin: bool = False) -> Team:
    _require_admin(admin, vendor)
    name = _team_name(name)
    if Team.objects.filter(vendor=vendor).count() >= MAX_TEAMS:
        raise ValidationError(
            gettext("A vendor can have at most %(max_teams)s teams.") % {"max_teams": MAX_TEAMS}, code="too_many"
        )
    if Team.objects.filter(vendor=vendor, name__iexact=name).exists():
        raise ValidationError(gettext("There is already a team called “%(name)s”.") % {"name": name}, code="duplicate")
    try:
        with transaction.atomic():
            return Team.objects.create(vendor=vendor, name=name, round_robin=round_robin)
    except IntegrityError:
        raise ValidationError(
            gettext("There is already a team called “%(name)s”.") % {"name": name}, code="duplicate"
        ) from None


def update_team(*, admin: User, team: Team, round_robin: bool, usernames: list[str]) -> Team:
    """Set the team's members (verified staff of its vendor, by username) and its round-robin setting."""
    _require_admin(admin, team.vendor)
    if len(usernames) > MAX_MEMBERS:
        raise ValidationError(
            gettext("A team can have at most %(max_members)s members.") % {"max_members": MAX_MEMBERS}, code="too_many"
        )
    wanted = {normalise_text(str(u)).strip().lstrip("@").lower() for u in usernames if str(u).strip()}
    staff = dict(
        User.objects.filter(
            memberships__vendor=team.vendor, memberships__status=Membership.Status.VERIFIED, is_active=True
        ).values_list("username", "pk")
    )
    by_lower = {name.lower(): pk for name, pk in staff.items()}
    unknown = sorted(wanted - set(by_lower))
    if unknown:
        names = ", ".join("@" + u[:40] for u in unknown[:3])
        raise ValidationError(
            gettext("Not verified staff of %(name)s: %(names)s.") % {"name": team.vendor.name, "names": names},
            code="not_staff",
        )
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        ids = {by_lower[u] for u in wanted}
        TeamMember.objects.filter(team=team).exclude(user_id__in=ids).delete()
        have = set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
        TeamMember.objects.bulk_create([TeamMember(team=team, user_id=pk) for pk in sorted(ids - have)])
        team.round_robin = round_robin
        team.save(update_fields=["round_robin"])
    return team


def delete_team(*, admin: User, team: Team) -> None:
    """Its escalations stay, in no team; its rules go with it."""
    _require_admin(admin, team.vendor)
    team.delete()


def add_rule(*, admin: User, team: Team, match: str, value: str, vendor: Vendor | None = None) -> RoutingRule:
    """Route by a tag, a keyword, or a product (``value`` names it, by its name or an alias).

    ``vendor``: the vendor whose settings page sent the rule; a team of another vendor is refused.
    """
    vendor = vendor or team.vendor
    _require_admin(admin, vendor)
    if team.vendor_id != vendor.pk:
        raise ValidationError(gettext("That team belongs to another vendor."), code="wrong_vendor")
    if match not in RoutingRule.Match.values:
        raise ValidationError(gettext("Route by a tag, a keyword or a product."), code="bad_match")
    value = " ".join(normalise_text(str(value or "")).split()).lower()
    if not value:
        raise ValidationError(gettext("Give the tag, keyword or product to route by."), code="no_value")
    if len(value) > VALUE_MAX:
        raise ValidationError(
            gettext("Keep routing values under %(value_max)s characters.") % {"value_max": VALUE_MAX}, code="too_long"
        )
    product = None
    if match == RoutingRule.Match.PRODUCT:
        term = ProductTerm.objects.filter(vendor=vendor, term=value).select_related("product").first()
        if term is None:
            raise ValidationError(
                gettext("%(vendor)s has no product called “%(value)s”. Add it under Products first.")
                % {"vendor": vendor.name, "value": value},
                code="no_product",
            )
        product, value = term.product, term.product.name[:VALUE_MAX]
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).values_list("pk", flat=True).get()  # one writer
        if RoutingRule.objects.filter(vendor=vendor).count() >= MAX_RULES:
            raise ValidationError(
                gettext("A vendor can have at most %(max_rules)s routing rules.") % {"max_rules": MAX_RULES},
                code="too_many",
            )
        last = RoutingRule.objects.filter(vendor=vendor).aggregate(last=Max("position"))["last"]
        return RoutingRule.objects.create(
            vendor=vendor, team=team, match=match, value=value, product=product, position=(last or 0) + 1
        )


def remove_rule(*, admin: User, rule: RoutingRule) -> None:
    _require_admin(admin, rule.vendor)
    rule.delete()


def _has_word(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def _tag_terms(name: str) -> str:
    """A tag as words: "surface-pro" names the product "Surface Pro"."""
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


def matching_team(*, vendor: Vendor, thread: Thread) -> Team | None:
    """The team of the first rule (by position) the thread matches: a tag it carries, a keyword, or a
    product named in the title or question (by name or alias) or carried as a tag. Four queries at most."""
    terms = Prefetch("product__terms", queryset=ProductTerm.objects.only("product_id", "term"))
    rules = list(RoutingRule.objects.filter(vendor=vendor).select_related("team", "product").prefetch_related(terms))
    if not rules:
        return None
    tag_names = list(thread.tags.values_list("name", flat=True))
    tags = {name.lower() for name in tag_names}
    tag_words = {_tag_terms(name) for name in tag_names}
    question = Post.objects.filter(thread=thread, is_question=True).values_list("body", flat=True).first() or ""
    text = normalise_text(f"{thread.title}\n{question}").lower()
    for rule in rules:
        if rule.match == RoutingRule.Match.TAG and rule.value in tags:
            return rule.team
        if rule.match == RoutingRule.Match.KEYWORD and _has_word(text, rule.value):
            return rule.team
        if rule.match == RoutingRule.Match.PRODUCT and rule.product is not None:
            names = [t.term for t in rule.product.terms.all()]
            if any(_tag_terms(n) in tag_words or _has_word(text, n) for n in names):
                return rule.team
    return None


def route(escalation: Escalation) -> None:
    """Put a new escalation in its team's inbox and, for round-robin teams, assign it.

    Runs inside open_escalation's transaction, with the thread locked.
    """
    team = matching_team(vendor=escalation.vendor, thread=escalation.thread)
    if team is None:
        return
    escalation.team = team
    escalation.save(update_fields=["team"])
    if team.round_robin:
        _assign_next(escalation, team)


def _assign_next(escalation: Escalation, team: Team) -> None:
    """Claim it for the member given one longest ago; the team row lock keeps two arrivals from picking one."""
    Team.objects.select_for_update().filter(pk=team.pk).values_list("pk", flat=True).get()
    member = (
        TeamMember.objects.filter(
            team=team,
            user__is_active=True,
            user__memberships__vendor_id=team.vendor_id,
            user__memberships__status=Membership.Status.VERIFIED,
        )
        .select_related("user")
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
        .first()
    )
    if member is None:
        return  # nobody on the team can take it: it waits in the team's inbox
    member.last_assigned_at = timezone.now()
    member.save(update_fields=["last_assigned_at"])
    set_claimant(escalation, member.user)
    event = timeline.record(
        thread=escalation.thread,
        kind=EventKind.CLAIMED,
        actor=None,  # the routing, not a person; the claimant is named in the event
        data=vendor_data(escalation) | {"claimant": member.user.name},
    )
    notify.handed_to(member.user, event)


def move_to_team(*, staff: User, escalation: Escalation, team: Team | None) -> Escalation:
    """Move an escalation to another team's inbox (or to none); one event on the vendor's private stream."""
    with transaction.atomic():
        escalation = access.access_escalation_for_update(
            staff, escalation.pk, check=access.can_work_on, message=STAFF_ONLY
        )
        if team is not None and team.vendor_id != escalation.vendor_id:
            raise ValidationError(gettext("That team belongs to another vendor."), code="wrong_vendor")
        if escalation.team_id == (team.pk if team else None):
            where = f"in {team.name}" if team else "in no team"
            raise ValidationError(gettext("It is already %(where)s.") % {"where": where}, code="unchanged")
        previous = Team.objects.filter(pk=escalation.team_id).values_list("name", flat=True).first()
        escalation.team = team
        escalation.save(update_fields=["team"])
        timeline.record(
            thread=escalation.thread,
            kind=SwarmKind.TEAM_CHANGED,
            actor=staff,
            vendor=escalation.vendor,
            data={"escalation": escalation.pk, "team": team.name if team else None, "previous": previous},
        )
    return escalation


def forget_member(*, user: User) -> int:
    """A deleted account leaves every team and its me-too email marks (called inside forum's action)."""
    from swarm.models import MeTooEmail

    MeTooEmail.objects.filter(recipient=user).delete()
    removed, _ = TeamMember.objects.filter(user=user).delete()
    return removed
