"""Swarm models, built on forum's threads and vendors (swarm imports forum, never the reverse)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, pgettext_lazy

from swarm.business_hours import Week


class EscalationQuerySet(models.QuerySet):
    def ongoing(self) -> EscalationQuerySet:
        """Open, claimed or resolved: at most one per thread and vendor (a vendor's current work)."""
        return self.filter(state__in=Escalation.ONGOING)


class Escalation(models.Model):
    """A thread's author asked one vendor for help, in public. At most one ongoing per thread and vendor.

    States (docs/escalations.md): open -> claimed -> resolved -> confirmed, with
    release (claimed -> open), hand-off (to a colleague: stays claimed; to another
    vendor: this one ends as handed_off and a new open escalation starts there) and
    "not solved" (resolved -> claimed, or open when nobody holds it). Confirmed and
    handed_off are final; a later hand-off back opens a new escalation.
    """

    class State(models.TextChoices):
        OPEN = "open", gettext_lazy("Not yet claimed")
        CLAIMED = "claimed", gettext_lazy("Claimed")
        RESOLVED = "resolved", gettext_lazy("Resolved, waiting for the customer")
        CONFIRMED = "confirmed", gettext_lazy("Confirmed solved")
        HANDED_OFF = "handed_off", gettext_lazy("Handed off to another vendor")

    ONGOING = (State.OPEN, State.CLAIMED, State.RESOLVED)

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="escalations")
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="escalations")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    escalated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Set when another vendor handed the thread over.
    handed_from = models.ForeignKey("forum.Vendor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    # Any post, note, claim or resolve by this vendor's staff; idle claims return to the inbox.
    last_staff_activity_at = models.DateTimeField(null=True, blank=True)
    first_staff_reply_at = models.DateTimeField(null=True, blank=True)
    # The customer's last post on the thread; "waiting" is measured from here.
    customer_posted_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # How the thread was solved when the customer confirmed: by this vendor's staff or by the community.
    solved_by_staff = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(max_length=2000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # Set when this vendor passed the thread to another vendor (state handed_off).
    handed_to = models.ForeignKey("forum.Vendor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # The vendor's team whose inbox holds it (routing rules on arrival, or moved by staff); staff-only.
    team = models.ForeignKey("swarm.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The thread's "me too" count, copied onto each of its escalations so the inbox sorts by a column
    # instead of counting me-toos per row. Kept true by swarm.actions.escalations (the me-too actions and
    # open_escalation), under the thread's row lock.
    metoo_count = models.PositiveIntegerField(default=0)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        constraints = [
            # Finished escalations (confirmed, handed_off) stay as history; a vendor's new work is a new row.
            models.UniqueConstraint(
                fields=["thread", "vendor"],
                condition=models.Q(state__in=["open", "claimed", "resolved"]),
                name="escalation_one_ongoing_per_thread_vendor",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="escalation_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "state", "-created_at"], name="escalation_inbox"),
            models.Index(fields=["state", "last_staff_activity_at"], name="escalation_idle_claims"),
            # The vendor page's 30- and 90-day figures and the inbox's "all states" by age.
            models.Index(fields=["vendor", "created_at"], name="escalation_window"),
            # The inbox's "most me-too" and "longest waiting" sorts within a state.
            models.Index(fields=["vendor", "state", "-metoo_count", "customer_posted_at"], name="escalation_metoo"),
            models.Index(fields=["vendor", "state", "customer_posted_at"], name="escalation_waiting"),
        ]

    def __str__(self) -> str:
        return f"#{self.thread_id} -> @{self.vendor_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        """Needs work from the vendor (open or claimed)."""
        return self.state in (self.State.OPEN, self.State.CLAIMED)

    @property
    def is_ongoing(self) -> bool:
        """Not finished: open, claimed, or resolved and waiting for the customer."""
        return self.state in self.ONGOING


class MeToo(models.Model):
    """Another customer has the same problem. One per person and thread."""

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="metoos")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="metoo_unique_thread_user")]

    def __str__(self) -> str:
        return f"{self.user_id} me too on {self.thread_id}"


class MeTooEmail(models.Model):
    """When a staff member was last emailed about me-toos on a thread: at most one email per window.

    The bell still hears of every me-too; only the email is held back (swarm.notify.metoo).
    """

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "recipient"], name="metooemail_unique")]

    def __str__(self) -> str:
        return f"me-too email to {self.recipient_id} on {self.thread_id}"


class StaffNote(models.Model):
    """A note only the vendor's verified staff can read. Lives on the vendor's private stream."""

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="staff_notes")
    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="staff_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10_000)
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["thread", "vendor", "created_at"], name="staffnote_thread")]

    def __str__(self) -> str:
        return f"Note by {self.author_id} on {self.thread_id}"

    @property
    def html(self) -> SafeString:
        """Sanitised on write by forum.markdown, like Post.html."""
        return mark_safe(self.body_html)  # noqa: S308


class RadarKeyword(models.Model):
    """A phrase a vendor watches for in new threads that did not tag it."""

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="radar_keywords")
    phrase = models.CharField(max_length=60)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "phrase"], name="radarkeyword_unique")]
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class RadarHit(models.Model):
    """A new thread that matched a vendor's radar without tagging it."""

    class State(models.TextChoices):
        NEW = "new", gettext_lazy("New")
        JOINED = "joined", pgettext_lazy("radar hit", "Joined")
        INVITED = "invited", gettext_lazy("Invited to escalate")
        DISMISSED = "dismissed", pgettext_lazy("radar hit", "Dismissed")

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="radar_hits")
    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="radar_hits")
    phrases = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "thread"], name="radarhit_unique")]
        indexes = [models.Index(fields=["vendor", "state", "-created_at"], name="radarhit_inbox")]

    def __str__(self) -> str:
        return f"Radar {self.vendor_id} on {self.thread_id}"


