"""Vendors joining Barnraise: applications with domain proofs, proposals of unclaimed vendors, and their log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy


class VendorApplication(models.Model):
    """Someone asks to put a vendor on Barnraise (``vendor`` null) or to claim an unclaimed one (``vendor`` set).

    Every domain must be proven before the vendor is created or claimed; then, if
    ``VENDOR_APPROVAL_REQUIRED``, a site admin approves.
    """

    class Status(models.TextChoices):
        PROVING = "proving", gettext_lazy("Waiting for domain proof")
        REVIEW = "review", gettext_lazy("Waiting for a site admin")
        APPROVED = "approved", pgettext_lazy("vendor application", "Joined")
        DECLINED = "declined", gettext_lazy("Declined")

    DESCRIPTION_MAX = 2000

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_applications"
    )
    # The unclaimed vendor being claimed, or (once approved) the vendor created.
    vendor = models.ForeignKey(
        "forum.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="applications"
    )
    is_claim = models.BooleanField(default=False)
    name = models.CharField(max_length=100)
    handle = models.CharField(max_length=30)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROVING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="vendorapp_status_created")]

    def __str__(self) -> str:
        return f"{'Claim of' if self.is_claim else 'Application for'} @{self.handle} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PROVING, self.Status.REVIEW)


class DomainProof(models.Model):
    """One domain of an application, and the proof of control: a DNS TXT record or a mailed link."""

    class Method(models.TextChoices):
        DNS = "dns", gettext_lazy("DNS TXT record")
        EMAIL = "email", gettext_lazy("Link mailed to an address at the domain")

    application = models.ForeignKey(VendorApplication, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    # barnraise-verification=<token>: one per application and domain, never reused.
    token = models.CharField(max_length=64, unique=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    # The mailed link: where it went, and the nonce it carries (cleared when used: single use).
    email = models.EmailField(max_length=254, blank=True)
    email_nonce = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "domain"], name="domainproof_unique_application_domain")
        ]

    def __str__(self) -> str:
        return f"{self.domain} ({'proven' if self.verified_at else 'not proven'})"

    @property
    def txt_record(self) -> str:
        return f"barnraise-verification={self.token}"


class VendorProposal(models.Model):
    """A customer asks moderators to list a company that is not on Barnraise as an unclaimed vendor."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for a moderator")
        LISTED = "listed", gettext_lazy("Listed")
        DECLINED = "declined", gettext_lazy("Declined")

    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    handle = models.CharField(max_length=30)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Proposal of @{self.handle} ({self.status})"


class VendorLog(models.Model):
    """Audit row: one per change in a vendor's joining (who, what, when). Shown to site admins."""

    class Action(models.TextChoices):
        APPLIED = "applied", gettext_lazy("Applied for a vendor")
        CLAIM_STARTED = "claim_started", gettext_lazy("Started claiming an unclaimed vendor")
        PROOF_MAILED = "proof_mailed", gettext_lazy("Mailed a domain proof link")
        DOMAIN_PROVEN = "domain_proven", gettext_lazy("Proved control of a domain")
        APPROVED = "approved", gettext_lazy("Approved an application")
        DECLINED = "declined", gettext_lazy("Declined an application")
        JOINED = "joined", gettext_lazy("The vendor joined")
        CLAIMED = "claimed", gettext_lazy("The company claimed its unclaimed vendor")
        PROPOSED = "proposed", gettext_lazy("Proposed an unclaimed vendor")
        LISTED = "listed", gettext_lazy("Listed an unclaimed vendor")
        PROPOSAL_DECLINED = "proposal_declined", gettext_lazy("Declined a proposed vendor")
        SSO_SET = "sso_set", gettext_lazy("Set up or changed single sign-on")
        SSO_REMOVED = "sso_removed", gettext_lazy("Removed single sign-on")

    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="log")
    application = models.ForeignKey(
        VendorApplication, on_delete=models.CASCADE, null=True, blank=True, related_name="log"
    )
    proposal = models.ForeignKey(VendorProposal, on_delete=models.CASCADE, null=True, blank=True, related_name="log")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["vendor", "-created_at"], name="vendorlog_vendor_recent")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"
