"""Follows of tags and vendors, per-user notification settings, and image attachments."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class TagFollow(models.Model):
    """Someone who hears about every new thread in a tag."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tag_follows")
    tag = models.ForeignKey("taggit.Tag", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="tagfollow_unique")]
        indexes = [models.Index(fields=["tag", "user"], name="tagfollow_by_tag")]

    def __str__(self) -> str:
        return f"{self.user_id} follows tag {self.tag_id}"


class TagMute(models.Model):
    """Someone who hears nothing about threads in a tag, unless addressed directly.

    forum.notifications.notify drops every notice about a thread carrying a muted tag, except
    those that name the person (a mention, their own thread, their answer accepted) and notices
    about their own standing (moderation, badges). Muting a tag stops following it, and
    following it again lifts the mute (forum.actions.follows).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tag_mutes")
    tag = models.ForeignKey("taggit.Tag", on_delete=models.CASCADE, related_name="mutes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="tagmute_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} muted tag {self.tag_id}"


class VendorFollow(models.Model):
    """Someone who hears about every new thread that involves a vendor."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_follows")
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "vendor"], name="vendorfollow_unique")]
        indexes = [models.Index(fields=["vendor", "user"], name="vendorfollow_by_vendor")]

    def __str__(self) -> str:
        return f"{self.user_id} follows vendor {self.vendor_id}"


class NotificationSettings(models.Model):
    """What a person wants to hear about. No row means the defaults below."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_settings"
    )
    new_thread_live = models.BooleanField(
        default=True, verbose_name=gettext_lazy("Tell me live about new threads in tags and vendors I follow")
    )
    daily_digest = models.BooleanField(
        default=False, verbose_name=gettext_lazy("Email me a daily digest of new threads in tags and vendors I follow")
    )
    email_replies_mentions = models.BooleanField(
        default=False, verbose_name=gettext_lazy("Email me when someone replies on a thread I follow or mentions me")
    )
    # When the last digest went out, so one day never gets two.
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification settings"
        indexes = [
            models.Index(fields=["user"], condition=models.Q(daily_digest=True), name="notifsettings_digest"),
        ]

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """A random name: the uploader's file name is never part of the stored path."""
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{secrets.token_urlsafe(18)}.{instance.extension}"


class Attachment(models.Model):
    """An image shown under a post. Stored re-encoded (no metadata), served by forum.views.attachments."""

    EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}

    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} on post {self.post_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("forum:attachment", args=[self.pk])

    @property
    def extension(self) -> str:
        return self.EXTENSIONS[self.content_type]
