"""Staff status from an email domain lives and dies with that address; an admin's removal sticks."""

from __future__ import annotations

import logging

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.urls import reverse

from forum.actions import posts as post_actions
from forum.actions import vendors as vendor_actions
from forum.models import Membership
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

WORK = "lena@northwind.example"


@pytest.fixture
def lena(vendor):
    """Personal primary address plus a verified work address that made her Northwind staff."""
    user = make_user("lena")
    address = EmailAddress.objects.create(user=user, email=WORK, verified=True, primary=False)
    vendor_actions.verify_staff_by_email(user=user, email=WORK, email_address=address)
    return user


def _membership(user, vendor) -> Membership:
    return Membership.objects.get(user=user, vendor=vendor)


def _confirm_through_the_site(user, address: EmailAddress):
    """Confirm ``address`` with allauth's real confirmation view, as the emailed link would."""
    key = EmailConfirmationHMAC(address).key
    return client_for(user).post(reverse("account_confirm_email", args=[key]))


def test_the_membership_records_how_and_by_which_address_it_was_granted(lena, vendor):
    membership = _membership(lena, vendor)
    assert membership.is_verified and membership.via == Membership.Via.EMAIL
    assert membership.email_address == EmailAddress.objects.get(email=WORK)
    assert membership.granted_email == WORK


def test_removing_the_address_on_the_email_page_ends_the_staff_status(lena, vendor, thread):
    response = client_for(lena).post(reverse("account_email"), {"action_remove": "", "email": WORK})
    assert response.status_code == 302
    assert not EmailAddress.objects.filter(email=WORK).exists()
    membership = _membership(lena, vendor)
    assert membership.status == Membership.Status.LAPSED and membership.lapsed_at is not None
    post = post_actions.reply(author=lena, thread=thread, body="Still here, as a customer now.")
    assert post.staff_vendor is None, "no badge on posts after the address is gone"


def test_changing_the_address_ends_the_staff_status(vendor, settings):
    settings.ACCOUNT_CHANGE_EMAIL = True
    user = make_user("otto", email="otto@northwind.example")
    vendor_actions.verify_staff_by_email(user=user, email=user.email)
    assert _membership(user, vendor).is_verified
    client = client_for(user)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "otto@mail.example"})
    assert response.status_code == 302
    key = next(m for m in mail.outbox if "otto@mail.example" in m.to).body
    key = key.split("/accounts/confirm-email/")[1].split("/")[0]
    response = client.post(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 302
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == ["otto@mail.example"]
    assert _membership(user, vendor).status == Membership.Status.LAPSED


def test_confirming_the_address_again_restores_status_that_lapsed(lena, vendor):
    client_for(lena).post(reverse("account_email"), {"action_remove": "", "email": WORK})
    address = EmailAddress.objects.create(user=lena, email=WORK, verified=False, primary=False)
    _confirm_through_the_site(lena, address)
    membership = _membership(lena, vendor)
    assert membership.is_verified and membership.email_address == address


def test_an_admins_removal_sticks_when_the_address_is_confirmed_again(lena, vendor, vendor_admin, caplog):
    url = reverse("forum:vendor_member", args=["northwind", _membership(lena, vendor).pk])
    page = client_for(vendor_admin).get(reverse("forum:vendor", args=["northwind"])).content.decode()
    assert f'action="{url}"' in page and "verified email at a vendor domain" in page, "the admin sees how and a button"
    assert f'action="{url}"' not in client_for(lena).get(reverse("forum:vendor", args=["northwind"])).content.decode()
    with caplog.at_level(logging.INFO, logger="forum.actions.vendors"):
        response = client_for(vendor_admin).post(url, {"decision": "remove"}, follow=True)
    assert "Lena" in response.text or "lena" in response.text
    membership = _membership(lena, vendor)
    assert membership.status == Membership.Status.REVOKED
    assert membership.revoked_by == vendor_admin and membership.revoked_at is not None
    assert any("Staff revoked: lena at @northwind by nadia" in r.getMessage() for r in caplog.records)

    address = EmailAddress.objects.get(email=WORK)
    address.verified = False
    address.save(update_fields=["verified"])
    response = _confirm_through_the_site(lena, address)
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified, "the confirmation itself went through"
    assert _membership(lena, vendor).status == Membership.Status.REVOKED, "but did not re-grant staff status"


def test_asking_again_after_a_revocation_goes_to_the_admins(lena, vendor, vendor_admin):
    vendor_actions.revoke_membership(admin=vendor_admin, membership=_membership(lena, vendor))
    vendor_actions.request_membership(user=lena, vendor=vendor)
    assert _membership(lena, vendor).status == Membership.Status.PENDING
    vendor_actions.verify_staff_by_email(user=lena, email=WORK)
    assert _membership(lena, vendor).status == Membership.Status.PENDING, "the address still does not re-grant"
    vendor_actions.approve_membership(admin=vendor_admin, membership=_membership(lena, vendor))
    membership = _membership(lena, vendor)
    assert membership.is_verified and membership.revoked_at is None


def test_removing_an_address_leaves_admin_approved_staff_alone(vendor, vendor_admin):
    user = make_user("ruth")
    EmailAddress.objects.create(user=user, email="ruth@elsewhere.example", verified=True, primary=False)
    membership = vendor_actions.request_membership(user=user, vendor=vendor)
    vendor_actions.approve_membership(admin=vendor_admin, membership=membership)
    client_for(user).post(reverse("account_email"), {"action_remove": "", "email": "ruth@elsewhere.example"})
    assert _membership(user, vendor).is_verified


def test_declining_a_revoked_members_new_request_keeps_the_revocation(lena, vendor, vendor_admin):
    vendor_actions.revoke_membership(admin=vendor_admin, membership=_membership(lena, vendor))
    vendor_actions.request_membership(user=lena, vendor=vendor)
    vendor_actions.revoke_membership(admin=vendor_admin, membership=_membership(lena, vendor))
    vendor_actions.verify_staff_by_email(user=lena, email=WORK)
    assert _membership(lena, vendor).status == Membership.Status.REVOKED


def test_an_admin_declining_a_pending_request_leaves_no_record(vendor, vendor_admin, customer):
    membership = vendor_actions.request_membership(user=customer, vendor=vendor)
    assert vendor_actions.revoke_membership(admin=vendor_admin, membership=membership) is None
    assert not Membership.objects.filter(user=customer).exists()


def test_the_admin_shows_provenance_without_letting_it_be_edited(lena, vendor):
    root = make_user("root", is_superuser=True, is_staff=True)
    page = client_for(root).get(f"/admin/forum/membership/{_membership(lena, vendor).pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert WORK in text and 'name="granted_email"' not in text and 'name="revoked_by"' not in text


def test_deleting_the_address_outside_allauth_ends_it_too_and_deleting_the_user_still_works(lena, vendor):
    EmailAddress.objects.filter(email=WORK).delete()
    assert _membership(lena, vendor).status == Membership.Status.LAPSED
    lena.delete()
    assert not Membership.objects.filter(vendor=vendor).exists()
