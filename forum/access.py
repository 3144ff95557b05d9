"""Who may do what in the forum. Actions call these; templates only mirror them.

One condition per line, so tests can cover every branch.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from forum.models import Article, Event, EventKind, Membership, Post, ReviewState, Thread, User, Vendor

AnyUser = User | AnonymousUser


def verified_membership(user: AnyUser, vendor: Vendor) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, vendor=vendor, status=Membership.Status.VERIFIED).first()


def is_vendor_staff(user: AnyUser, vendor: Vendor) -> bool:
    if user.is_authenticated and user.is_service_account:
        return user.service_vendor_id == vendor.pk  # a vendor's API identity works for that vendor only
    return verified_membership(user, vendor) is not None


def is_vendor_admin(user: AnyUser, vendor: Vendor) -> bool:
    """The vendor's own verified admin. A site superuser is not one (docs/security.md, "Who is staff")."""
    if not user.is_authenticated:
        return False
    membership = verified_membership(user, vendor)
    return membership is not None and membership.role == Membership.Role.ADMIN


def can_manage_staff(user: AnyUser, vendor: Vendor) -> bool:
    """Approve or remove a vendor's staff: its admins, and site superusers (who register vendors and
    appoint their first admins). This grants no access to notes, inbox, keys or webhooks by itself."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return is_vendor_admin(user, vendor)


def staff_vendor_for(user: AnyUser) -> Vendor | None:
    """The vendor whose badge the user's posts carry, if any."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(user=user, status=Membership.Status.VERIFIED)
        .select_related("vendor")
        .order_by("verified_at", "id")
        .first()
    )
    return membership.vendor if membership else None


def is_moderator(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_moderator or user.is_superuser)


def has_privilege(user: AnyUser, name: str) -> bool:
    """Whether the user's reputation unlocks a privilege (settings.BARNRAISE["PRIVILEGES"])."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_moderator(user):
        return True
    return user.reputation >= settings.BARNRAISE["PRIVILEGES"][name]


def is_suspended(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_suspended


def suspension_message(user: AnyUser) -> str:
    """What a suspended user is told when they try to take part, naming the end date."""
    if user.suspended_until is None:
        message = gettext("Your account is suspended indefinitely")
    else:
        until = timezone.localtime(user.suspended_until)
        message = gettext("Your account is suspended until %(until)s") % {"until": format(until, "%Y-%m-%d %H:%M %Z")}
    reason = (
        (" " + gettext("Reason: %(reason)s") % {"reason": user.suspension_reason}) if user.suspension_reason else ""
    )
    return gettext("%(message)s: you can read, but not post, reply, vote, flag or edit.%(reason)s") % {
        "message": message,
        "reason": reason,
    }


SERVICE_ACCOUNT_MESSAGE = gettext_lazy(
    "A vendor API key acts for the vendor, not for a person: it cannot ask, reply, edit, vote or flag. "
    "Use a personal access token for that."
)


def require_participant(user: AnyUser, login_message: str) -> None:
    """Logged in, active and not suspended; each refusal with its own message."""
    require(user.is_authenticated and user.is_active, login_message)
    require(not user.is_service_account, SERVICE_ACCOUNT_MESSAGE)
    require(not is_suspended(user), suspension_message(user) if user.is_authenticated else login_message)


def is_participant(user: AnyUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_service_account:
        return False
    return not user.is_suspended


def can_flag(user: AnyUser, post: Post) -> bool:
    if not is_participant(user):
        return False
    return post.author_id != user.pk


def _can_see(user: AnyUser, state: str, author_id: int) -> bool:
    if state == ReviewState.VISIBLE:
        return True
    if is_moderator(user):
        return True
    if state == ReviewState.REJECTED:
        return False
    return user.is_authenticated and author_id == user.pk


def can_see_post(user: AnyUser, post: Post) -> bool:
    """Whether the viewer sees the post's text (not the hidden-pending-review placeholder)."""
    return _can_see(user, post.review_state, post.author_id)


def can_see_thread(user: AnyUser, thread: Thread) -> bool:
    """Whether the viewer sees the thread's title and question (its state mirrors the question's)."""
    return _can_see(user, thread.review_state, thread.author_id)


def can_read_stream(user: AnyUser, vendor_id: int | None, staff_vendor_ids: list[int] | None = None) -> bool:
    """The public stream is everyone's; a vendor's private stream (staff notes) is its verified staff's only."""
    if vendor_id is None:
        return True
    if staff_vendor_ids is not None:
        return vendor_id in staff_vendor_ids
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, vendor_id=vendor_id, status=Membership.Status.VERIFIED).exists()


def can_suspend(moderator: AnyUser, target: User) -> bool:
    if not is_moderator(moderator):
        return False
    if target.pk == moderator.pk:
        return False
    return not (target.is_moderator or target.is_superuser)


def is_new_account(user: AnyUser) -> bool:
    """Joined less than NEW_ACCOUNT_DAYS ago: the age a fresh sign-up must reach for some actions (me too)."""
    if not user.is_authenticated:
        return True
    return user.date_joined > timezone.now() - timedelta(days=settings.BARNRAISE["NEW_ACCOUNT_DAYS"])


