"""Django admin for every forum model. The admin is not a back door: changes go through actions.

A field that an action owns (post bodies, thread status, accepted answers,
duplicates, locks, votes, memberships, reputation) is either read-only here or
saved by calling that action in ``save_model``/``delete_model``, so the
timeline, the search index and the counters stay true. Logs (events,
moderation, reputation) are append-only: never edited or deleted here.
"""

from __future__ import annotations

from allauth.socialaccount.admin import SocialAppAdmin
from allauth.socialaccount.models import SocialApp
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext

from forum import access, ratelimit
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.actions import vendors as vendor_actions
from forum.markdown import check_cost
from forum.models import Event, Membership, Post, PostRevision, Thread, ThreadVendor, User, Vendor, VendorDomain, Vote
from forum.models import moderation as moderation_models
from forum.validation import clean_body

SUSPENSION_FIELDS = ("suspended_at", "suspended_until", "suspension_reason")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Readable and searchable here; changed only on the site, through its actions."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error) or "Not allowed."


def run_action(request: HttpRequest, label: str, call) -> bool:
    """Run one action for an admin button; a refusal becomes an error message, never a 500."""
    try:
        call()
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, gettext("%(label)s: %(value)s") % {"label": label, "value": _refusal(error)})
        return False
    return True


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Community", {"fields": ("display_name", "bio", "reputation", "is_moderator")}),
        ("Suspension (changed from /mod/u/<username>/)", {"fields": SUSPENSION_FIELDS}),
    )
    # Reputation is the sum of its ledger (granted through forum.actions.reputation); suspension
    # goes through the moderators' page; the service account is made with a vendor's first key.
    readonly_fields = (*SUSPENSION_FIELDS, "reputation", "service_vendor")
    list_display = ("username", "email", "display_name", "reputation", "is_moderator", "is_staff")
    list_filter = (*BaseUserAdmin.list_filter, "is_moderator")

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (*fieldsets, ("API", {"fields": ("service_vendor",)}))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # posts, votes and ledgers point at people: deactivate instead


