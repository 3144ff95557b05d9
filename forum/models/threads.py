from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from forum.models.moderation import ReviewState


class TaggedThread(TaggedItemBase):
    """Thread-tag link with a real foreign key, so tag pages join instead of scanning."""

    content_object = models.ForeignKey("Thread", on_delete=models.CASCADE)


class Thread(models.Model):
    """A problem someone asked about in public, and everything that happened on it."""

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")
        SOLVED = "solved", gettext_lazy("Solved")

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, allow_unicode=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    accepted_post = models.ForeignKey("Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Counters kept on the row so list pages never count.
    reply_count = models.PositiveIntegerField(default=0)
    score = models.IntegerField(default=0)
    # The last timeline sequence number handed out on this thread (see forum.timeline).
    last_seq = models.PositiveBigIntegerField(default=0)
    is_locked = models.BooleanField(default=False)
    # Mirrors the question's review state: only visible threads are listed and searchable.
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.VISIBLE)
    # Set when the same problem was asked before: readers are sent to the canonical thread.
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    # PostgreSQL full-text search (GIN index made by migration 0002 on PostgreSQL only);
    # SQLite uses an FTS5 table instead (forum.search).
    search_vector = SearchVectorField(null=True, editable=False)

    tags = TaggableManager(through=TaggedThread, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["-last_activity_at", "-id"], name="thread_latest"),
            models.Index(fields=["status", "-last_activity_at", "-id"], name="thread_status_latest"),
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="thread_unanswered",
                condition=models.Q(reply_count=0),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:80].strip("-") or "thread"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("forum:thread", args=[self.pk, self.slug])

    @property
    def is_solved(self) -> bool:
        return self.status == self.Status.SOLVED


class Post(models.Model):
    """The question (the thread's first post) or a reply. Markdown is rendered on write."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    is_question = models.BooleanField(default=False)
    body = models.TextField(max_length=50_000)
    body_html = models.TextField()
    # The vendor whose verified staff member wrote this, fixed when written.
    staff_vendor = models.ForeignKey(
        "forum.Vendor", on_delete=models.SET_NULL, null=True, blank=True, related_name="staff_posts"
    )
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.VISIBLE)

    class Meta:
        indexes = [
            models.Index(fields=["thread", "created_at", "id"], name="post_thread_order"),
            models.Index(fields=["author", "-created_at"], name="post_author_recent"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} on thread {self.thread_id}"

    def get_absolute_url(self) -> str:
        return f"{reverse('forum:thread', args=[self.thread_id, self.thread.slug])}#post-{self.pk}"

    @property
    def is_visible(self) -> bool:
        return self.review_state == ReviewState.VISIBLE

    @property
    def html(self) -> SafeString:
        """The rendered body. Safe: forum.markdown sanitised it with an allow-list on write."""
        return mark_safe(self.body_html)  # noqa: S308


class PostRevision(models.Model):
    """A post's text as it was before an edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    body_html = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of post {self.post_id} at {self.created_at}"

    @property
    def html(self) -> SafeString:
        """The body as it was, sanitised on write like Post.html."""
        return mark_safe(self.body_html)  # noqa: S308


class Vote(models.Model):
    """One upvote by one user on someone else's post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="vote_unique_post_user")]

    def __str__(self) -> str:
        return f"{self.user} +1 post {self.post_id}"


class ThreadVendor(models.Model):
    """A vendor involved in a thread: mentioned as @handle, or answered by its staff."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="vendor_links")
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="thread_links")
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "vendor"], name="threadvendor_unique")]
        indexes = [models.Index(fields=["vendor", "-last_activity_at", "-thread"], name="threadvendor_latest")]

    def __str__(self) -> str:
        return f"{self.vendor_id} on {self.thread_id}"
