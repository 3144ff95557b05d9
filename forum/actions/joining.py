"""Vendors joining Barnraise: apply, prove each domain, (be approved), become the first admin.

The same proof claims an unclaimed vendor, which moderators list (on their own or from a
customer's proposal). Each action writes one VendorLog row in its transaction; a refusal
changes nothing. See docs/vendors.md.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from forum import access, handles, idempotency, ratelimit
from forum import domains as domain_rules
from forum.actions import vendors as vendor_actions
from forum.models import DomainProof, User, Vendor, VendorApplication, VendorLog, VendorProposal

logger = logging.getLogger(__name__)
Status = VendorApplication.Status


# ---- Applying ----


def apply_for_vendor(
    *,
    applicant: User,
    name: str,
    handle: str,
    description: str = "",
    domains: list[str],
    idempotency_key: str | None = None,
) -> VendorApplication:
    """Ask to put a new vendor on Barnraise. Nothing is public until every domain is proven."""
    require_applicant(applicant)
    name = vendor_actions.clean_vendor_name(name)
    description = vendor_actions.clean_vendor_description(description)
    handle = handles.check_handle(handle)
    cleaned = vendor_actions.require_unowned_domains(domain_rules.clean_domains(domains))
    return _open_application(
        applicant=applicant,
        name=name,
        handle=handle,
        description=description,
        domains=cleaned,
        vendor=None,
        idempotency_key=idempotency_key,
    )


def start_claim(
    *, applicant: User, vendor: Vendor, domains: list[str], description: str = "", idempotency_key: str | None = None
) -> VendorApplication:
    """The company behind an unclaimed vendor asks to take its page over, with the same domain proof."""
    require_applicant(applicant)
    if vendor.is_claimed:
        raise ValidationError(
            gettext("%(name)s is already on Barnraise: there is nothing to claim.") % {"name": vendor.name},
            code="claimed",
        )
    description = vendor_actions.clean_vendor_description(description)
    cleaned = vendor_actions.require_unowned_domains(domain_rules.clean_domains(domains))
    return _open_application(
        applicant=applicant,
        name=vendor.name,
        handle=vendor.handle,
        description=description,
        domains=cleaned,
        vendor=vendor,
        idempotency_key=idempotency_key,
    )


def _open_application(
    *,
    applicant: User,
    name: str,
    handle: str,
    description: str,
    domains: list[str],
    vendor: Vendor | None,
    idempotency_key: str | None,
) -> VendorApplication:
    scope = "vendor_claim" if vendor else "vendor_application"
    with transaction.atomic():
        earlier = idempotency.earlier_result(user=applicant, key=idempotency_key, scope=scope)
        if earlier is not None:
            return idempotency.existing(VendorApplication.objects.all(), earlier)
        application = VendorApplication.objects.create(
            applicant=applicant,
            vendor=vendor,
            is_claim=vendor is not None,
            name=name,
            handle=handle,
            description=description,
        )
        DomainProof.objects.bulk_create(
            [DomainProof(application=application, domain=d, token=secrets.token_urlsafe(24)) for d in domains]
        )
        action = VendorLog.Action.CLAIM_STARTED if vendor else VendorLog.Action.APPLIED
        _log(action, actor=applicant, application=application, vendor=vendor, data={"domains": domains})
        idempotency.remember_result(user=applicant, key=idempotency_key, result_id=application.pk)
    return application


# ---- Proving a domain ----


def check_dns_proof(*, user: User, proof: DomainProof) -> VendorApplication:
    """Look the TXT record up now; the domain is proven when it carries this application's token."""
    _require_own_open_proof(user, proof)
    domain = proof.domain
    try:
        tokens = domain_rules.verification_tokens(domain)  # outside any transaction: the network may be slow
    except domain_rules.DnsUnavailableError:
        logger.info("DNS lookup for %s failed", domain, exc_info=True)
        raise ValidationError(
            gettext("The DNS server did not answer for %(domain)s; nothing was changed. Try again in a few minutes.")
            % {"domain": domain},
            code="dns_unavailable",
        ) from None
    if proof.token not in tokens:
        raise ValidationError(_txt_refusal(proof, tokens), code="txt_missing" if not tokens else "txt_wrong")
    return _prove(proof_id=proof.pk, method=DomainProof.Method.DNS, actor=user)