class VendorDomainInline(admin.TabularInline):
    model = VendorDomain
    extra = 1


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "handle", "created_at")
    search_fields = ("name", "handle")
    inlines = [VendorDomainInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("handle", "created_at") if obj else ("created_at",)  # handles are in URLs and mentions

    def save_model(self, request: HttpRequest, obj: Vendor, form, change: bool) -> None:
        if change:
            obj.save(update_fields=[f for f in ("name", "description") if f in form.changed_data] or None)
            return
        created = vendor_actions.create_vendor(name=obj.name, handle=obj.handle, description=obj.description)
        obj.pk = created.pk
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # escalations, staff posts and figures hang on a vendor


@admin.register(VendorDomain)
class VendorDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "vendor")
    search_fields = ("domain",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who is staff changes only through forum.actions.vendors: verify, make admin, remove."""

    list_display = ("user", "vendor", "role", "status", "via", "verified_at")
    list_filter = ("status", "role", "via", "vendor")
    search_fields = ("user__username", "vendor__handle")
    # Everything here is written by forum/actions/vendors.py (provenance and revocation included).
    readonly_fields = (
        "user",
        "vendor",
        "role",
        "status",
        "via",
        "created_at",
        "verified_at",
        "verified_by",
        "email_address",
        "granted_email",
        "lapsed_at",
        "revoked_at",
        "revoked_by",
    )
    actions = ["approve", "approve_as_admin"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people ask on the vendor's page, or verify an address at its domain

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # read here; verify, make admin and remove with the actions above and "Delete"

    def _approve(self, request: HttpRequest, queryset, role: str) -> None:
        done = sum(
            run_action(
                request,
                str(membership),
                lambda m=membership: vendor_actions.approve_membership(admin=request.user, membership=m, role=role),
            )
            for membership in queryset
        )
        if done:
            messages.success(
                request, gettext("Verified %(done)s memberships as %(role)s.") % {"done": done, "role": role}
            )

    @admin.action(description="Verify the selected memberships as staff")
    def approve(self, request: HttpRequest, queryset) -> None:
        self._approve(request, queryset, Membership.Role.STAFF)

    @admin.action(description="Verify the selected memberships as vendor admins")
    def approve_as_admin(self, request: HttpRequest, queryset) -> None:
        self._approve(request, queryset, Membership.Role.ADMIN)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        run_action(request, str(obj), lambda: vendor_actions.revoke_membership(admin=request.user, membership=obj))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for membership in queryset:
            self.delete_model(request, membership)


class PostInline(admin.TabularInline):
    model = Post
    fields = ("author", "is_question", "score", "created_at", "edited_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # replies are posted on the site


class LockForm(forms.ModelForm):
    """Only the lock is editable; saving it calls set_locked (which checks for a moderator)."""

    class Meta:
        model = Thread
        fields = ("is_locked",)


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    """Threads change on the site (ask, edit, accept, reopen, mark duplicate, moderate); here only the lock."""

    list_display = ("title", "author", "status", "reply_count", "score", "is_locked", "last_activity_at")
    list_filter = ("status", "is_locked")
    search_fields = ("title",)
    form = LockForm
    fields = (
        "title", "slug", "author", "status", "accepted_post", "duplicate_of", "review_state", "is_locked",
        "reply_count", "score", "last_seq", "created_at", "last_activity_at",
    )  # fmt: skip
    readonly_fields = tuple(f for f in fields if f != "is_locked")
    inlines = [PostInline]
    actions = ["lock", "unlock"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # moderators hide or reject; counters, events and escalations hang on the thread

    def save_model(self, request: HttpRequest, obj: Thread, form, change: bool) -> None:
        if "is_locked" in form.changed_data:
            self._set_locked(request, obj, locked=form.cleaned_data["is_locked"])

    def _set_locked(self, request: HttpRequest, thread: Thread, *, locked: bool) -> None:
        run_action(
            request,
            thread.title,
            lambda: thread_actions.set_locked(moderator=request.user, thread=thread, locked=locked),
        )

    @admin.action(description="Lock the selected threads")
    def lock(self, request: HttpRequest, queryset) -> None:
        for thread in queryset:
            self._set_locked(request, thread, locked=True)

    @admin.action(description="Unlock the selected threads")
    def unlock(self, request: HttpRequest, queryset) -> None:
        for thread in queryset:
            self._set_locked(request, thread, locked=False)


class PostBodyForm(forms.ModelForm):
    """The body, checked as the edit action checks it, so a refusal shows on the form."""

    class Meta:
        model = Post
        fields = ("body",)

    request: HttpRequest | None = None

    def clean_body(self) -> str:
        body = clean_body(self.cleaned_data.get("body", ""))
        check_cost(body)
        if self.request is not None and not access.can_edit_post(self.request.user, self.instance):
            raise ValidationError(gettext("Only moderators (or the author) can edit a post."))
        return body


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Saving a body calls edit_post: a revision, the EDITED event and the search index follow."""

    list_display = ("id", "thread", "author", "is_question", "score", "created_at")
    search_fields = ("body",)
    form = PostBodyForm
    fields = (
        "thread", "author", "is_question", "body", "body_html", "staff_vendor", "score", "review_state",
        "created_at", "edited_at",
    )  # fmt: skip
    readonly_fields = tuple(f for f in fields if f != "body")

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # moderators hide posts (/mod/): counters, search and events follow

    def save_model(self, request: HttpRequest, obj: Post, form, change: bool) -> None:
        if "body" in form.changed_data:
            with ratelimit.exempt():  # the site's operators are not who the edit limit is for
                post_actions.edit_post(editor=request.user, post=obj, body=form.cleaned_data["body"])


@admin.register(PostRevision)
class PostRevisionAdmin(ReadOnlyAdmin):
    list_display = ("post", "edited_by", "created_at")


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    """Votes move scores and reputation: cast and withdrawn on the site only."""

    list_display = ("post", "user", "created_at")


@admin.register(ThreadVendor)
class ThreadVendorAdmin(ReadOnlyAdmin):
    list_display = ("thread", "vendor", "last_activity_at")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The timeline is append-only: readable here, never edited or deleted."""

    list_display = ("thread", "seq", "kind", "actor", "vendor", "created_at")
    list_filter = ("kind",)


# ---- Community: follows, notification settings, image attachments ----
from django.utils.html import format_html  # noqa: E402

from forum.models import Attachment, NotificationSettings, TagFollow, VendorFollow  # noqa: E402


@admin.register(TagFollow)
class TagFollowAdmin(ReadOnlyAdmin):
    list_display = ("user", "tag", "created_at")
    search_fields = ("user__username", "tag__name")


@admin.register(VendorFollow)
class VendorFollowAdmin(ReadOnlyAdmin):
    list_display = ("user", "vendor", "created_at")
    search_fields = ("user__username", "vendor__handle")


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(ReadOnlyAdmin):
    list_display = ("user", "new_thread_live", "daily_digest", "email_replies_mentions", "digest_sent_at")
    list_filter = ("new_thread_live", "daily_digest", "email_replies_mentions")
    search_fields = ("user__username",)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Images are added through the post actions only; here they can be inspected."""

    list_display = ("original_name", "post", "content_type", "size", "width", "height", "uploaded_by", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_name", "uploaded_by__username")
    readonly_fields = [*(f.name for f in Attachment._meta.fields), "served_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a post's images go with the post's moderation (hide, reject)

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

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(moderation_models.Flag)
class FlagAdmin(ReadOnlyAdmin):
    """Flags are decided in the moderation queue (/mod/); here they can be read and searched."""

    list_display = ("post", "user", "reason", "trusted", "status", "created_at", "resolved_by")
    list_filter = ("status", "reason", "trusted")
    search_fields = ("user__username", "note")


@admin.register(moderation_models.ModerationLog)
class ModerationLogAdmin(ReadOnlyAdmin):
    """The moderators' audit log is append-only: readable here, never edited or deleted."""

    list_display = ("action", "moderator", "target_user", "post", "reason", "created_at")
    list_filter = ("action",)
    search_fields = ("moderator__username", "target_user__username", "reason")


# ---- Vendors joining (docs/vendors.md): read here; decided at /vendors/review/ and /vendors/unclaimed/ ----

from forum.models import joining as joining_models  # noqa: E402


@admin.register(joining_models.VendorLog)
class VendorLogAdmin(ReadOnlyAdmin):
    """The joining audit log is append-only: readable here, never edited."""

    list_display = ("action", "actor", "vendor", "application", "created_at")
    list_filter = ("action",)
    search_fields = ("actor__username", "vendor__handle")
    raw_id_fields = ("actor", "vendor", "application", "proposal")


@admin.register(joining_models.VendorApplication)
class VendorApplicationAdmin(ReadOnlyAdmin):
    """Applications change only through their actions (proof, approval): read-only here."""

    list_display = ("handle", "name", "applicant", "is_claim", "status", "created_at")
    list_filter = ("status", "is_claim")
    search_fields = ("handle", "name", "applicant__username")


class VendorIdentityProviderAdmin(SocialAppAdmin):
    """Vendors' identity providers (allauth SocialApps). Their admins set them on the vendor's
    single sign-on page (forum.actions.sso); here they are read-only, and the secret is never shown."""

    exclude = ("secret",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SocialApp | None = None) -> bool:
        return False


admin.site.unregister(SocialApp)
admin.site.register(SocialApp, VendorIdentityProviderAdmin)