class TicketLink(models.Model):
    """The escalation's ticket in the vendor's own system (Jira, Zendesk, a GitHub issue). One per escalation.

    Public links show on the thread to everyone; staff-only ones only to the vendor's staff,
    and their events go to the vendor's private stream.
    """

    class Visibility(models.TextChoices):
        PUBLIC = "public", gettext_lazy("Public")
        STAFF = "staff", gettext_lazy("Staff only")

    escalation = models.OneToOneField(Escalation, on_delete=models.CASCADE, related_name="ticket")
    key = models.CharField(max_length=40)
    url = models.URLField(max_length=500)
    status = models.CharField(max_length=40, blank=True)
    visibility = models.CharField(max_length=6, choices=Visibility.choices, default=Visibility.PUBLIC)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.key} for escalation {self.escalation_id}"

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class Team(models.Model):
    """A part of a vendor's staff with its own slice of the inbox ("Laptops", "Tablets")."""

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=40)
    # Hand each new escalation to the member who was given one longest ago (docs/vendors.md).
    round_robin = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="team_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # When round-robin last gave this member an escalation; the oldest (or never) goes next.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="teammember_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id}"


class RoutingRule(models.Model):
    """Send a vendor's new escalations to a team: the first matching rule by position wins."""

    class Match(models.TextChoices):
        TAG = "tag", gettext_lazy("Tag")
        KEYWORD = "keyword", gettext_lazy("Keyword in title or question")
        PRODUCT = "product", gettext_lazy("Product (named, by any alias, or tagged)")

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="routing_rules")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rules")
    match = models.CharField(max_length=7, choices=Match.choices)
    value = models.CharField(max_length=60)
    # Set for product rules (value keeps the product's name); deleting the product removes its rules.
    product = models.ForeignKey("swarm.Product", on_delete=models.CASCADE, null=True, blank=True, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.match} {self.value!r} -> {self.team_id}"


class ResponseTarget(models.Model):
    """A vendor's published targets, one row per change: the newest is current, the rest is public history."""

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="response_targets")
    # Durations, so SQL compares them with (reply - created) directly; None: no target of that kind.
    first_reply = models.DurationField(null=True, blank=True)
    resolution = models.DurationField(null=True, blank=True)
    # Count only the vendor's open hours (swarm.business_hours), in its time zone.
    business_hours = models.BooleanField(default=False)
    # The vendor's weekly hours, carried on every record so a change is dated like a target change:
    # an IANA zone and seven [open, close] minute pairs (Monday first), null for a closed day.
    time_zone = models.CharField(max_length=64, blank=True)
    opening_hours = models.JSONField(default=list, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["vendor", "-created_at"], name="responsetarget_current")]

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.first_reply_hours}h / {self.resolution_days}d"

    @property
    def first_reply_hours(self) -> int | None:
        return round(self.first_reply.total_seconds() / 3600) if self.first_reply is not None else None

    @property
    def resolution_days(self) -> int | None:
        return self.resolution.days if self.resolution is not None else None

    @property
    def hours(self) -> Week | None:
        """The weekly hours on record (None until the vendor sets them)."""
        if not self.time_zone:
            return None
        return Week(self.time_zone, tuple(tuple(day) if day else None for day in self.opening_hours))

    @property
    def counted_in(self) -> Week | None:
        """The hours the clocks count in: None for calendar time."""
        return self.hours if self.business_hours else None


class Product(models.Model):
    """A product a vendor supports ("Surface Pro"), known by its name and aliases, for routing."""

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def aliases(self) -> list[str]:
        """The other names (its lowercased name is a term too, not shown as an alias)."""
        return [t.term for t in self.terms.all() if t.term != self.name.lower()]


class ProductTerm(models.Model):
    """A lowercased name or alias of a product; unique per vendor, so one word names one product."""

    vendor = models.ForeignKey("forum.Vendor", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "term"], name="productterm_unique")]
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term


class TargetWarning(models.Model):
    """Staff were told an escalation is about to miss a target: at most once per escalation and target."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=11)  # "first_reply" or "resolution"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["escalation", "target"], name="targetwarning_unique")]

    def __str__(self) -> str:
        return f"{self.target} warning for {self.escalation_id}"
