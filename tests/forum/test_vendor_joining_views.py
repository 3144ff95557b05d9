"""Joining through the browser's forms: each refusal is a clear message next to its field and changes nothing."""

from __future__ import annotations

import re

import pytest

from forum.models import Vendor, VendorApplication, VendorProposal
from tests.conftest import client_for, make_user
from tests.dns_server import TxtServer

pytestmark = pytest.mark.django_db

GOOD = {"name": "Contoso Ltd", "handle": "contoso", "description": "Office software.", "domains": "contoso.example"}


@pytest.fixture
def founder(db):
    return make_user("olga")


def test_apply_check_dns_and_land_on_the_new_vendor_page(founder, settings):
    client = client_for(founder)
    response = client.post("/vendors/join/", GOOD | {"domains": "contoso.example\ncontoso.dev"}, follow=True)
    application = VendorApplication.objects.get()
    assert response.redirect_chain[-1][0] == f"/vendors/applications/{application.pk}/"
    first, second = application.domains.all()
    assert first.txt_record in response.text and second.txt_record in response.text
    records = {"contoso.example": [first.txt_record], "contoso.dev": [second.txt_record]}
    with TxtServer(records) as server:
        settings.VENDOR_DNS_RESOLVER, settings.VENDOR_DNS_PORT = server.host, server.port
        page = client.post(f"/vendors/applications/{application.pk}/domains/{first.pk}/dns/", follow=True)
        assert "Domain proven. Prove the others to finish." in page.text
        page = client.post(f"/vendors/applications/{application.pk}/domains/{second.pk}/dns/", follow=True)
    assert page.redirect_chain[-1][0] == "/v/contoso/"
    assert "Contoso Ltd is on Barnraise, and you are its first admin." in page.text
    assert "Open the staff inbox" in page.text


def test_a_failed_dns_check_says_why(founder, settings):
    client = client_for(founder)
    client.post("/vendors/join/", GOOD)
    proof = VendorApplication.objects.get().domains.get()
    with TxtServer({}) as server:
        settings.VENDOR_DNS_RESOLVER, settings.VENDOR_DNS_PORT = server.host, server.port
        page = client.post(f"/vendors/applications/{proof.application_id}/domains/{proof.pk}/dns/", follow=True)
    assert "No barnraise-verification TXT record found on contoso.example yet" in page.text
    assert not Vendor.objects.filter(handle="contoso").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"handle": "northwlnd"}, "looks too much like @northwind"),
        ({"handle": "NORTHWIND"}, "The handle @northwind is taken"),
        ({"handle": "bad handle!"}, "A handle is 1 to 30 lowercase letters"),
        ({"domains": "127.0.0.1"}, "is an IP address"),
        ({"domains": "northwind.example"}, "northwind.example already belongs to @northwind"),
        ({"domains": "intranet"}, "has no dot"),
        ({"description": "x" * 10_240}, "The description is 10,240 characters long; the limit is 2,000."),
        ({"name": "   "}, "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(founder, vendor, change, message):
    response = client_for(founder).post("/vendors/join/", GOOD | change)
    assert response.status_code == 400
    assert message in response.text.replace("&#x27;", "'")
    assert not VendorApplication.objects.exists()


def test_people_without_a_verified_email_are_told_to_verify(db):
    response = client_for(make_user("una", verified_email=False)).get("/vendors/join/")
    assert response.status_code == 403 and "Verify your email address first" in response.text


def test_an_application_is_private_to_its_applicant_and_site_admins(founder, customer):
    client_for(founder).post("/vendors/join/", GOOD)
    url = f"/vendors/applications/{VendorApplication.objects.get().pk}/"
    assert client_for(customer).get(url).status_code == 403
    assert client_for(make_user("root", is_superuser=True)).get(url).status_code == 200


def test_email_link_from_the_application_page(founder, mailoutbox, django_capture_on_commit_callbacks):
    client = client_for(founder)
    client.post("/vendors/join/", GOOD)
    proof = VendorApplication.objects.get().domains.get()
    url = f"/vendors/applications/{proof.application_id}/domains/{proof.pk}/email/"
    page = client.post(url, {"address": "ceo@elsewhere.example"}, follow=True)
    assert "The address must be at contoso.example itself." in page.text and not mailoutbox
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, {"address": "ceo"}, follow=True)
    assert "Sent a link to ceo@contoso.example" in page.text
    link = re.search(r"/vendors/proof/[^/\s]+/", mailoutbox[0].body).group(0)
    page = client.post(link, follow=True)
    assert page.redirect_chain[-1][0] == "/v/contoso/"


def test_site_admins_review_when_approval_is_required(founder, settings, customer):
    settings.VENDOR_APPROVAL_REQUIRED = True
    client = client_for(founder)
    client.post("/vendors/join/", GOOD)
    application = VendorApplication.objects.get()
    proof = application.domains.get()
    with TxtServer({"contoso.example": [proof.txt_record]}) as server:
        settings.VENDOR_DNS_RESOLVER, settings.VENDOR_DNS_PORT = server.host, server.port
        page = client.post(f"/vendors/applications/{application.pk}/domains/{proof.pk}/dns/", follow=True)
    assert "A site admin will review the application." in page.text
    assert client_for(customer).get("/vendors/review/").status_code == 403
    admin = client_for(make_user("root", is_superuser=True))
    assert "Approve @contoso" in admin.get("/vendors/review/").text
    page = admin.post(f"/vendors/applications/{application.pk}/decide/", {"decision": "maybe"}, follow=True)
    assert "Choose approve or decline." in page.text
    application.refresh_from_db()
    assert application.status == VendorApplication.Status.REVIEW
    page = admin.post(f"/vendors/applications/{application.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "Contoso Ltd joined Barnraise." in page.text
    assert Vendor.objects.get(handle="contoso").is_claimed


def test_propose_and_list_unclaimed_vendors(customer, moderator):
    page = client_for(customer).post("/vendors/propose/", {"name": "Contoso", "handle": "contoso"}, follow=True)
    assert "a moderator will look at it" in page.text
    assert client_for(customer).get("/vendors/unclaimed/").status_code == 403
    mod = client_for(moderator)
    proposal = VendorProposal.objects.get()
    assert "List @contoso" in mod.get("/vendors/unclaimed/").text
    assert "Choose list or decline." in mod.post(f"/vendors/proposals/{proposal.pk}/decide/", follow=True).text
    assert VendorProposal.objects.get().status == VendorProposal.Status.PENDING
    mod.post(f"/vendors/proposals/{proposal.pk}/decide/", {"decision": "list"})
    assert not Vendor.objects.get(handle="contoso").is_claimed
    page = mod.post("/vendors/unclaimed/", {"name": "Fabrikam", "handle": "fabr1kam"}, follow=True)
    assert page.redirect_chain[-1][0] == "/v/fabr1kam/"
    refused = mod.post("/vendors/unclaimed/", {"name": "Fabrikam again", "handle": "fabrikam"})
    assert refused.status_code == 400 and "looks too much like @fabr1kam" in refused.text


def test_claim_form_on_an_unclaimed_vendor(customer, moderator):
    from forum.actions import joining

    joining.list_unclaimed_vendor(moderator=moderator, name="Contoso", handle="contoso")
    client = client_for(customer)
    assert "Claim Contoso (@contoso)" in client.get("/v/contoso/claim/").text
    page = client.post("/v/contoso/claim/", {"domains": "contoso.example"}, follow=True)
    assert "Prove that Contoso owns these domains" in page.text
    assert VendorApplication.objects.get().is_claim
