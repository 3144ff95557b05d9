"""A vendor admin sets business hours, publishes a business-hours target and adds a product, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from swarm.actions import teams
from swarm.models import ProductTerm, ResponseTarget
from tests.screenshots import save as shot

from .conftest import log_in

pytestmark = pytest.mark.e2e


def test_hours_target_and_product_from_the_teams_page(new_page, vendor, vendor_admin, tmp_path):
    teams.create_team(admin=vendor_admin, vendor=vendor, name="Tablets")
    page = new_page()
    log_in(page, "nadia")
    page.goto("/v/northwind/teams/")
    hours = page.locator("form.business-hours-form")
    hours.get_by_label("Time zone").fill("Europe/Berlin")
    hours.get_by_label("Saturday opens").fill("10:00")
    hours.get_by_label("Saturday closes").fill("13:30")
    with page.expect_navigation():
        hours.get_by_role("button", name="Save hours").click()
    expect(page.get_by_text("Your hours: Europe/Berlin, Mon–Fri 9–17, Sat 10–13:30.")).to_be_visible()

    page.get_by_label("First staff reply within").fill("8")
    page.get_by_label("count business hours only").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Your targets count only these hours")).to_be_visible()
    assert ResponseTarget.objects.order_by("-pk").first().business_hours

    page.get_by_label("New product").fill("Surface Pro")
    page.get_by_label("aliases", exact=True).fill("SP9, surface-pro")
    with page.expect_navigation():
        page.get_by_role("button", name="Add product").click()
    expect(page.get_by_text("Product “Surface Pro” added.")).to_be_visible()
    assert sorted(ProductTerm.objects.values_list("term", flat=True)) == ["sp9", "surface pro", "surface-pro"]
    shot(page, "vendor-hours-teams.png", tmp_path)

    page.goto("/v/northwind/")
    expect(page.locator("[data-business-hours]")).to_have_text(
        "(business hours, Europe/Berlin, Mon–Fri 9–17, Sat 10–13:30)"
    )
    shot(page.locator(".response-targets"), "vendor-hours-public.png", tmp_path)
    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, "nadia")
    phone.goto("/v/northwind/teams/")
    phone.locator("#hours-heading").scroll_into_view_if_needed()
    shot(phone, "vendor-hours-teams-phone.png", tmp_path)
