"""Vendors join on their own: apply, prove each domain (DNS TXT or a mailed link), become the first admin.

DNS proofs are looked up against a real DNS server the test starts on loopback; email proofs
go through Django's locmem outbox.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from forum.actions import joining
from forum.actions import vendors as vendor_actions
from forum.models import DomainProof, Membership, Vendor, VendorApplication, VendorDomain, VendorLog
from tests.conftest import client_for, make_user
from tests.dns_server import TxtServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dns_records(settings):
    """A real DNS server on loopback, answering TXT queries from the returned dict."""
    records: dict[str, list[str]] = {}
    with TxtServer(records) as server:
        settings.VENDOR_DNS_RESOLVER = server.host
        settings.VENDOR_DNS_PORT = server.port
        settings.VENDOR_DNS_TIMEOUT = 2
        yield records


@pytest.fixture
def founder(db):
    return make_user("olga", display_name="Olga Petrova")


def apply(founder, *, handle="contoso", domains=("contoso.example",), **extra) -> VendorApplication:
    return joining.apply_for_vendor(
        applicant=founder, name=extra.pop("name", "Contoso Ltd"), handle=handle, domains=list(domains), **extra
    )


def publish(records: dict, proof: DomainProof) -> None:
    records.setdefault(proof.domain, []).append(proof.txt_record)


# ---- Applying and proving by DNS ----


def test_apply_then_dns_proof_makes_the_vendor_and_its_first_admin(founder, dns_records):
    application = apply(founder, description="Office software.")
    assert not Vendor.objects.filter(handle="contoso").exists()  # nothing public before the proof
    proof = application.domains.get()
    publish(dns_records, proof)

    joining.check_dns_proof(user=founder, proof=proof)

    vendor = Vendor.objects.get(handle="contoso")
    assert vendor.is_claimed and vendor.description == "Office software."
    assert list(vendor.domains.values_list("domain", flat=True)) == ["contoso.example"]
    membership = Membership.objects.get(vendor=vendor)
    assert (membership.user, membership.role, membership.status, membership.via) == (
        founder,
        Membership.Role.ADMIN,
        Membership.Status.VERIFIED,
        Membership.Via.FOUNDER,
    )
    application.refresh_from_db()
    assert application.status == VendorApplication.Status.APPROVED and application.vendor == vendor
    assert list(VendorLog.objects.order_by("id").values_list("action", flat=True)) == ["applied", "joined"]


def test_every_domain_must_be_proven(founder, dns_records):
    application = apply(founder, domains=["contoso.example", "contoso-mail.example"])
    first, second = application.domains.all()
    publish(dns_records, first)
    joining.check_dns_proof(user=founder, proof=first)
    assert not Vendor.objects.filter(handle="contoso").exists()
    publish(dns_records, second)
    joining.check_dns_proof(user=founder, proof=second)
    assert set(Vendor.objects.get(handle="contoso").domains.values_list("domain", flat=True)) == {
        "contoso.example",
        "contoso-mail.example",
    }
    assert VendorLog.objects.filter(action="domain_proven").count() == 1


def _nothing_changed(application: VendorApplication, logs_before: int) -> None:
    assert not Vendor.objects.filter(handle=application.handle).exists()
    assert not application.domains.filter(verified_at__isnull=False).exists()
    assert VendorLog.objects.count() == logs_before


def test_missing_txt_record_is_refused(founder, dns_records):
    application = apply(founder)
    with pytest.raises(ValidationError, match=r"No barnraise-verification TXT record found on contoso\.example"):
        joining.check_dns_proof(user=founder, proof=application.domains.get())
    _nothing_changed(application, 1)


def test_wrong_txt_record_is_refused(founder, dns_records):
    application = apply(founder)
    dns_records["contoso.example"] = ["v=spf1 -all", "barnraise-verification=not-the-token"]
    with pytest.raises(ValidationError, match="does not match this application"):
        joining.check_dns_proof(user=founder, proof=application.domains.get())
    _nothing_changed(application, 1)


def test_a_token_reused_for_another_vendor_is_refused(founder, dns_records):
    """The TXT record put up for one application does not prove the domain for another vendor."""
    first = apply(founder, handle="contoso", domains=["contoso.example"])
    squatter = make_user("sam")
    second = apply(squatter, handle="fabrikam", name="Fabrikam", domains=["contoso.example"])
    publish(dns_records, first.domains.get())
    with pytest.raises(ValidationError, match="carries the token of another application"):
        joining.check_dns_proof(user=squatter, proof=second.domains.get())
    _nothing_changed(second, 2)


def test_a_dns_server_that_times_out_changes_nothing(founder, settings):
    application = apply(founder)
    with TxtServer(silent=True) as server:
        settings.VENDOR_DNS_RESOLVER, settings.VENDOR_DNS_PORT = server.host, server.port
        settings.VENDOR_DNS_TIMEOUT = 0.5
        with pytest.raises(ValidationError, match=r"The DNS server did not answer for contoso\.example"):
            joining.check_dns_proof(user=founder, proof=application.domains.get())
        assert server.queries, "the resolver asked the test's server"
    _nothing_changed(application, 1)


def test_only_the_applicant_proves(founder, customer, dns_records):
    application = apply(founder)
    publish(dns_records, application.domains.get())
    with pytest.raises(PermissionDenied):
        joining.check_dns_proof(user=customer, proof=application.domains.get())
    _nothing_changed(application, 1)


def test_a_domain_proven_by_another_vendor_first_is_refused(founder, vendor, dns_records):
    application = apply(founder, domains=["contoso.example"])
    VendorDomain.objects.create(vendor=vendor, domain="contoso.example")  # e.g. added by a site admin meanwhile
    publish(dns_records, application.domains.get())
    with pytest.raises(ValidationError, match=r"contoso\.example already belongs to @northwind"):
        joining.check_dns_proof(user=founder, proof=application.domains.get())
    assert not Vendor.objects.filter(handle="contoso").exists()


# ---- Approval by a site admin ----


def test_approval_required_waits_for_a_site_admin(founder, dns_records, settings, customer):
    settings.VENDOR_APPROVAL_REQUIRED = True
    application = apply(founder)
    publish(dns_records, application.domains.get())
    joining.check_dns_proof(user=founder, proof=application.domains.get())
    application.refresh_from_db()
    assert application.status == VendorApplication.Status.REVIEW
    assert not Vendor.objects.filter(handle="contoso").exists()
    # While it waits, nobody else may take the handle or a look-alike, nor list it as unclaimed.
    with pytest.raises(ValidationError, match="@contoso is taken"):
        apply(customer, handle="contoso", domains=["other.example"])
    with pytest.raises(ValidationError, match="looks too much like @contoso"):
        joining.list_unclaimed_vendor(moderator=make_user("mo", is_moderator=True), name="C", handle="c0ntoso")
    for someone in (customer, founder):
        with pytest.raises(PermissionDenied, match="Only site admins"):
            joining.approve_application(admin=someone, application=application)
    admin = make_user("root", is_superuser=True)
    joining.approve_application(admin=admin, application=application)
    vendor = Vendor.objects.get(handle="contoso")
    assert Membership.objects.get(vendor=vendor).user == founder
    assert VendorLog.objects.get(action="joined").actor == admin


def test_a_site_admin_declines(founder, dns_records, settings):
    settings.VENDOR_APPROVAL_REQUIRED = True
    application = apply(founder)
    admin = make_user("root", is_superuser=True)
    joining.decline_application(admin=admin, application=application, reason="Not a company.")
    application.refresh_from_db()
    assert application.status == VendorApplication.Status.DECLINED
    publish(dns_records, application.domains.get())
    with pytest.raises(ValidationError, match="no longer waiting for proof"):
        joining.check_dns_proof(user=founder, proof=application.domains.get())


# ---- Proving by a mailed link ----


@pytest.fixture
def send_proof(django_capture_on_commit_callbacks):
    """send_email_proof, with its after-commit email sent (the test's transaction never commits)."""

    def send(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return joining.send_email_proof(**kwargs)

    return send


def _link(message) -> str:
    return re.search(r"/vendors/proof/[^/\s]+/", message.body).group(0)


def test_email_proof_is_signed_single_use_and_changes_nothing_on_get(founder, mailoutbox, send_proof):
    application = apply(founder)
    proof = application.domains.get()
    send_proof(user=founder, proof=proof, address="it-admin")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["it-admin@contoso.example"]
    link = _link(mailoutbox[0])

    visitor = client_for(None)  # whoever reads that mailbox: not logged in
    page = visitor.get(link)
    assert page.status_code == 200 and "Confirm contoso.example" in page.text
    assert not Vendor.objects.filter(handle="contoso").exists()  # a GET never writes

    visitor.post(link)
    vendor = Vendor.objects.get(handle="contoso")
    assert Membership.objects.get(vendor=vendor).user == founder  # the applicant, not the mailbox reader
    assert DomainProof.objects.get(pk=proof.pk).method == DomainProof.Method.EMAIL

    again = visitor.post(link)
    assert again.status_code == 400 and "already used" in again.text


def test_a_newer_email_link_replaces_the_older(founder, mailoutbox, send_proof):
    proof = apply(founder).domains.get()
    send_proof(user=founder, proof=proof, address="a")
    send_proof(user=founder, proof=proof, address="b@contoso.example")
    old, new = _link(mailoutbox[0]), _link(mailoutbox[1])
    response = client_for(None).post(old)
    assert response.status_code == 400 and "a newer one was sent" in response.text
    assert not Vendor.objects.exists()
    client_for(None).post(new)
    assert Vendor.objects.filter(handle="contoso").exists()


def test_an_expired_or_forged_link_is_refused(founder, mailoutbox, settings, send_proof):
    proof = apply(founder).domains.get()
    send_proof(user=founder, proof=proof, address="admin")
    link = _link(mailoutbox[0])
    forged = client_for(None).post(link[:-3] + "xx/")
    assert forged.status_code == 400 and "not valid" in forged.text
    settings.VENDOR_EMAIL_PROOF_MAX_AGE = -1
    expired = client_for(None).post(link)
    assert expired.status_code == 400 and "expired" in expired.text
    assert not Vendor.objects.exists()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("boss@evil.example", "must be at contoso.example itself"),
        ("boss@mail.contoso.example", "must be at contoso.example itself"),
        ("no spaces", "is not an email address"),
        ("", "is not an email address"),
    ],
)
def test_the_proof_address_must_be_at_the_domain(founder, mailoutbox, address, message, send_proof):
    proof = apply(founder).domains.get()
    with pytest.raises(ValidationError, match=message):
        send_proof(user=founder, proof=proof, address=address)
    assert mailoutbox == []
    assert DomainProof.objects.get(pk=proof.pk).email == ""