def _txt_refusal(proof: DomainProof, tokens: list[str]) -> str:
    wanted = gettext("Add a TXT record “%(txt_record)s” to %(domain)s") % {
        "txt_record": proof.txt_record,
        "domain": proof.domain,
    }
    if not tokens:
        return gettext(
            "No barnraise-verification TXT record found on %(domain)s "
            "yet. %(wanted)s; DNS changes can take a while to appear."
        ) % {"domain": proof.domain, "wanted": wanted}
    if DomainProof.objects.filter(token__in=tokens).exclude(pk=proof.pk).exists():
        return gettext(
            "The TXT record on %(domain)s carries the token of another application. "
            "A token proves one domain for one application only. %(wanted)s."
        ) % {"domain": proof.domain, "wanted": wanted}
    return gettext(
        "The barnraise-verification TXT record on %(domain)s does not match this application. %(wanted)s."
    ) % {"domain": proof.domain, "wanted": wanted}


def send_email_proof(*, user: User, proof: DomainProof, address: str) -> DomainProof:
    """Mail a link to an address at the domain; opening it and confirming proves the domain.

    A new link replaces the earlier one (only the newest works).
    """
    _require_own_open_proof(user, proof)
    email = domain_rules.clean_proof_address(address, proof.domain)
    ratelimit.check(user_id=user.pk, action="vendor_proof_email")
    nonce = secrets.token_urlsafe(16)
    with transaction.atomic():
        proof = DomainProof.objects.select_for_update().get(pk=proof.pk)
        proof.email = email
        proof.email_nonce = nonce
        proof.save(update_fields=["email", "email_nonce"])
        _log(
            VendorLog.Action.PROOF_MAILED,
            actor=user,
            application=proof.application,
            data={"domain": proof.domain, "email": email},
        )
        transaction.on_commit(lambda: _enqueue_proof_email(proof.pk, nonce))
    return proof


def _enqueue_proof_email(proof_id: int, nonce: str) -> None:
    from forum.tasks import send_domain_proof_email  # late: tasks import the mail machinery

    try:
        send_domain_proof_email.enqueue(proof_id=proof_id, nonce=nonce)
    except Exception:  # the email must never break a committed write; asking again sends a new link
        logger.warning("Domain proof email %s could not be queued", proof_id, exc_info=True)


def proof_email(*, proof_id: int, nonce: str) -> EmailMessage | None:
    """The email carrying the link, or None when a newer link replaced it or the domain is proven."""
    proof = DomainProof.objects.select_related("application__applicant").filter(pk=proof_id).first()
    if proof is None or proof.email_nonce != nonce or proof.verified_at is not None:
        return None
    application = proof.application
    key = domain_rules.sign_proof_link(proof_id=proof.pk, nonce=nonce)
    link = settings.SITE_URL + reverse("forum:vendor_proof_link", args=[key])
    hours = settings.VENDOR_EMAIL_PROOF_MAX_AGE // 3600
    body = gettext(
        "%(applicant)s asked to put %(name)s (@%(handle)s) on Barnraise,\n"
        "and named %(domain)s as one of its domains.\n\n"
        "If that is right, open this link and confirm (it works once, for %(hours)s hours):\n\n%(link)s\n\n"
        "If you did not expect this, ignore this email: nothing happens without the link.\n"
    ) % {
        "applicant": application.applicant.name,
        "name": application.name,
        "handle": application.handle,
        "domain": proof.domain,
        "hours": hours,
        "link": link,
    }
    subject = gettext("[Barnraise] Confirm that %(name)s owns %(domain)s") % {
        "name": application.name,
        "domain": proof.domain,
    }
    return EmailMessage(subject, body, None, [proof.email])


def proof_for_link(key: str) -> DomainProof:
    """The proof a mailed link is for, if the link is still good (a GET shows it; nothing changes)."""
    proof_id, nonce = domain_rules.read_proof_link(key)
    proof = DomainProof.objects.select_related("application").filter(pk=proof_id).first()
    if proof is None or not proof.email_nonce or not secrets.compare_digest(proof.email_nonce, nonce):
        raise ValidationError(
            gettext("This link was already used, or a newer one was sent. Use the newest email."), code="link_used"
        )
    if not proof.application.is_open or proof.verified_at is not None:
        raise ValidationError(gettext("This domain is already proven, or the application is closed."), code="link_used")
    return proof


