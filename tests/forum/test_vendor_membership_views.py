"""Joining a vendor as staff from its page, and its admins verifying people."""

import pytest
from django.urls import reverse

from forum.models import Membership
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_user_asks_to_join_and_an_admin_verifies_them(vendor, vendor_admin, customer):
    page = client_for(customer).get(reverse("forum:vendor", args=["northwind"]))
    assert "Ask to join as staff" in page.text
    response = client_for(customer).post(reverse("forum:vendor_join", args=["northwind"]), follow=True)
    assert "An admin of Northwind Devices must approve it" in response.text
    membership = Membership.objects.get(user=customer, vendor=vendor)
    assert membership.status == Membership.Status.PENDING

    admin_page = client_for(vendor_admin).get(reverse("forum:vendor", args=["northwind"]))
    assert "Waiting for approval" in admin_page.text and "Jeff Morrow" in admin_page.text
    url = reverse("forum:vendor_member", args=["northwind", membership.pk])
    response = client_for(vendor_admin).post(url, {"decision": "approve"}, follow=True)
    assert "Jeff Morrow is now verified staff of Northwind Devices" in response.text
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VERIFIED


def test_only_the_vendors_admins_can_verify(vendor, staff, other_staff, customer):
    from forum.actions.vendors import request_membership

    membership = request_membership(user=customer, vendor=vendor)
    url = reverse("forum:vendor_member", args=["northwind", membership.pk])
    for outsider in (customer, staff, other_staff):
        assert client_for(outsider).post(url, {"decision": "approve"}).status_code == 403
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


def test_a_bad_role_or_decision_changes_nothing(vendor, vendor_admin, customer):
    from forum.actions.vendors import request_membership

    membership = request_membership(user=customer, vendor=vendor)
    url = reverse("forum:vendor_member", args=["northwind", membership.pk])
    response = client_for(vendor_admin).post(url, {"decision": "approve", "role": "owner"}, follow=True)
    assert "Unknown role." in response.text
    response = client_for(vendor_admin).post(url, {"decision": "explode"}, follow=True)
    assert "Choose approve or remove." in response.text
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


def test_asking_twice_says_so(vendor, customer):
    client = client_for(customer)
    client.post(reverse("forum:vendor_join", args=["northwind"]))
    response = client.post(reverse("forum:vendor_join", args=["northwind"]), follow=True)
    assert "already waiting" in response.text
    assert Membership.objects.filter(user=customer).count() == 1


def test_membership_urls_for_other_vendors_are_not_found(vendor, other_vendor, vendor_admin, customer):
    from forum.actions.vendors import request_membership

    membership = request_membership(user=customer, vendor=other_vendor)
    url = reverse("forum:vendor_member", args=["northwind", membership.pk])
    assert client_for(vendor_admin).post(url, {"decision": "approve"}).status_code == 404
