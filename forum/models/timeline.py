from enum import StrEnum

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventKind(StrEnum):
    """Names for the kinds recorded today, so call sites write ``EventKind.REPLIED``.

    The registry (forum.timeline.kinds) is the authority: labels and payload
    shapes live there, filled by each app at startup (forum/kinds.py,
    swarm/kinds.py). A kind needs no constant here: swarm's kinds are listed
    only because existing code names them this way; new ones are registered by
    the app alone.
    """

    POSTED = "posted"
    REPLIED = "replied"
    EDITED = "edited"
    VOTED = "voted"
    VOTE_WITHDRAWN = "vote_withdrawn"
    ACCEPTED = "accepted"
    REOPENED = "reopened"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    # The swarm workflow (registered by swarm/kinds.py).
    ESCALATED = "escalated"
    METOO = "metoo"
    METOO_WITHDRAWN = "metoo_withdrawn"
    CLAIMED = "claimed"
    RELEASED = "released"
    HANDED_OFF = "handed_off"
    NOTE = "note"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    RATED = "rated"
    UNRESOLVED = "unresolved"
    INVITED = "invited"
    # Knowledge and moderation.
    DUPLICATE = "duplicate"
    DUPLICATE_CLEARED = "duplicate_cleared"
    RETAGGED = "retagged"
    HIDDEN = "hidden"
    HELD = "held"
    RESTORED = "restored"
    VERIFIED = "verified"
    OUTDATED = "outdated"
    OUTDATED_CLEARED = "outdated_cleared"
    # Knowledge articles' life (forum.actions.articles).
    ARTICLE_DRAFTED = "article_drafted"
    ARTICLE_PUBLISHED = "article_published"
    ARTICLE_FLAGGED = "article_flagged"
    ARTICLE_FIXED = "article_fixed"
    ARTICLE_RETIRED = "article_retired"

    @property
    def label(self) -> str:
        from forum.timeline import kinds  # late: the registry is filled at startup

        return kinds.label(self.value)


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
    # A registered kind (forum.timeline.kinds); no DB choices, so apps add kinds without migrations.
    kind = models.CharField(max_length=40)
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
    def label(self) -> str:
        from forum.timeline import kinds  # late: the registry is filled at startup

        return kinds.label(self.kind)

    def get_kind_display(self) -> str:
        return self.label

    @property
    def is_private(self) -> bool:
        return self.vendor_id is not None