def needs_review(user: User, *, has_links: bool) -> bool:
    """A new account's post with links waits for a moderator (spam's favourite shape)."""
    if not has_links:
        return False
    if is_moderator(user):
        return False
    if not is_new_account(user):
        return False
    approved = Post.objects.filter(author=user, review_state=ReviewState.VISIBLE)[:3].count()
    return approved < 3


def can_edit_post(user: AnyUser, post: Post) -> bool:
    if not is_participant(user):
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.pk


def can_reply(user: AnyUser, thread: Thread) -> bool:
    if not is_participant(user):
        return False
    return not thread.is_locked or is_moderator(user)


def can_vote(user: AnyUser, post: Post) -> bool:
    if not is_participant(user):
        return False
    return post.author_id != user.pk


def can_accept(user: AnyUser, thread: Thread) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return thread.author_id == user.pk


def can_retag(user: AnyUser, thread: Thread) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if thread.author_id == user.pk:
        return True
    return has_privilege(user, "retag")


def can_see_history(user: AnyUser, post: Post) -> bool:
    if is_moderator(user):
        return True
    return can_edit_post(user, post)


def can_delete_account(actor: AnyUser, user: User) -> bool:
    """Only the person themselves, even while suspended (deleting one's data is their right).

    Not a site superuser (another admin removes that one, so a site is never left without an
    admin by accident) nor a vendor's service account (it goes with its vendor).
    """
    if not actor.is_authenticated or actor.pk != user.pk:
        return False
    if user.is_superuser or user.is_service_account:
        return False
    return user.deleted_at is None


def require(allowed: bool, message: str) -> None:
    """Raise PermissionDenied with a message a person can read."""
    if not allowed:
        raise PermissionDenied(message)


# ---- Knowledge: duplicates, verified and outdated answers ----


def verified_vendors(user: AnyUser) -> list[Vendor]:
    """Vendors the user is verified, active staff of, by name. One query, then remembered on the
    user object: a request's user lives for one request, and its page asks several times."""
    if not user.is_authenticated or not user.is_active:
        return []
    memo = getattr(user, "_verified_vendors", None)
    if memo is None:
        memo = list(
            Vendor.objects.filter(memberships__user=user, memberships__status=Membership.Status.VERIFIED).order_by(
                "name", "pk"
            )
        )
        user._verified_vendors = memo
    return memo


def has_verified_vendor_column(user: AnyUser) -> Exists:
    """Whether ``verified_vendors(user)`` can be non-empty, as a column of another query's row."""
    return Exists(Membership.objects.filter(user=user.pk, status=Membership.Status.VERIFIED))


def remember_verified_vendors(user: AnyUser, *, has_any: bool) -> None:
    """Read ``has_verified_vendor_column``: for most people (staff of no vendor) ``verified_vendors``
    then answers from memory, without its query."""
    if not has_any and user.is_authenticated:
        user._verified_vendors = []


def vendors_staffed_on_thread(user: AnyUser, thread: Thread) -> list[Vendor]:
    """Vendors involved in the thread (ThreadVendor) of which the user is verified staff. One query."""
    if not user.is_authenticated or not user.is_active:
        return []
    links = getattr(thread, "_prefetched_objects_cache", {}).get("vendor_links")
    if links is not None:  # the thread page prefetched its vendors: no query beyond verified_vendors()
        mine = {v.pk for v in verified_vendors(user)}
        return [link.vendor for link in links if link.vendor_id in mine]
    return list(
        Vendor.objects.filter(
            thread_links__thread=thread,
            memberships__user=user,
            memberships__status=Membership.Status.VERIFIED,
        ).distinct()
    )


def is_escalated(thread: Thread) -> bool:
    """Whether the thread was ever escalated to a vendor.

    forum does not know swarm's escalations, but its own timeline does: every
    escalation records a public ``escalated`` event, and events are never removed.
    """
    return Event.objects.filter(thread=thread, vendor__isnull=True, kind=EventKind.ESCALATED).exists()


