"""Small pieces several actions share."""

from __future__ import annotations

from django.utils import timezone

from forum.models import Post, Thread, ThreadVendor, Vendor


def lock_thread_row(thread_id: int) -> Thread:
    """Re-read the thread under a row lock, for read-then-write inside an action.

    FOR NO KEY UPDATE, not FOR UPDATE: actions still exclude each other, but the
    foreign-key checks PostgreSQL runs at commit (FOR KEY SHARE on a referenced
    thread, e.g. a duplicate's canonical) never wait for it, so a transaction on a
    duplicate can't deadlock with one that holds its canonical.
    """
    return Thread.objects.select_for_update(no_key=True).get(pk=thread_id)


def link_vendors(thread: Thread, post: Post, mentioned_handles: set[str]) -> None:
    """Record which vendors a thread involves: mentioned as @handle, or answered by staff."""
    vendor_ids = set(Vendor.objects.filter(handle__in=mentioned_handles).values_list("pk", flat=True))
    if post.staff_vendor_id:
        vendor_ids.add(post.staff_vendor_id)
    if not vendor_ids:
        return
    now = timezone.now()
    existing = set(
        ThreadVendor.objects.filter(thread=thread, vendor_id__in=vendor_ids).values_list("vendor_id", flat=True)
    )
    ThreadVendor.objects.filter(thread=thread, vendor_id__in=existing).update(last_activity_at=now)
    ThreadVendor.objects.bulk_create(
        [ThreadVendor(thread=thread, vendor_id=vid, last_activity_at=now) for vid in vendor_ids - existing],
        ignore_conflicts=True,
    )