# ---- Who may apply, and bad input ----


def test_unverified_or_suspended_people_cannot_apply(db):
    unverified = make_user("una", verified_email=False)
    with pytest.raises(PermissionDenied, match="Verify your email address first"):
        apply(unverified)
    suspended = make_user("sus", suspended_at=timezone.now())
    with pytest.raises(PermissionDenied, match="suspended"):
        apply(suspended)
    assert not VendorApplication.objects.exists()


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("localhost", "has no dot"),
        ("192.168.1.10", "is an IP address"),
        ("[::1]", "is an IP address"),
        ("https://contoso.example/", "without http://"),
        ("boss@contoso.example", "without http://"),
        ("a" * 64 + ".example", "not a valid domain name"),
        ("x." * 127 + "example", "too long"),
        ("con toso.example", "not a valid domain name"),
        ("-contoso.example", "not a valid domain name"),
        ("xn--zz.example", "not a valid domain name"),
        ("northwind.example", "already belongs to @northwind"),
        ("", "at least one domain"),
    ],
)
def test_bad_domains_are_refused(founder, vendor, domain, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        apply(founder, domains=[domain])
    assert not VendorApplication.objects.exists()
    assert not DomainProof.objects.exists()


def test_too_many_domains_are_refused_at_once(founder):
    with pytest.raises(ValidationError, match="Give at most 5 domains"):
        apply(founder, domains=[f"d{i}.example" for i in range(100_000)])
    assert not VendorApplication.objects.exists()


def test_international_domains_are_kept_in_ascii(founder):
    application = apply(founder, domains=["Bücher.Example."])
    assert application.domains.get().domain == "xn--bcher-kva.example"


def test_a_10_kb_description_is_refused(founder):
    with pytest.raises(ValidationError, match="The description is 10,240 characters long; the limit is 2,000"):
        apply(founder, description="x" * 10_240)
    assert not VendorApplication.objects.exists()


def test_a_repeated_form_creates_one_application(founder):
    first = apply(founder, idempotency_key="k" * 20)
    again = apply(founder, idempotency_key="k" * 20)
    assert first.pk == again.pk and VendorApplication.objects.count() == 1


# ---- Handles: unique ignoring case, no look-alikes ----


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("northwind", "@northwind is taken"),
        ("NorthWind", "@northwind is taken"),
        ("northwlnd", "looks too much like @northwind"),
        ("n0rthwind", "looks too much like @northwind"),
        ("north-wind", "looks too much like @northwind"),
        ("nоrthwind", "looks too much like @northwind"),  # Cyrillic о
        ("ոorthwind", "looks too much like @northwind"),  # Armenian vo
        ("northw1nd", "looks too much like @northwind"),
        ("rnicrosoft", "looks too much like @microsoft"),
        ("vvidget", "looks too much like @widget"),
        ("wіdgеt", "looks too much like @widget"),  # Cyrillic і and е
    ],
)
def test_taken_and_confusable_handles_are_refused(founder, vendor, handle, message):
    vendor_actions.create_vendor(name="Microsoft", handle="microsoft")
    joining.list_unclaimed_vendor(moderator=make_user("mo", is_moderator=True), name="Widget Co", handle="widget")
    with pytest.raises(ValidationError, match=message):
        apply(founder, handle=handle)
    with pytest.raises(ValidationError, match=message):  # the admins' path refuses it the same way
        vendor_actions.create_vendor(name="Look-alike", handle=handle)
    assert Vendor.objects.count() == 3 and not VendorApplication.objects.exists()


