"""Vendor staff: verified by email domain or by a vendor admin; only verified staff get a badge."""

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from forum.actions import posts as post_actions
from forum.actions import vendors as vendor_actions
from forum.models import Membership
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def test_confirming_vendor_email_makes_verified_staff(vendor):
    user = make_user("ines", email="ines@northwind.example", verified_email=False)
    address = EmailAddress.objects.get(user=user)
    address.verified = True
    address.save()
    email_confirmed.send(sender=EmailAddress, request=RequestFactory().get("/"), email_address=address)
    membership = Membership.objects.get(user=user)
    assert membership.vendor == vendor
    assert membership.status == Membership.Status.VERIFIED
    assert membership.via == Membership.Via.EMAIL


def test_email_domain_matching_is_exact(vendor):
    user = make_user("eve", email="eve@evil-northwind.example")
    assert vendor_actions.verify_staff_by_email(user=user, email="eve@evil-northwind.example") is None
    assert vendor_actions.verify_staff_by_email(user=user, email="eve@northwind.example.evil") is None
    assert not Membership.objects.filter(user=user).exists()


def test_staff_post_shows_badge(thread, staff, client):
    post = post_actions.reply(author=staff, thread=thread, body="We are on it.")
    assert post.staff_vendor.name == "Northwind Devices"
    response = client.get(thread.get_absolute_url())
    assert "Staff · Northwind Devices" in response.text


def test_pending_membership_gives_no_badge(thread, vendor, client):
    hopeful = make_user("pat")
    membership = vendor_actions.request_membership(user=hopeful, vendor=vendor)
    assert membership.status == Membership.Status.PENDING
    post = post_actions.reply(author=hopeful, thread=thread, body="I work there, trust me.")
    assert post.staff_vendor is None
    assert "Staff ·" not in client.get(thread.get_absolute_url()).text


def test_duplicate_membership_request_has_a_message(vendor, staff):
    hopeful = make_user("pat")
    vendor_actions.request_membership(user=hopeful, vendor=vendor)
    with pytest.raises(ValidationError, match="already waiting"):
        vendor_actions.request_membership(user=hopeful, vendor=vendor)
    with pytest.raises(ValidationError, match="already staff"):
        vendor_actions.request_membership(user=staff, vendor=vendor)


def test_approve_membership_requires_vendor_admin(vendor, other_vendor, staff, other_staff, vendor_admin, customer):
    hopeful = make_user("pat")
    membership = vendor_actions.request_membership(user=hopeful, vendor=vendor)
    for user in (customer, staff, other_staff):
        with pytest.raises(PermissionDenied):
            vendor_actions.approve_membership(admin=user, membership=membership)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING
    vendor_actions.approve_membership(admin=vendor_admin, membership=membership)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VERIFIED
    assert membership.verified_by == vendor_admin


def test_admin_of_other_vendor_cannot_approve(vendor, other_vendor):
    other_admin = make_user("oa", email="oa@bluewave.example")
    vendor_actions.verify_staff_by_email(user=other_admin, email=other_admin.email)
    Membership.objects.filter(user=other_admin).update(role=Membership.Role.ADMIN)
    membership = vendor_actions.request_membership(user=make_user("pat"), vendor=vendor)
    with pytest.raises(PermissionDenied):
        vendor_actions.approve_membership(admin=other_admin, membership=membership)


def test_revoke_requires_admin_and_keeps_past_badges(thread, staff, vendor_admin, customer, client):
    post_actions.reply(author=staff, thread=thread, body="Fixed in 2.1")
    membership = Membership.objects.get(user=staff)
    with pytest.raises(PermissionDenied):
        vendor_actions.revoke_membership(admin=customer, membership=membership)
    vendor_actions.revoke_membership(admin=vendor_admin, membership=membership)
    assert "Staff · Northwind Devices" in client.get(thread.get_absolute_url()).text
    later = post_actions.reply(author=staff, thread=thread, body="Now a civilian")
    assert later.staff_vendor is None


def test_vendor_page_lists_staff(vendor, staff, client):
    response = client.get(vendor.get_absolute_url())
    assert response.status_code == 200
    assert "Northwind Devices" in response.text


def test_mentioning_a_vendor_links_the_thread(customer, vendor, client):
    client = client_for(customer)
    client.post("/ask/", {"title": "Please help @northwind team", "body": "Help @northwind, wifi broken."})
    response = client.get(vendor.get_absolute_url())
    assert "Please help @northwind team" in response.text
