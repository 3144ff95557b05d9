"""Swarm models, built on forum's threads and vendors (swarm imports forum, never the reverse)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Presence(models.Model):
    """One open connection watching a thread. Shared by every server process through the database."""

    class Role(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        CUSTOMER = "customer", "Customer"
        EXPERT = "expert", "Community expert"
        STAFF = "staff", "Vendor staff"

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="presences")
    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["thread", "last_seen"])]

    def __str__(self) -> str:
        return f"{self.role} on {self.thread_id}"
