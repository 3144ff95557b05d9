from django.conf import settings
from django.db import models
from django.utils import timezone


class SuggestionOpen(models.Model):
    """Someone on /ask/ opened a suggested thread instead of posting (self-service).

    It counts as a deflection unless the same person posts a thread within an
    hour (``converted``, set by ``forum.actions.selfservice.record_conversion``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, blank=True)
    # The visit to /ask/ it came from (forum.actions.selfservice): counted once per visit and thread.
    ask_session = models.CharField(max_length=32, blank=True, default="")
    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="suggestion_opens")
    opened_at = models.DateTimeField(default=timezone.now)
    converted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ask_session", "thread"],
                condition=~models.Q(ask_session=""),
                name="suggestionopen_once_per_ask_session",
            )
        ]
        indexes = [
            models.Index(fields=["opened_at"], name="suggestionopen_opened"),
            models.Index(fields=["user", "-opened_at"], name="suggestionopen_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} opened {self.thread_id} from /ask/"


class AnswerVerification(models.Model):
    """A vendor's verified staff vouch for an accepted answer: "Verified by Northwind"."""

    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, related_name="verifications")
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="verified_answers")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "vendor"], name="answerverification_unique")]

    def __str__(self) -> str:
        return f"Post {self.post_id} verified by {self.vendor_id}"


class OutdatedFlag(models.Model):
    """An answer that no longer applies (new firmware, changed policy), with the reason why."""

    post = models.OneToOneField("forum.Post", on_delete=models.CASCADE, related_name="outdated_flag")
    reason = models.CharField(max_length=200)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    flagged_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Post {self.post_id} outdated: {self.reason}"
