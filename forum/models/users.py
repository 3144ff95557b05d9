from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse


class User(AbstractUser):
    """A member of the community. Vendor staff are users with a verified Membership."""

    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    reputation = models.IntegerField(default=0)
    is_moderator = models.BooleanField(
        default=False, help_text="Handles flags and spam, merges duplicates, locks threads."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("forum:profile", args=[self.username])

    @property
    def name(self) -> str:
        """What other people see: the display name, else the username."""
        return self.display_name or self.username
