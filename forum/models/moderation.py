"""Moderation: review states, flags, and the moderators' audit log."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReviewState(models.TextChoices):
    """Whether a post (and, through its question, a thread) is shown to the public."""

    VISIBLE = "visible", "Visible"
    PENDING = "pending", "Waiting for review"
    HIDDEN = "hidden", "Hidden pending review"
    REJECTED = "rejected", "Rejected"


class Flag(models.Model):
    """One member's report that a post needs a moderator. Private to moderators."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Rude or abusive"
        OFF_TOPIC = "off_topic", "Off-topic"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        ACTED = "acted", "Acted on"

    NOTE_MAX = 500

    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=NOTE_MAX, blank=True)
    # Whether the flagger held the flag_to_hide privilege when flagging: only those count to auto-hide.
    trusted = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="flag_unique_post_user")]
        indexes = [models.Index(fields=["status", "post"], name="flag_status_post")]

    def __str__(self) -> str:
        return f"{self.user} flagged post {self.post_id} ({self.reason})"


class ModerationLog(models.Model):
    """Audit row: which moderator did what to whom, and why. Never shown to the public."""

    class Action(models.TextChoices):
        HIDE = "hide", "Hid a post"
        AUTO_HIDE = "auto_hide", "Post hidden by flags"
        STAFF_FLAGGED = "staff_flagged", "Staff answer flagged for review (not hidden)"
        RESTORE = "restore", "Restored a post"
        DISMISS = "dismiss", "Dismissed flags"
        APPROVE = "approve", "Approved a post"
        REJECT = "reject", "Rejected a post"
        SUSPEND = "suspend", "Suspended a user"
        UNSUSPEND = "unsuspend", "Lifted a suspension"
        ACCOUNT_DELETED = "account_deleted", "Account deleted by its owner"

    action = models.CharField(max_length=20, choices=Action.choices)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post = models.ForeignKey("forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_user", "-created_at"], name="modlog_target_recent")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"