def test_other_characters_are_named():
    with pytest.raises(ValidationError, match=r"“ж” \(Cyrillic Small Letter Zhe\) is not one of them"):
        vendor_actions.create_vendor(name="Zh", handle="жwave")


def test_different_handles_are_fine(founder, vendor):
    for handle in ("northwest", "southwind", "contoso"):
        apply(founder, handle=handle, domains=[f"{handle}.example"])
    assert VendorApplication.objects.count() == 3


def test_the_admin_cannot_rename_a_vendor_nor_add_a_look_alike(vendor, other_vendor):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client = client_for(admin)
    data = {
        "name": other_vendor.name,
        "handle": "n0rthwind",
        "description": "",
        "website": "",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
    }
    client.post(f"/admin/forum/vendor/{other_vendor.pk}/change/", data)  # the handle is read-only there
    other_vendor.refresh_from_db()
    assert other_vendor.handle == "bluewave"
    response = client.post("/admin/forum/vendor/add/", data | {"name": "Copy", "handle": "northwlnd"})
    assert "looks too much like @northwind" in response.text
    assert not Vendor.objects.filter(name="Copy").exists()
    for page in ("vendorlog", "vendorapplication"):  # the joining record is readable there
        assert client.get(f"/admin/forum/{page}/").status_code == 200