def confirm_email_proof(*, key: str, user: User | None = None) -> VendorApplication:
    """Whoever reads the mailbox confirms the link (logged in or not): the domain is proven, once."""
    proof = proof_for_link(key)
    _, nonce = domain_rules.read_proof_link(key)
    with transaction.atomic():
        locked = DomainProof.objects.select_for_update().get(pk=proof.pk)
        if locked.email_nonce != nonce:  # a concurrent confirmation used it first
            raise ValidationError(gettext("This link was already used."), code="link_used")
        locked.email_nonce = ""
        locked.save(update_fields=["email_nonce"])
        return _prove(proof_id=proof.pk, method=DomainProof.Method.EMAIL, actor=user)


def _prove(*, proof_id: int, method: str, actor: User | None) -> VendorApplication:
    """Mark one domain proven; with every domain proven, join (or wait for a site admin)."""
    with transaction.atomic():
        proof = DomainProof.objects.select_for_update().get(pk=proof_id)
        application = VendorApplication.objects.select_for_update().get(pk=proof.application_id)
        if proof.verified_at is not None:  # a double click: proven already
            return application
        if application.status != Status.PROVING:
            raise ValidationError(gettext("This application is no longer waiting for proof."), code="not_proving")
        vendor_actions.require_unowned_domains([proof.domain])  # another vendor may have proven it meanwhile
        proof.verified_at = timezone.now()
        proof.method = method
        proof.save(update_fields=["verified_at", "method"])
        data = {"domain": proof.domain, "method": method, "email": proof.email if method == "email" else ""}
        if application.domains.filter(verified_at__isnull=True).exists():
            _log(VendorLog.Action.DOMAIN_PROVEN, actor=actor, application=application, data=data)
        elif settings.VENDOR_APPROVAL_REQUIRED:
            if not application.is_claim:  # two proven applications must not wait for the same handle
                handles.lock_handles()
                handles.check_handle(application.handle)
            application.status = Status.REVIEW
            application.save(update_fields=["status"])
            _log(VendorLog.Action.DOMAIN_PROVEN, actor=actor, application=application, data=data | {"review": True})
        else:
            _join(application, decided_by=None, data=data)
    return application


# ---- Site admins' review ----


def approve_application(*, admin: User, application: VendorApplication) -> VendorApplication:
    access.require(access.can_review_vendors(admin), gettext("Only site admins approve new vendors."))
    with transaction.atomic():
        application = VendorApplication.objects.select_for_update().get(pk=application.pk)
        if application.status != Status.REVIEW:
            raise ValidationError(
                gettext("Only an application whose domains are all proven can be approved."), code="not_in_review"
            )
        _join(application, decided_by=admin, data={})
    return application


def decline_application(*, admin: User, application: VendorApplication, reason: str = "") -> VendorApplication:
    access.require(access.can_review_vendors(admin), gettext("Only site admins decline applications."))
    reason = reason.strip()[:500]
    with transaction.atomic():
        application = VendorApplication.objects.select_for_update().get(pk=application.pk)
        if not application.is_open:
            raise ValidationError(gettext("This application is already decided."), code="decided")
        application.status = Status.DECLINED
        application.decided_at = timezone.now()
        application.decided_by = admin
        application.decline_reason = reason
        application.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
        _log(VendorLog.Action.DECLINED, actor=admin, application=application, data={"reason": reason})
    return application


def _join(application: VendorApplication, *, decided_by: User | None, data: dict) -> None:
    """Create (or claim) the vendor with its proven domains; the applicant is its first admin."""
    domains = list(application.domains.values_list("domain", flat=True))
    # Decided first, so that its own handle no longer counts as waiting for review.
    application.status = Status.APPROVED
    application.decided_at = timezone.now()
    application.decided_by = decided_by
    application.save(update_fields=["status", "decided_at", "decided_by"])
    if application.is_claim:
        vendor = vendor_actions.mark_joined(
            vendor=application.vendor, domains=domains, description=application.description
        )
        action = VendorLog.Action.CLAIMED
    else:
        try:
            handles.check_handle(application.handle)
        except ValidationError as error:
            raise ValidationError(
                gettext("%(value)s (It was taken while this application waited; apply again with another.)")
                % {"value": error.messages[0]},
                code="handle_taken_meanwhile",
            ) from None
        vendor = vendor_actions.create_vendor(
            name=application.name, handle=application.handle, description=application.description, domains=domains
        )
        action = VendorLog.Action.JOINED
        application.vendor = vendor
        application.save(update_fields=["vendor"])
    vendor_actions.add_founding_admin(vendor=vendor, user=application.applicant)
    _log(action, actor=decided_by or application.applicant, application=application, vendor=vendor, data=data)
    logger.info("Vendor @%s %s; first admin %s", vendor.handle, action, application.applicant)


