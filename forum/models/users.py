from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy


class User(AbstractUser):
    """A member of the community. Vendor staff are users with a verified Membership."""

    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    reputation = models.IntegerField(default=0)
    is_moderator = models.BooleanField(
        default=False, help_text=gettext_lazy("Handles flags and spam, merges duplicates, locks threads.")
    )
    # Set by forum.actions.moderation.suspend_user; suspended_until None with suspended_at set = indefinitely.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)
    # Set on the one service account of a vendor: the identity its API keys act as.
    # It cannot log in, post, vote or flag, and counts as that vendor's staff only.
    service_vendor = models.OneToOneField(
        "forum.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="service_account"
    )
    # The uploaded avatar's random name in storage (forum.avatars); blank: generated initials are shown.
    # A new upload gets a new key, so its address can be cached for good.
    avatar_key = models.CharField(max_length=32, blank=True, db_index=True)
    # An IANA zone (zoneinfo) and one of settings.LANGUAGES; blank: the site's zone, the browser's language.
    time_zone = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    # Set by forum.actions.accounts.delete_account: the row stays (posts keep an author) but holds no
    # personal data, cannot sign in and is shown as "deleted user".
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("forum:profile", args=[self.username])

    @property
    def is_suspended(self) -> bool:
        """Suspended now: since suspended_at, until suspended_until (or indefinitely)."""
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > timezone.now()

    @property
    def is_service_account(self) -> bool:
        return self.service_vendor_id is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def name(self) -> str:
        """What other people see: the display name, else the username ("deleted user" once deleted)."""
        if self.deleted_at is not None:
            return gettext("deleted user")
        return self.display_name or self.username


class ReservedUsername(models.Model):
    """A deleted account's username, kept as a hash so nobody can sign up as that person again."""

    name_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name_hash[:12]