def test_the_database_refuses_the_same_handle_in_another_case(vendor):
    """Even a write that skips validation (a bulk import) cannot add @NorthWind next to @northwind."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Vendor.objects.create(name="Shadow", handle="NorthWind", joined_at=timezone.now())


# ---- Unclaimed vendors ----


def test_moderators_list_unclaimed_vendors_and_others_cannot(customer):
    moderator = make_user("mo", is_moderator=True)
    with pytest.raises(PermissionDenied):
        joining.list_unclaimed_vendor(moderator=customer, name="Contoso", handle="contoso")
    vendor = joining.list_unclaimed_vendor(moderator=moderator, name="Contoso", handle="contoso")
    assert vendor.joined_at is None and not vendor.domains.exists()
    assert VendorLog.objects.get().action == "listed"


def test_a_customer_proposes_and_a_moderator_lists(customer):
    moderator = make_user("mo", is_moderator=True)
    proposal = joining.propose_vendor(user=customer, name="Contoso", handle="contoso", note="Their laptops")
    with pytest.raises(ValidationError, match="already proposed"):
        joining.propose_vendor(user=make_user("mei2"), name="Contoso", handle="contoso")
    with pytest.raises(PermissionDenied):
        joining.decide_proposal(moderator=customer, proposal=proposal, approve=True)
    joining.decide_proposal(moderator=moderator, proposal=proposal, approve=True)
    vendor = Vendor.objects.get(handle="contoso")
    assert not vendor.is_claimed
    with pytest.raises(ValidationError, match="already decided"):
        joining.decide_proposal(moderator=moderator, proposal=proposal, approve=False)
    declined = joining.propose_vendor(user=customer, name="Fabrikam", handle="fabrikam")
    joining.decide_proposal(moderator=moderator, proposal=declined, approve=False)
    assert not Vendor.objects.filter(handle="fabrikam").exists()


def test_nobody_joins_an_unclaimed_vendor_as_staff(customer):
    vendor = joining.list_unclaimed_vendor(moderator=make_user("mo", is_moderator=True), name="C", handle="contoso")
    with pytest.raises(ValidationError, match="has not joined Barnraise yet"):
        vendor_actions.request_membership(user=customer, vendor=vendor)


def test_claiming_an_unclaimed_vendor_by_dns(founder, dns_records):
    vendor = joining.list_unclaimed_vendor(moderator=make_user("mo", is_moderator=True), name="C", handle="contoso")
    application = joining.start_claim(applicant=founder, vendor=vendor, domains=["contoso.example"])
    publish(dns_records, application.domains.get())
    before = timezone.now()
    joining.check_dns_proof(user=founder, proof=application.domains.get())
    vendor.refresh_from_db()
    assert vendor.joined_at >= before
    assert Membership.objects.get(vendor=vendor).role == Membership.Role.ADMIN
    assert VendorLog.objects.filter(vendor=vendor).latest("id").action == "claimed"
    with pytest.raises(ValidationError, match="already on Barnraise"):
        joining.start_claim(applicant=make_user("late"), vendor=vendor, domains=["late.example"])


def test_two_claims_race_and_the_second_is_refused(founder, dns_records):
    vendor = joining.list_unclaimed_vendor(moderator=make_user("mo", is_moderator=True), name="C", handle="contoso")
    first = joining.start_claim(applicant=founder, vendor=vendor, domains=["contoso.example"])
    second = joining.start_claim(applicant=make_user("rival"), vendor=vendor, domains=["contoso.dev"])
    publish(dns_records, first.domains.get())
    publish(dns_records, second.domains.get())
    joining.check_dns_proof(user=founder, proof=first.domains.get())
    with pytest.raises(ValidationError, match="already been claimed"):
        joining.check_dns_proof(user=second.applicant, proof=second.domains.get())
    assert Membership.objects.filter(vendor=vendor).count() == 1
    assert not VendorDomain.objects.filter(domain="contoso.dev").exists()
    assert not second.domains.filter(verified_at__isnull=False).exists()


def test_joined_at_defaults_to_now_for_site_admins(db):
    vendor = vendor_actions.create_vendor(name="Acme", handle="acme", domains=["acme.example"])
    assert timezone.now() - vendor.joined_at < timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_two_look_alikes_created_at_the_same_time_cannot_both_pass():
    """The skeleton has no unique index: taking a handle is serialised, so the second one sees the first."""
    import threading

    from django.db import connection

    from forum import handles

    inside, release = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                handles.lock_handles()
                Vendor.objects.create(name="Northwind", handle="northwind")
                inside.set()
                release.wait(5)
        finally:
            connection.close()

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(5)
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(vendor_actions.create_vendor(name="Look-alike", handle="n0rthwind"))
        except ValidationError as error:
            outcome.append(error)
        finally:
            connection.close()

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(0.5)
    assert racer.is_alive(), "the second creation waits for the first transaction"
    release.set()
    holder.join(5)
    racer.join(5)
    assert isinstance(outcome[0], ValidationError) and "looks too much like @northwind" in outcome[0].messages[0]
    assert list(Vendor.objects.values_list("handle", flat=True)) == ["northwind"]
