from django.conf import settings
from django.db import models
from django.utils import timezone


class EventKind(models.TextChoices):
    """Every kind of visible change. Apps may record kinds declared here only."""

    POSTED = "posted", "asked the question"
    REPLIED = "replied", "replied"
    EDITED = "edited", "edited a post"
    VOTED = "voted", "voted"
    ACCEPTED = "accepted", "accepted an answer"
    REOPENED = "reopened", "reopened the thread"
    LOCKED = "locked", "locked the thread"
    UNLOCKED = "unlocked", "unlocked the thread"
    # The swarm workflow (recorded by swarm.actions).
    ESCALATED = "escalated", "escalated to a vendor"
    METOO = "metoo", "said me too"
    METOO_WITHDRAWN = "metoo_withdrawn", "withdrew me too"
    CLAIMED = "claimed", "claimed the escalation"
    RELEASED = "released", "released the escalation"
    HANDED_OFF = "handed_off", "handed the escalation off"
    NOTE = "note", "wrote a staff note"
    RESOLVED = "resolved", "marked the escalation resolved"
    CONFIRMED = "confirmed", "confirmed the resolution"
    RATED = "rated", "rated the help"
    UNRESOLVED = "unresolved", "said it is not solved yet"
    INVITED = "invited", "invited the author to escalate"
    # Knowledge and moderation (recorded by forum.actions).
    DUPLICATE = "duplicate", "marked the thread a duplicate"
    RETAGGED = "retagged", "changed the tags"
    HIDDEN = "hidden", "hid a post pending review"
    RESTORED = "restored", "restored a hidden post"
    VERIFIED = "verified", "marked an answer verified"
    OUTDATED = "outdated", "flagged an answer outdated"


class Event(models.Model):
    """One visible change on a thread, numbered without gaps per thread.

    The Event log is the source of truth for live updates, replay after a
    reconnect, the public history, notifications and webhooks.

    Each thread has one public stream (``vendor`` is null) and, per vendor, one
    private stream that only that vendor's verified staff see (staff notes).
    Sequence numbers are gap-free within a stream, so a reader who may not see
    a private stream never notices that it exists.
    """

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post = models.ForeignKey("forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    vendor = models.ForeignKey(
        "forum.Vendor", on_delete=models.CASCADE, null=True, blank=True, related_name="private_events"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The writing transaction's id on PostgreSQL (0 on SQLite, where writers run one at a time, so
    # ids already follow commit order). Feeds across threads page by (txid, id) and only read
    # transactions older than every one still open: a row that commits late is never skipped.
    txid = models.BigIntegerField(default=0, editable=False)

    class Meta:
        indexes = [models.Index(fields=["txid", "id"], name="event_commit_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "seq"], condition=models.Q(vendor__isnull=True), name="event_public_seq"
            ),
            models.UniqueConstraint(
                fields=["thread", "vendor", "seq"],
                condition=models.Q(vendor__isnull=False),
                name="event_private_seq",
            ),
        ]
        ordering = ["thread", "seq"]

    def __str__(self) -> str:
        return f"#{self.thread_id}.{self.seq} {self.kind}"

    @property
    def is_private(self) -> bool:
        return self.vendor_id is not None
