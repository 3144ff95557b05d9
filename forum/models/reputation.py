from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class ReputationChange(models.Model):
    """One entry of the reputation ledger. ``User.reputation`` is always the sum of a user's rows.

    A row records what was actually given (0 for a vote that earns nothing), so
    undoing the cause (a withdrawn vote, an unaccepted answer) deletes the row
    and takes back exactly its amount.
    """

    class Reason(models.TextChoices):
        UPVOTE_RECEIVED = "upvote_received", gettext_lazy("upvote received")
        ANSWER_ACCEPTED = "answer_accepted", gettext_lazy("answer accepted")
        ACCEPTED_AN_ANSWER = "accepted_an_answer", gettext_lazy("accepted an answer")
        GRANTED = "granted", gettext_lazy("granted by the site")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reputation_changes")
    amount = models.IntegerField()
    reason = models.CharField(max_length=24, choices=Reason.choices)
    post = models.ForeignKey(
        "forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="reputation_changes"
    )  # SET_NULL: deleting a post keeps the ledger equal to User.reputation
    counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Who caused the change: the voter, or the other side of an acceptance."),
    )
    note = models.CharField(max_length=200, blank=True, help_text=gettext_lazy("Why points were granted by the site."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "user"], name="repchange_window"),
            models.Index(fields=["user", "reason", "counterpart", "created_at"], name="repchange_pair"),
            models.Index(fields=["post", "reason"], name="repchange_post"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.reason} for {self.user_id}"


class UserBadge(models.Model):
    """A badge (declared in forum.badges) awarded to a user, once; per tag for tag badges."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges")
    badge = models.CharField(max_length=40)
    tag = models.CharField(
        max_length=100, blank=True, default="", help_text=gettext_lazy("Empty for badges not tied to a tag.")
    )
    awarded_at = models.DateTimeField(default=timezone.now)
    post = models.ForeignKey("forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    event = models.ForeignKey("forum.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "badge", "tag"], name="userbadge_once")]
        indexes = [models.Index(fields=["badge", "tag"], name="userbadge_badge")]

    def __str__(self) -> str:
        return f"{self.badge}{f' ({self.tag})' if self.tag else ''} for {self.user_id}"
