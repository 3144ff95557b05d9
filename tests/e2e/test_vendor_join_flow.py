"""Vendors join in a real browser: a moderator lists an unclaimed company, customers escalate to it,
the company claims it by DNS proof and inherits the open escalation; another applies and proves by email."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from swarm.actions import escalations
from tests.conftest import make_user
from tests.dns_server import TxtServer

from .conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def dns_records(settings):
    records: dict[str, list[str]] = {}
    with TxtServer(records) as server:
        settings.VENDOR_DNS_RESOLVER, settings.VENDOR_DNS_PORT = server.host, server.port
        settings.VENDOR_DNS_TIMEOUT = 2
        yield records


def test_list_escalate_claim_by_dns_and_inherit(new_page, moderator, customer, thread, dns_records):
    mod = new_page()
    log_in(mod, moderator.username)
    mod.goto("/vendors/unclaimed/")
    mod.get_by_label("Company name").fill("Contoso Ltd")
    mod.get_by_label("Handle").fill("contoso")
    with mod.expect_navigation():
        mod.get_by_role("button", name="List as unclaimed").click()
    expect(mod.locator(".messages")).to_contain_text("Listed @contoso")

    escalations.escalate(user=customer, thread=thread, handle="contoso")

    visitor = new_page()
    visitor.goto("/v/contoso/")
    expect(visitor.locator(".unclaimed-note")).to_contain_text("Contoso Ltd has not joined Barnraise")
    expect(visitor.locator("main")).to_contain_text(thread.title)
    expect(visitor.locator("main")).not_to_contain_text("Verified vendor")
    expect(visitor.locator("[data-metric]")).to_have_count(0)

    make_user("olga", email="olga@contoso.example")
    company = new_page()
    log_in(company, "olga")
    company.goto("/v/contoso/")
    with company.expect_navigation():
        company.get_by_role("link", name="Claim this page").click()
    company.get_by_label("Domains").fill("contoso.example")
    with company.expect_navigation():
        company.get_by_role("button", name="Start the claim").click()
    record = company.locator("code.txt-record").inner_text()
    assert re.fullmatch(r"barnraise-verification=[\w-]{20,}", record), record

    # First without the record: a clear message, nothing claimed.
    with company.expect_navigation():
        company.get_by_role("button", name="Check DNS for contoso.example").click()
    expect(company.locator(".messages")).to_contain_text("No barnraise-verification TXT record found")

    dns_records["contoso.example"] = [record]
    with company.expect_navigation():
        company.get_by_role("button", name="Check DNS for contoso.example").click()
    expect(company).to_have_url(re.compile(r"/v/contoso/$"))
    expect(company.locator(".messages")).to_contain_text("you are its first admin")
    with company.expect_navigation():
        company.get_by_role("link", name="Open the staff inbox").click()
    expect(company.locator("main")).to_contain_text(thread.title)  # the open escalation is inherited

    visitor.reload()
    expect(visitor.locator("main")).not_to_contain_text("has not joined")
    expect(visitor.locator("[data-metric=escalations-30]")).to_have_text("0")  # counted from joining on


def test_apply_and_prove_by_email(new_page, mailoutbox):
    make_user("olga")
    page = new_page()
    log_in(page, "olga")
    page.goto("/vendors/join/")
    page.get_by_label("Company name").fill("Fabrikam")
    page.get_by_label("Handle").fill("northwlnd")
    page.get_by_label("Description").fill("Garden tools.")
    page.get_by_label("Domains").fill("fabrikam.example")
    from forum.actions import vendors as vendor_actions

    vendor_actions.create_vendor(name="Northwind", handle="northwind")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(page.locator("#id_handle_error")).to_contain_text("looks too much like @northwind")
    page.get_by_label("Handle").fill("fabrikam")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()

    page.get_by_label("Address").fill("it")
    with page.expect_navigation():
        page.get_by_role("button", name="Email a link").click()
    expect(page.locator(".messages")).to_contain_text("Sent a link to it@fabrikam.example")
    assert mailoutbox[-1].to == ["it@fabrikam.example"]
    link = re.search(r"/vendors/proof/[^/\s]+/", mailoutbox[-1].body).group(0)

    mail_client = new_page()  # the mailbox's reader, not logged in
    mail_client.goto(link)
    with mail_client.expect_navigation():
        mail_client.get_by_role("button", name="Confirm fabrikam.example").click()
    expect(mail_client.locator(".messages")).to_contain_text("fabrikam.example is proven for Fabrikam")

    page.reload()
    expect(page.locator("[data-status]")).to_contain_text("Joined")
    page.goto("/v/fabrikam/")
    expect(page.get_by_role("link", name="Open the staff inbox")).to_be_visible()