# ---- Unclaimed vendors ----


def propose_vendor(*, user: User, name: str, handle: str, note: str = "") -> VendorProposal:
    """A customer asks moderators to list a company customers can escalate to before it joins."""
    require_applicant(user)
    name = vendor_actions.clean_vendor_name(name)
    handle = handles.check_handle(handle)
    if VendorProposal.objects.filter(handle=handle, status=VendorProposal.Status.PENDING).exists():
        raise ValidationError(
            gettext("@%(handle)s is already proposed and waiting for a moderator.") % {"handle": handle},
            code="proposed",
        )
    with transaction.atomic():
        proposal = VendorProposal.objects.create(proposed_by=user, name=name, handle=handle, note=note.strip()[:500])
        _log(VendorLog.Action.PROPOSED, actor=user, proposal=proposal, data={"handle": handle})
    return proposal


def list_unclaimed_vendor(*, moderator: User, name: str, handle: str, description: str = "") -> Vendor:
    """A moderator lists a company as an unclaimed vendor: customers can escalate to it."""
    access.require(access.can_list_unclaimed(moderator), gettext("Only moderators list unclaimed vendors."))
    with transaction.atomic():
        return _list_unclaimed(moderator=moderator, name=name, handle=handle, description=description, proposal=None)


def decide_proposal(*, moderator: User, proposal: VendorProposal, approve: bool) -> VendorProposal:
    access.require(access.can_list_unclaimed(moderator), gettext("Only moderators decide proposed vendors."))
    with transaction.atomic():
        proposal = VendorProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != VendorProposal.Status.PENDING:
            raise ValidationError(gettext("This proposal is already decided."), code="decided")
        proposal.decided_at = timezone.now()
        proposal.decided_by = moderator
        if approve:
            proposal.vendor = _list_unclaimed(
                moderator=moderator, name=proposal.name, handle=proposal.handle, description="", proposal=proposal
            )
            proposal.status = VendorProposal.Status.LISTED
        else:
            proposal.status = VendorProposal.Status.DECLINED
            _log(VendorLog.Action.PROPOSAL_DECLINED, actor=moderator, proposal=proposal, data={})
        proposal.save(update_fields=["status", "vendor", "decided_at", "decided_by"])
    return proposal


def _list_unclaimed(
    *, moderator: User, name: str, handle: str, description: str, proposal: VendorProposal | None
) -> Vendor:
    vendor = vendor_actions.create_vendor(name=name, handle=handle, description=description, unclaimed=True)
    _log(VendorLog.Action.LISTED, actor=moderator, vendor=vendor, proposal=proposal, data={"handle": vendor.handle})
    return vendor


# ---- Shared checks ----


def require_applicant(user: User) -> None:
    access.require_participant(user, gettext("Log in to put a vendor on Barnraise."))
    access.require(
        access.can_apply_for_vendor(user), gettext("Verify your email address first (Account → Email), then apply.")
    )


def _require_own_open_proof(user: User, proof: DomainProof) -> None:
    access.require_participant(user, gettext("Log in to prove a domain."))
    access.require(
        proof.application.applicant_id == user.pk, gettext("Only the person who applied can prove its domains.")
    )
    if proof.application.status != Status.PROVING:
        raise ValidationError(gettext("This application is no longer waiting for proof."), code="not_proving")
    if proof.verified_at is not None:
        raise ValidationError(gettext("%(domain)s is already proven.") % {"domain": proof.domain}, code="proven")


def _log(
    action: str,
    *,
    actor: User | None,
    application: VendorApplication | None = None,
    vendor: Vendor | None = None,
    proposal: VendorProposal | None = None,
    data: dict,
) -> VendorLog:
    if vendor is None and application is not None:
        vendor = application.vendor
    return VendorLog.objects.create(
        action=action, actor=actor, vendor=vendor, application=application, proposal=proposal, data=data
    )
