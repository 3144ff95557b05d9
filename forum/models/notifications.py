from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class ThreadFollow(models.Model):
    """Someone who hears about new replies on a thread: its author and everyone who replied."""

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="threadfollow_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.thread_id}"


class Notification(models.Model):
    """Something a person should know about, made from one timeline event."""

    class Kind(models.TextChoices):
        REPLY = "reply", gettext_lazy("replied on a thread you follow")
        MENTION = "mention", gettext_lazy("mentioned you")
        ACCEPTED = "accepted", gettext_lazy("accepted your answer")
        # The swarm workflow (made by swarm from its events).
        ESCALATED = "escalated", gettext_lazy("escalated a thread to your vendor")
        CLAIMED = "claimed", gettext_lazy("claimed your escalation")
        STAFF_ANSWER = "staff_answer", gettext_lazy("answered your escalation")
        CLAIM_ACTIVITY = "claim_activity", gettext_lazy("new activity on a thread you claimed")
        RESOLVED = "resolved", gettext_lazy("marked your escalation resolved")
        RADAR = "radar", gettext_lazy("a new thread matches your vendor's radar")
        INVITED = "invited", gettext_lazy("offered to help if you escalate")
        # Community.
        NEW_THREAD = "new_thread", gettext_lazy("asked in a tag or vendor you follow")
        BADGE = "badge", gettext_lazy("you earned a badge")
        MODERATION = "moderation", gettext_lazy("a moderator acted on your post")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    event = models.ForeignKey("forum.Event", on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event"], condition=~models.Q(kind="badge"), name="notification_once_per_event"
            ),
            # A badge notice may share its event with another notice (an accepted answer earns a badge).
            models.UniqueConstraint(
                fields=["recipient", "event"], condition=models.Q(kind="badge"), name="notification_badge_once"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recent"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
