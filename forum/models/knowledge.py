from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy


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


class ContentGap(models.Model):
    """What people looked for and did not find, counted per day; no personal data.

    Only the normalised query, a tag, a vendor handle and the day are kept, with a
    count. Written by POST beacons from the search page and by the POST that posts a
    question (``forum.actions.gaps``), never by a GET.
    """

    class Kind(models.TextChoices):
        NO_RESULTS = "no_results", gettext_lazy("searched, found nothing")
        NOT_OPENED = "not_opened", gettext_lazy("searched, opened no result")
        ASKED_ANYWAY = "asked_anyway", gettext_lazy("asked although suggestions were shown")

    kind = models.CharField(max_length=14, choices=Kind.choices)
    query = models.CharField(max_length=200)
    tag = models.CharField(max_length=100, blank=True, default="")
    vendor = models.CharField(max_length=30, blank=True, default="")  # a vendor handle, not a key: no cascade
    day = models.DateField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "query", "tag", "vendor", "day"], name="contentgap_once_a_day")
        ]
        indexes = [models.Index(fields=["day"], name="contentgap_day")]

    def __str__(self) -> str:
        return f"{self.kind} “{self.query}” ×{self.count} on {self.day}"


class ArticleReuse(models.Model):
    """A solved thread (a knowledge-base article) linked in a reply that answered another thread."""

    article = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="reuses")
    helped = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "helped"], name="articlereuse_once_per_thread")]
        indexes = [models.Index(fields=["article", "-created_at"], name="articlereuse_article")]

    def __str__(self) -> str:
        return f"Thread {self.article_id} reused in {self.helped_id}"


class Article(models.Model):
    """A knowledge article made from a customer-confirmed solution, with its own life.

    Drafted from a solved thread (``thread``, one article per thread) by a vendor's staff
    (``vendor`` set: a vendor-verified article, reviewed by that vendor's staff) or by a
    trusted expert (``vendor`` empty: reviewed by moderators). Published articles are
    flagged when they stop working, fixed (a new revision, which clears the flags) or
    retired. Every step is an action in ``forum.actions.articles`` and one timeline event
    on the source thread (docs/knowledge.md).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        PUBLISHED = "published", gettext_lazy("Published")
        RETIRED = "retired", gettext_lazy("Retired")

    thread = models.OneToOneField("forum.Thread", on_delete=models.CASCADE, related_name="article")
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.PROTECT, null=True, blank=True, related_name="articles")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=200)
    environment = models.CharField(max_length=300)
    cause = models.TextField()
    resolution = models.TextField()
    resolution_html = models.TextField()
    revision = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Published, or fixed last: what "fresh" measures.
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    retire_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="article_status_fresh"),
            models.Index(fields=["vendor", "status"], name="article_vendor_status"),
        ]

    def __str__(self) -> str:
        return f"Article {self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("forum:article", args=[self.pk])

    @property
    def html(self) -> SafeString:
        """The resolution, sanitised by forum.markdown on write like Post.html."""
        return mark_safe(self.resolution_html)  # noqa: S308


class ArticleFlag(models.Model):
    """ "This didn't work for me", with the reader's environment; one per person and revision.

    A fix raises the article's revision, so older flags stop counting without being deleted.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    environment = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user", "revision"], name="articleflag_once_per_revision")
        ]

    def __str__(self) -> str:
        return f"Article {self.article_id} r{self.revision} flagged by {self.user_id}"
