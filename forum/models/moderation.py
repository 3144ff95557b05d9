"""Moderation: review states, flags, and the moderators' audit log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy


class ReviewState(models.TextChoices):
    """Whether a post (and, through its question, a thread) is shown to the public."""

    VISIBLE = "visible", gettext_lazy("Visible")
    PENDING = "pending", gettext_lazy("Waiting for review")
    HIDDEN = "hidden", gettext_lazy("Hidden pending review")
    REJECTED = "rejected", gettext_lazy("Rejected")


class Flag(models.Model):
    """One member's report that a post needs a moderator. Private to moderators."""

    class Reason(models.TextChoices):
        SPAM = "spam", gettext_lazy("Spam")
        ABUSE = "abuse", gettext_lazy("Rude or abusive")
        OFF_TOPIC = "off_topic", gettext_lazy("Off-topic")
        OTHER = "other", gettext_lazy("Something else")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("flag status", "Open")
        DISMISSED = "dismissed", pgettext_lazy("flag status", "Dismissed")
        ACTED = "acted", gettext_lazy("Acted on")

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
        HIDE = "hide", gettext_lazy("Hid a post")
        AUTO_HIDE = "auto_hide", gettext_lazy("Post hidden by flags")
        STAFF_FLAGGED = "staff_flagged", gettext_lazy("Staff answer flagged for review (not hidden)")
        RESTORE = "restore", gettext_lazy("Restored a post")
        DISMISS = "dismiss", gettext_lazy("Dismissed flags")
        APPROVE = "approve", gettext_lazy("Approved a post")
        REJECT = "reject", gettext_lazy("Rejected a post")
        SUSPEND = "suspend", gettext_lazy("Suspended a user")
        UNSUSPEND = "unsuspend", gettext_lazy("Lifted a suspension")
        ACCOUNT_DELETED = "account_deleted", gettext_lazy("Account deleted by its owner")

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
