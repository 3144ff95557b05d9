"""Unclaimed vendors: customers escalate to a company that has not joined; its page says so and shows only
its open escalations; the company claims it with a domain proof, inherits them, and its figures start then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum.actions import joining
from forum.actions import threads as thread_actions
from swarm import selectors
from swarm.actions import claims, escalations
from swarm.models import Escalation
from tests.conftest import client_for, make_user
from tests.dns_server import TxtServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def contoso(moderator):
    return joining.list_unclaimed_vendor(moderator=moderator, name="Contoso Ltd", handle="contoso")


def test_customers_escalate_to_an_unclaimed_vendor(customer, thread, contoso):
    escalation = escalations.escalate(user=customer, thread=thread, handle="@contoso")
    assert escalation.vendor == contoso and escalation.state == Escalation.State.OPEN
    page = client_for(None).get(thread.get_absolute_url()).text
    assert "Contoso Ltd has not joined Barnraise yet" in page and "not yet claimed" not in page
    body = "Could somebody from @contoso please help?"
    other = thread_actions.create_thread(author=customer, title="Laptop will not boot", body=body, tags="")
    assert Escalation.objects.get(thread=other).vendor == contoso  # tagging @contoso escalates too


def test_the_escalate_suggestions_say_which_vendors_have_not_joined(client, contoso, vendor):
    assert "Contoso Ltd (has not joined yet)" in client.get("/vendors/suggest/?q=con").text
    assert "Northwind Devices</option>" in client.get("/vendors/suggest/?q=north").text


def test_the_api_says_which_vendors_have_joined(client, contoso, vendor):
    listed = {v["handle"]: v["joined"] for v in client.get("/api/vendors").json()}
    assert listed == {"contoso": False, "northwind": True}


def test_the_unclaimed_page_says_it_has_not_joined_and_shows_only_open_escalations(
    client, customer, thread, contoso, staff
):
    escalations.escalate(user=customer, thread=thread, handle="contoso")
    solved = thread_actions.create_thread(author=customer, title="An older solved problem", body="x", tags="")
    done = escalations.escalate(user=customer, thread=solved, handle="contoso")
    Escalation.objects.filter(pk=done.pk).update(state=Escalation.State.CONFIRMED)  # as if long done
    body = client.get("/v/contoso/").text
    assert "Contoso Ltd has not joined Barnraise" in body
    assert thread.title in body  # its open escalation
    assert solved.title not in body  # nothing else
    for absent in ("Verified vendor", "data-metric", "Verified staff", "not committed", "How Contoso", "inbox"):
        assert absent not in body, absent
    assert "Claim this page" not in body  # only offered to people logged in
    assert "Claim this page" in client_for(customer).get("/v/contoso/").text


def test_claiming_inherits_open_escalations_and_figures_start_on_joining(customer, thread, contoso, settings):
    old = escalations.escalate(user=customer, thread=thread, handle="contoso")
    Escalation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    founder = make_user("olga")
    application = joining.start_claim(applicant=founder, vendor=contoso, domains=["contoso.example"])
    proof = application.domains.get()
    with TxtServer({"contoso.example": [proof.txt_record]}) as server:
        settings.VENDOR_DNS_RESOLVER, settings.VENDOR_DNS_PORT = server.host, server.port
        joining.check_dns_proof(user=founder, proof=proof)
    contoso.refresh_from_db()

    # The open escalation is the company's now: in its inbox, claimable by its first admin.
    inbox = client_for(founder).get("/v/contoso/inbox/")
    assert inbox.status_code == 200 and thread.title in inbox.text
    claims.claim(staff=founder, escalation=old)

    # A customer's new escalation after joining counts; the one from before does not.
    later = thread_actions.create_thread(author=customer, title="Screen flickers at night", body="x", tags="")
    escalations.escalate(user=customer, thread=later, handle="contoso")
    figures = selectors.vendor_metrics(vendor=contoso, days=30)
    assert figures.escalations == 1 and figures.median_claim is None
    body = client_for(None).get("/v/contoso/").text
    assert "has not joined" not in body and 'data-metric="escalations-30">1<' in body


def test_an_unclaimed_vendor_has_no_figures(contoso, customer, thread):
    escalations.escalate(user=customer, thread=thread, handle="contoso")
    assert selectors.vendor_metrics(vendor=contoso, days=30).escalations == 0


def test_a_joined_vendor_counts_from_its_joined_at(vendor, customer, thread):
    escalation = escalations.escalate(user=customer, thread=thread, handle="northwind")
    assert selectors.vendor_metrics(vendor=vendor, days=30).escalations == 1
    vendor.joined_at = escalation.created_at + timedelta(seconds=1)
    assert selectors.vendor_metrics(vendor=vendor, days=30).escalations == 0
