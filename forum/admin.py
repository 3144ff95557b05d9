"""Django admin for every forum model. Changes that others see go through actions."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.models import Event, Membership, Post, PostRevision, Thread, ThreadVendor, User, Vendor, VendorDomain, Vote
from forum.models import moderation as moderation_models

SUSPENSION_FIELDS = ("suspended_at", "suspended_until", "suspension_reason")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Community", {"fields": ("display_name", "bio", "reputation", "is_moderator")}),
        ("Suspension (changed from /mod/u/<username>/)", {"fields": SUSPENSION_FIELDS}),
    )
    readonly_fields = SUSPENSION_FIELDS
    list_display = ("username", "email", "display_name", "reputation", "is_moderator", "is_staff")
    list_filter = (*BaseUserAdmin.list_filter, "is_moderator")


class VendorDomainInline(admin.TabularInline):
    model = VendorDomain
    extra = 1


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "handle", "created_at")
    search_fields = ("name", "handle")
    inlines = [VendorDomainInline]


@admin.register(VendorDomain)
class VendorDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "vendor")
    search_fields = ("domain",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "vendor", "role", "status", "via", "verified_at")
    list_filter = ("status", "role", "via", "vendor")
    search_fields = ("user__username", "vendor__handle")
    raw_id_fields = ("user", "verified_by")
    # Provenance and revocation are written only by forum/actions/vendors.py.
    readonly_fields = ("email_address", "granted_email", "lapsed_at", "revoked_at", "revoked_by")
    actions = ["approve"]

    @admin.action(description="Verify the selected memberships")
    def approve(self, request, queryset) -> None:
        for membership in queryset:
            vendor_actions.approve_membership(admin=request.user, membership=membership, role=membership.role)
        messages.success(request, f"Verified {queryset.count()} memberships.")


class PostInline(admin.TabularInline):
    model = Post
    fields = ("author", "is_question", "score", "created_at", "edited_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "status", "reply_count", "score", "is_locked", "last_activity_at")
    list_filter = ("status", "is_locked")
    search_fields = ("title",)
    raw_id_fields = ("author", "accepted_post")
    readonly_fields = ("last_seq", "reply_count", "score", "created_at", "last_activity_at")
    inlines = [PostInline]
    actions = ["lock", "unlock"]

    @admin.action(description="Lock the selected threads")
    def lock(self, request, queryset) -> None:
        for thread in queryset:
            thread_actions.set_locked(moderator=request.user, thread=thread, locked=True)

    @admin.action(description="Unlock the selected threads")
    def unlock(self, request, queryset) -> None:
        for thread in queryset:
            thread_actions.set_locked(moderator=request.user, thread=thread, locked=False)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("id", "thread", "author", "is_question", "score", "created_at")
    raw_id_fields = ("thread", "author")
    readonly_fields = ("body_html", "score", "created_at", "edited_at", "review_state")
    search_fields = ("body",)


@admin.register(PostRevision)
class PostRevisionAdmin(admin.ModelAdmin):
    list_display = ("post", "edited_by", "created_at")
    raw_id_fields = ("post", "edited_by")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "created_at")
    raw_id_fields = ("post", "user")


@admin.register(ThreadVendor)
class ThreadVendorAdmin(admin.ModelAdmin):
    list_display = ("thread", "vendor", "last_activity_at")
    raw_id_fields = ("thread",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The timeline is append-only: readable here, never edited."""

    list_display = ("thread", "seq", "kind", "actor", "vendor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("thread", "actor", "post")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


# ---- Community: follows, notification settings, image attachments ----
from django.utils.html import format_html  # noqa: E402

from forum.models import Attachment, NotificationSettings, TagFollow, VendorFollow  # noqa: E402


@admin.register(TagFollow)
class TagFollowAdmin(admin.ModelAdmin):
    list_display = ("user", "tag", "created_at")
    search_fields = ("user__username", "tag__name")
    raw_id_fields = ("user",)


@admin.register(VendorFollow)
class VendorFollowAdmin(admin.ModelAdmin):
    list_display = ("user", "vendor", "created_at")
    search_fields = ("user__username", "vendor__handle")
    raw_id_fields = ("user",)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "new_thread_live", "daily_digest", "email_replies_mentions", "digest_sent_at")
    list_filter = ("new_thread_live", "daily_digest", "email_replies_mentions")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Images are added through the post actions only; here they can be inspected or deleted."""

    list_display = ("original_name", "post", "content_type", "size", "width", "height", "uploaded_by", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_name", "uploaded_by__username")
    readonly_fields = [*(f.name for f in Attachment._meta.fields), "served_at"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Served at")
    def served_at(self, obj: Attachment) -> str:
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url()) if obj.pk else "-"


# ---- Reputation: ledger and badges ----
from forum.models import ReputationChange, UserBadge  # noqa: E402


@admin.register(ReputationChange)
class ReputationChangeAdmin(admin.ModelAdmin):
    """Read-only: the ledger changes only through the actions that earn or undo points."""

    list_display = ("created_at", "user", "amount", "reason", "post", "counterpart")
    list_filter = ("reason",)
    search_fields = ("user__username", "counterpart__username")
    list_select_related = ("user", "counterpart", "post")
    raw_id_fields = ("user", "counterpart", "post")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UserBadge)
class UserBadgeAdmin(admin.ModelAdmin):
    """Read-only: badges are awarded by the actions that earn them."""

    list_display = ("awarded_at", "user", "badge", "tag", "post")
    list_filter = ("badge",)
    search_fields = ("user__username", "tag")
    list_select_related = ("user", "post")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(moderation_models.Flag)
class FlagAdmin(admin.ModelAdmin):
    """Flags are decided in the moderation queue (/mod/); here they can be read and searched."""

    list_display = ("post", "user", "reason", "trusted", "status", "created_at", "resolved_by")
    list_filter = ("status", "reason", "trusted")
    search_fields = ("user__username", "note")
    raw_id_fields = ("post", "user", "resolved_by")
    readonly_fields = ("post", "user", "reason", "note", "trusted", "created_at", "resolved_at", "resolved_by")


@admin.register(moderation_models.ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    """The moderators' audit log is append-only: readable here, never edited."""

    list_display = ("action", "moderator", "target_user", "post", "reason", "created_at")
    list_filter = ("action",)
    search_fields = ("moderator__username", "target_user__username", "reason")
    raw_id_fields = ("moderator", "target_user", "post")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


# ---- Vendors joining (docs/vendors.md): read here; decided at /vendors/review/ and /vendors/unclaimed/ ----

from forum.models import joining as joining_models  # noqa: E402


@admin.register(joining_models.VendorLog)
class VendorLogAdmin(admin.ModelAdmin):
    """The joining audit log is append-only: readable here, never edited."""

    list_display = ("action", "actor", "vendor", "application", "created_at")
    list_filter = ("action",)
    search_fields = ("actor__username", "vendor__handle")
    raw_id_fields = ("actor", "vendor", "application", "proposal")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(joining_models.VendorApplication)
class VendorApplicationAdmin(admin.ModelAdmin):
    """Applications change only through their actions (proof, approval): read-only here."""

    list_display = ("handle", "name", "applicant", "is_claim", "status", "created_at")
    list_filter = ("status", "is_claim")
    search_fields = ("handle", "name", "applicant__username")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
