"""Products: a vendor's products with aliases, and routing rules that send escalations about one to a team."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.actions import threads as thread_actions
from forum.models import Membership
from swarm.actions import escalations, products, teams
from swarm.models import Escalation, Product, ProductTerm, RoutingRule
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db


def _ask(customer, title: str, body: str = "Details inside.", tags: str = "") -> Escalation:
    thread = thread_actions.create_thread(author=customer, title=title, body=body, tags=tags)
    return escalations.escalate(user=customer, thread=thread, handle="northwind")


@pytest.fixture
def tablets(vendor, vendor_admin):
    team = teams.create_team(admin=vendor_admin, vendor=vendor, name="Tablets")
    products.create_product(admin=vendor_admin, vendor=vendor, name="Surface Pro", aliases="SP9, surface pro x")
    teams.add_rule(admin=vendor_admin, team=team, match="product", value="sp9")  # named by an alias
    return team


def test_an_escalation_about_a_product_lands_in_its_team(tablets, customer):
    assert _ask(customer, "My SP9 will not charge").team == tablets  # an alias in the title
    assert _ask(customer, "Charging trouble", body="The Surface Pro gets hot.").team == tablets  # the name, any case
    assert _ask(customer, "Charging trouble again", tags="surface-pro").team == tablets  # tagged
    assert _ask(customer, "Surfaces are professional").team is None  # whole words only
    assert _ask(customer, "Printer jams").team is None


def test_rules_keep_their_order_and_aliases_can_change(tablets, vendor, vendor_admin, customer):
    laptops = teams.create_team(admin=vendor_admin, vendor=vendor, name="Laptops")
    teams.add_rule(admin=vendor_admin, team=laptops, match="keyword", value="keyboard")
    # Both rules match; the product rule came first.
    assert _ask(customer, "SP9 keyboard cover loose").team == tablets
    product = Product.objects.get(name="Surface Pro")
    products.set_aliases(admin=vendor_admin, product=product, aliases="Pro 11")
    assert product.aliases == ["pro 11"]
    assert _ask(customer, "My Pro 11 keyboard").team == tablets
    assert _ask(customer, "My SP9 keyboard").team == laptops  # no longer an alias
    products.delete_product(admin=vendor_admin, product=product)
    assert not RoutingRule.objects.filter(match="product").exists()  # its rules went with it
    assert _ask(customer, "Surface Pro screen").team is None


def test_bad_products_get_a_clear_message_and_change_nothing(tablets, vendor, vendor_admin, other_vendor):
    before = sorted(ProductTerm.objects.values_list("term", flat=True))
    cases = [
        ({"name": "  ", "aliases": ""}, "Give the product a name"),
        ({"name": "Surface Go", "aliases": "go 4, Go 4"}, "“go 4” is given twice"),
        ({"name": "Surface Go", "aliases": "SP9"}, "“sp9” already names Surface Pro"),
        ({"name": "surface pro", "aliases": ""}, "“surface pro” already names Surface Pro"),
        ({"name": "Surface Go", "aliases": "surface go"}, "is the product's name already"),
        ({"name": "Surface Go", "aliases": "x"}, "can't be an alias: A keyword needs at least 2 characters"),
        ({"name": "S" * 61, "aliases": ""}, "under 60 characters"),
    ]
    for fields, message in cases:
        with pytest.raises(ValidationError, match=message):
            products.create_product(admin=vendor_admin, vendor=vendor, **fields)
    with pytest.raises(ValidationError, match="has no product called “surface go”"):
        teams.add_rule(admin=vendor_admin, team=tablets, match="product", value="Surface Go")
    rival_team = teams.create_team(
        admin=make_staff("olga", other_vendor, role=Membership.Role.ADMIN), vendor=other_vendor, name="Phones"
    )
    with pytest.raises(ValidationError, match="That team belongs to another vendor"):
        teams.add_rule(admin=vendor_admin, vendor=vendor, team=rival_team, match="product", value="sp9")
    assert Product.objects.filter(vendor=vendor).count() == 1
    assert sorted(ProductTerm.objects.values_list("term", flat=True)) == before
    assert RoutingRule.objects.count() == 1


def test_an_admin_manages_products_on_the_teams_page(tablets, vendor_admin, other_vendor):
    client = client_for(vendor_admin)
    url = reverse("swarm:teams", args=["northwind"])
    page = client.post(url, {"op": "create_product", "name": "Surface Go", "aliases": "go 4"}, follow=True)
    assert "Product “Surface Go” added." in page.content.decode()
    page = client.post(url, {"op": "add_rule", "match": "product", "value": "go 4", "team": tablets.pk}, follow=True)
    html = page.content.decode()
    assert "New escalations matching “Surface Go” go to Tablets." in html
    assert "Product (named, by any alias, or tagged) “Surface Go” → <strong>Tablets</strong>" in html
    # Another vendor's team, by id: refused with a message, not a rule.
    rival_team = teams.create_team(
        admin=make_staff("olga", other_vendor, role=Membership.Role.ADMIN), vendor=other_vendor, name="Phones"
    )
    page = client.post(url, {"op": "add_rule", "match": "product", "value": "sp9", "team": rival_team.pk}, follow=True)
    assert "That team belongs to another vendor." in page.content.decode()
    page = client.post(url, {"op": "create_product", "name": "Surface Duo", "aliases": "duo, DUO"}, follow=True)
    assert "“duo” is given twice." in page.content.decode()
    assert list(Product.objects.order_by("name").values_list("name", flat=True)) == ["Surface Go", "Surface Pro"]
    assert RoutingRule.objects.count() == 2


def test_staff_of_another_vendor_get_403_and_nothing_changes(tablets, vendor, staff, other_vendor):
    rival_admin = make_staff("olga", other_vendor, role=Membership.Role.ADMIN)
    product = Product.objects.get(vendor=vendor)
    url = reverse("swarm:teams", args=["northwind"])
    attempts = [
        {"op": "create_product", "name": "Fake", "aliases": ""},
        {"op": "set_aliases", "product": product.pk, "aliases": "hijacked"},
        {"op": "delete_product", "product": product.pk},
        {"op": "add_rule", "match": "product", "value": "sp9", "team": tablets.pk},
        {"op": "set_hours", "time_zone": "UTC", "open_0": "00:00", "close_0": "01:00"},
    ]
    for form in attempts:
        assert client_for(rival_admin).post(url, form).status_code == 403
        assert client_for(staff).post(url, form).status_code == 403  # own staff, not an admin
    with pytest.raises(PermissionDenied):
        products.create_product(admin=rival_admin, vendor=vendor, name="Fake")
    with pytest.raises(PermissionDenied):
        products.set_aliases(admin=staff, product=product, aliases="hijacked")
    assert list(Product.objects.values_list("name", flat=True)) == ["Surface Pro"]
    assert sorted(ProductTerm.objects.values_list("term", flat=True)) == ["sp9", "surface pro", "surface pro x"]
    assert RoutingRule.objects.count() == 1


def test_escalating_from_the_thread_page_routes_by_product(tablets, customer, staff):
    thread = thread_actions.create_thread(author=customer, title="Pen stopped working", body="On my SP9.")
    client_for(customer).post(reverse("swarm:escalate", args=[thread.pk]), {"handle": "northwind"})
    escalation = Escalation.objects.get(thread=thread)
    assert escalation.team == tablets
    inbox = client_for(staff).get(reverse("swarm:inbox", args=["northwind"]), {"team": tablets.pk}).content.decode()
    assert f'data-escalation="{escalation.pk}"' in inbox
