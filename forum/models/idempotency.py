from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A creating request's key, so a double click or a retry creates one thing (forum.idempotency).

    The row is written inside the creating action's transaction, before the thing it
    creates: a second request with the same key waits on the unique index, then finds
    the first one's result.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    # What the key was used for ("reply:12"); the same key for something else is refused.
    scope = models.CharField(max_length=80)
    result_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.scope} by {self.user_id}"
