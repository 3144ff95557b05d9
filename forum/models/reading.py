from django.conf import settings
from django.db import models
from django.utils import timezone


class ThreadRead(models.Model):
    """How far one person has read one thread: the last public seq their browser said it showed.

    Written only by a POST (forum.actions.reading.mark_seen), never by a page view, so lists
    can mark threads with activity since the person's last visit.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_reads")
    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="reads")
    seq = models.PositiveBigIntegerField(default=0)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="threadread_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} to {self.seq}"


class ThreadMute(models.Model):
    """Someone who hears nothing more about a thread (replies, mentions, escalation notices).

    forum.notifications.notify honours it for every app's notices; moderation notices about
    the person's own posts and badges still arrive.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_mutes")
    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="mutes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="threadmute_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} muted {self.thread_id}"
