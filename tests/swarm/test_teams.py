"""Teams and routing: rules send new escalations to a team, round-robin assigns, the inbox filters and acts in bulk."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.actions import threads as thread_actions
from forum.models import Event
from swarm.actions import bulk, claims, escalations, teams
from swarm.models import Escalation, RoutingRule
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db


def _ask(customer, title: str, body: str = "Details inside.", tags: str = "") -> Escalation:
    thread = thread_actions.create_thread(author=customer, title=title, body=body, tags=tags)
    return escalations.escalate(user=customer, thread=thread, handle="northwind")


@pytest.fixture
def desks(vendor, vendor_admin, staff):
    laptops = teams.create_team(admin=vendor_admin, vendor=vendor, name="Laptops")
    tablets = teams.create_team(admin=vendor_admin, vendor=vendor, name="Tablets")
    teams.add_rule(admin=vendor_admin, team=tablets, match="tag", value="tablet")
    teams.add_rule(admin=vendor_admin, team=laptops, match="keyword", value="laptop")
    teams.add_rule(admin=vendor_admin, team=tablets, match="keyword", value="screen")
    return laptops, tablets


def test_new_escalations_land_in_the_first_matching_rules_team(desks, customer):
    laptops, tablets = desks
    assert _ask(customer, "Dock and tablet", tags="tablet").team == tablets
    assert _ask(customer, "My Laptop fan is loud").team == laptops
    # Both "laptop" (rule 2) and "screen" (rule 3) match: the first rule by position wins.
    assert _ask(customer, "Laptop screen flickers").team == laptops
    assert _ask(customer, "Printer jams", body="Paper stuck").team is None
    # A keyword is a word, not any substring ("laptops" matches "laptop"? no: only the whole word).
    assert _ask(customer, "Screensaver never starts").team is None


def test_round_robin_assigns_in_turn_among_verified_members(desks, vendor, vendor_admin, staff, customer):
    laptops, _ = desks
    second = make_staff("sam", vendor)
    teams.update_team(admin=vendor_admin, team=laptops, round_robin=True, usernames=["keith", "sam"])
    claimants = [_ask(customer, f"Laptop issue {n}").claimed_by for n in range(3)]
    assert {claimants[0], claimants[1]} == {staff, second} and claimants[2] == claimants[0]
    event = Event.objects.filter(kind="claimed").order_by("id").first()
    assert event.actor is None and event.data["claimant"] == claimants[0].name


def test_only_admins_change_teams_and_bad_input_changes_nothing(vendor, vendor_admin, staff, desks):
    with pytest.raises(PermissionDenied):
        teams.create_team(admin=staff, vendor=vendor, name="Phones")
    with pytest.raises(ValidationError, match="already a team"):
        teams.create_team(admin=vendor_admin, vendor=vendor, name="laptops")
    with pytest.raises(ValidationError, match="Not verified staff"):
        teams.update_team(admin=vendor_admin, team=desks[0], round_robin=True, usernames=["keith", "nobody"])
    assert not desks[0].members.exists()
    with pytest.raises(ValidationError, match="under 60"):
        teams.add_rule(admin=vendor_admin, team=desks[0], match="keyword", value="x" * 61)
    assert RoutingRule.objects.count() == 3


def test_moving_to_a_team_is_one_private_event(desks, customer, staff, vendor):
    _, tablets = desks
    escalation = _ask(customer, "Laptop hinge")
    teams.move_to_team(staff=staff, escalation=escalation, team=tablets)
    event = Event.objects.get(kind="team_changed")
    assert event.vendor_id == vendor.pk and (event.data["previous"], event.data["team"]) == ("Laptops", "Tablets")
    with pytest.raises(ValidationError, match="already in Tablets"):
        teams.move_to_team(staff=staff, escalation=escalation, team=tablets)


def test_the_inbox_filters_by_team_mine_and_unclaimed(desks, customer, staff, vendor):
    laptops, _ = desks
    a = _ask(customer, "Laptop battery")
    b = _ask(customer, "Tablet charger", tags="tablet")
    c = _ask(customer, "Unrouted printer")
    claims.claim(staff=staff, escalation=b)
    client = client_for(staff)
    url = reverse("swarm:inbox", args=["northwind"])

    def shown(**params) -> set[int]:
        page = client.get(url, params).content.decode()
        return {e.pk for e in (a, b, c) if f'data-escalation="{e.pk}"' in page}

    assert shown() == {a.pk, b.pk, c.pk}
    assert shown(team=laptops.pk) == {a.pk}
    assert shown(team="none") == {c.pk}
    assert shown(who="mine") == {b.pk}
    assert shown(who="unclaimed") == {a.pk, c.pk}
    assert shown(team="not-a-team", who="bogus") == {a.pk, b.pk, c.pk}


def test_bulk_claim_and_move_through_the_inbox_with_refusals_reported(desks, customer, staff, other_staff):
    _, tablets = desks
    a, b = _ask(customer, "Laptop one"), _ask(customer, "Laptop two")
    claims.claim(staff=make_staff("sam", a.vendor), escalation=b)
    client = client_for(staff)
    response = client.post(
        reverse("swarm:inbox_bulk", args=["northwind"]),
        {"verb": "claim", "escalation": [a.pk, b.pk, 999999]},
        follow=True,
    )
    page = response.content.decode()
    assert "Done for 1 escalation." in page and "already claimed" in page and "#999999" in page
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.claimed_by == staff and b.claimed_by.username == "sam"
    client.post(
        reverse("swarm:inbox_bulk", args=["northwind"]),
        {"verb": "move", "team": tablets.pk, "escalation": [a.pk, b.pk]},
    )
    assert set(Escalation.objects.filter(pk__in=[a.pk, b.pk]).values_list("team", flat=True)) == {tablets.pk}
    assert Event.objects.filter(kind="team_changed").count() == 2


def test_bulk_refuses_a_bad_verb_and_people_who_are_not_staff(desks, customer, other_staff, staff):
    escalation = _ask(customer, "Laptop three")
    with pytest.raises(ValidationError, match="Choose claim"):
        bulk.bulk_act(staff=staff, vendor=escalation.vendor, escalation_ids=[escalation.pk], verb="eat")
    result = bulk.bulk_act(staff=other_staff, vendor=escalation.vendor, escalation_ids=[escalation.pk], verb="claim")
    assert result.done == 0 and "Only verified staff" in result.refused[0]
    escalation.refresh_from_db()
    assert escalation.state == "open"
    refused = client_for(other_staff).post(reverse("swarm:inbox_bulk", args=["northwind"]), {"verb": "claim"})
    assert refused.status_code == 403


def test_the_teams_page_creates_a_team_and_a_rule(vendor_admin, staff):
    client = client_for(vendor_admin)
    url = reverse("swarm:teams", args=["northwind"])
    client.post(url, {"op": "create_team", "name": "Phones", "round_robin": "on"})
    team = vendor_admin.memberships.get().vendor.teams.get(name="Phones")
    assert team.round_robin
    page = client.post(url, {"op": "add_rule", "team": team.pk, "match": "tag", "value": "phone"}, follow=True)
    assert "Tag “phone” → <strong>Phones</strong>" in page.content.decode()
    refused = client_for(staff).post(url, {"op": "create_team", "name": "Mine"}, follow=True).content.decode()
    assert "admins can change teams" in refused
