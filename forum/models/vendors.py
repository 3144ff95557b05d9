from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

HANDLE_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?"
handle_validator = RegexValidator(
    rf"^{HANDLE_PATTERN}$",
    "A handle is 1 to 30 lowercase letters, digits or hyphens, not starting or ending with a hyphen.",
)


class Vendor(models.Model):
    """A company whose products people ask about. Tagged in public as @handle."""

    name = models.CharField(max_length=100)
    handle = models.CharField(max_length=30, unique=True, validators=[handle_validator])
    description = models.TextField(max_length=2000, blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Null while the vendor is unclaimed: listed by moderators so customers can escalate to it, but
    # the company has not joined. Its public figures count from this moment (docs/vendors.md).
    joined_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("handle"),
                name="vendor_handle_unique_ci",
                violation_error_message=gettext_lazy("That handle is taken. Choose another."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (@{self.handle})"

    def get_absolute_url(self) -> str:
        return reverse("forum:vendor", args=[self.handle])

    def clean(self) -> None:
        """Refuse a handle taken or confusable with another vendor's (the admin goes through here too)."""
        from forum.handles import check_handle

        if self.handle:
            try:
                self.handle = check_handle(self.handle, exclude_vendor_id=self.pk)
            except ValidationError as error:
                raise ValidationError({"handle": error}) from None

    @property
    def is_claimed(self) -> bool:
        return self.joined_at is not None


class VendorDomain(models.Model):
    """An email domain owned by a vendor: verifying an address there makes one staff."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.domain


class Membership(models.Model):
    """A user's tie to a vendor. Only a verified membership grants the staff badge."""

    class Role(models.TextChoices):
        STAFF = "staff", gettext_lazy("Staff")
        ADMIN = "admin", gettext_lazy("Admin")

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending approval")
        VERIFIED = "verified", gettext_lazy("Verified")
        REVOKED = "revoked", gettext_lazy("Removed by an admin")
        LAPSED = "lapsed", gettext_lazy("Lapsed: its email address or company sign-in ended")

    class Via(models.TextChoices):
        ADMIN = "admin", gettext_lazy("Approved by a vendor admin")
        EMAIL = "email", gettext_lazy("Verified email at a vendor domain")
        REQUEST = "request", gettext_lazy("Requested")
        FOUNDER = "founder", gettext_lazy("Proved control of the vendor's domain when it joined")
        SSO = "sso", gettext_lazy("Signed in through the vendor's identity provider")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.REQUEST)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Staff status granted by an email domain lives and dies with that address (via=EMAIL).
    email_address = models.ForeignKey(
        "account.EmailAddress", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_email = models.EmailField(max_length=254, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    # Staff status granted by the vendor's identity provider (via=SSO) lives as long as the provider
    # vouches: this account at it, renewed at each sign-in, for at most VENDOR_SSO_MAX_AGE.
    social_account = models.ForeignKey(
        "socialaccount.SocialAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sso_vouched_at = models.DateTimeField(null=True, blank=True)
    # An admin's removal sticks: confirming the address again does not re-grant it.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "vendor"], name="membership_unique_user_vendor")]
        indexes = [models.Index(fields=["vendor", "status"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor.handle} ({self.status})"

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class VendorSSO(models.Model):
    """A vendor's OpenID Connect identity provider, stored as an allauth SocialApp (docs/vendors.md)."""

    vendor = models.OneToOneField(Vendor, on_delete=models.CASCADE, related_name="sso")
    # provider "openid_connect", provider_id "vendor-<pk>": issuer, client id and secret live there.
    app = models.OneToOneField("socialaccount.SocialApp", on_delete=models.CASCADE, related_name="vendor_sso")
    # Staff status then comes only from the provider: a verified email at a vendor domain no longer grants it.
    required = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"SSO for @{self.vendor.handle}"

    @property
    def issuer(self) -> str:
        return self.app.settings.get("server_url", "")