def can_mark_duplicate(
    user: AnyUser, thread: Thread, staffed: list[Vendor] | None = None, *, escalated: bool | None = None
) -> bool:
    """Moderators; on a thread never escalated, also trusted members and staff of a vendor on it.

    An escalated thread carries vendors' escalations (their state, ratings and history);
    only a moderator decides that it is a duplicate, never another vendor or a member.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if is_moderator(user):
        return True
    # ``escalated`` is passed by a caller that already read the thread's public events.
    if is_escalated(thread) if escalated is None else escalated:
        return False
    if has_privilege(user, "mark_duplicate"):
        return True
    return bool(vendors_staffed_on_thread(user, thread) if staffed is None else staffed)


def mark_duplicate_refusal(thread: Thread) -> str:
    """Why ``can_mark_duplicate`` said no, in words a person can act on."""
    if is_escalated(thread):
        return gettext("This thread is escalated to a vendor, so only a moderator can mark it a duplicate.")
    return gettext(
        "Only moderators, members with the mark-duplicate privilege and staff of a vendor on this thread "
        "can mark duplicates."
    )


def can_flag_outdated(user: AnyUser, thread: Thread, staffed: list[Vendor] | None = None) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if thread.author_id == user.pk:
        return True
    if has_privilege(user, "retag"):
        return True
    return bool(vendors_staffed_on_thread(user, thread) if staffed is None else staffed)


def can_clear_outdated(user: AnyUser, thread: Thread, staffed: list[Vendor] | None = None) -> bool:
    if is_moderator(user):
        return True
    return bool(vendors_staffed_on_thread(user, thread) if staffed is None else staffed)


# ---- Knowledge articles (docs/knowledge.md, "Article life") ----


def is_confirmed_solution(thread: Thread) -> bool:
    """The customer confirmed it: an accepted answer, or an escalation confirmed solved (a public
    ``confirmed`` event: forum reads its own timeline, not swarm's tables)."""
    if thread.accepted_post_id is not None:
        return True
    return Event.objects.filter(thread=thread, vendor__isnull=True, kind=EventKind.CONFIRMED).exists()


def can_draft_article(user: AnyUser, thread: Thread, staffed: list[Vendor] | None = None) -> bool:
    """Staff of a vendor on the thread, and members with the ``draft_article`` privilege."""
    if not is_participant(user):
        return False
    if bool(vendors_staffed_on_thread(user, thread) if staffed is None else staffed):
        return True
    return has_privilege(user, "draft_article")


def can_review_article(user: AnyUser, article: Article) -> bool:
    """Publish, fix or retire: a vendor-verified article's vendor staff; any other article's moderators.

    A moderator does not review a vendor's article (the vendor vouches for it), and no
    vendor's staff review another vendor's.
    """
    if not is_participant(user):
        return False
    if article.vendor_id is not None:
        return article.vendor_id in {v.pk for v in verified_vendors(user)}
    return is_moderator(user)


def can_fix_article(user: AnyUser, article: Article) -> bool:
    """Its reviewers, and its author while still allowed to draft articles."""
    if can_review_article(user, article):
        return True
    return is_participant(user) and article.author_id == user.pk and has_privilege(user, "draft_article")


def can_see_article(user: AnyUser, article: Article) -> bool:
    """Articles once published are everyone's (retired ones too); a draft, and a draft discarded
    unpublished, only its author's and its reviewers'."""
    if article.published_at is not None:
        return True
    if user.is_authenticated and article.author_id == user.pk:
        return True
    return can_review_article(user, article)


def can_flag_article(user: AnyUser) -> bool:
    """Say "this didn't work for me": a participant whose account is past its first days."""
    if not is_participant(user):
        return False
    return not is_new_account(user)


def gap_report_vendor(user: AnyUser, requested: str = "") -> Vendor | None:
    """Whose content gaps the user may read: a moderator everyone's (None), or one vendor's on
    request; a vendor's verified staff (or its API key) that vendor's; anyone else is refused."""
    if is_moderator(user):
        return Vendor.objects.filter(handle=requested.strip().lower()[:30]).first() if requested else None
    vendor = None
    if user.is_authenticated and user.is_service_account:
        vendor = Vendor.objects.filter(pk=user.service_vendor_id).first()
    elif user.is_authenticated and user.is_active:
        vendor = staff_vendor_for(user)
    require(vendor is not None, gettext("The content-gap report is for moderators and vendors' verified staff."))
    return vendor


# ---- Two-factor sign-in for admins ----


def is_admin_role(user: AnyUser) -> bool:
    """Site admins (superusers, Django-admin staff) and any vendor's verified admins."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return Membership.objects.filter(user=user, status=Membership.Status.VERIFIED, role=Membership.Role.ADMIN).exists()


def has_second_factor(user: AnyUser) -> bool:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])


def must_set_up_mfa(user: AnyUser) -> bool:
    """With MFA_REQUIRED_FOR_ADMINS on, an admin without an authenticator app (or security key) sets one up
    before using admin-only pages."""
    if not settings.MFA_REQUIRED_FOR_ADMINS:
        return False
    if not is_admin_role(user):
        return False
    return not has_second_factor(user)


# ---- Vendors joining (docs/vendors.md) ----


def can_apply_for_vendor(user: AnyUser) -> bool:
    """Put a vendor on Barnraise, claim an unclaimed one, or propose one: a participant with a verified email."""
    if not is_participant(user):
        return False
    return user.emailaddress_set.filter(verified=True).exists()


def can_review_vendors(user: AnyUser) -> bool:
    """Approve or decline applications when VENDOR_APPROVAL_REQUIRED: site admins."""
    return user.is_authenticated and user.is_active and user.is_superuser


def can_list_unclaimed(user: AnyUser) -> bool:
    """List a company as an unclaimed vendor, or decide a customer's proposal: moderators."""
    return is_moderator(user) and user.is_active


def can_manage_sso(user: AnyUser, vendor: Vendor) -> bool:
    """Set up the vendor's single sign-on: its own verified admins only. A provider makes people staff,
    so not even a site superuser sets one up for a vendor (like API keys and webhooks)."""
    if not is_participant(user):
        return False
    if not vendor.is_claimed:
        return False
    return is_vendor_admin(user, vendor)
