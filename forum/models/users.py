from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy


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
    def name(self) -> str:
        """What other people see: the display name, else the username."""
        return self.display_name or self.username
