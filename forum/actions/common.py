"""Small pieces several actions share."""

from __future__ import annotations

from django.utils import timezone

from forum.models import Post, Thread, ThreadVendor, Vendor


def lock_thread_row(thread_id: int) -> Thread:
    """Re-read the thread under a row lock, for read-then-write inside an action."""
    return Thread.objects.select_for_update().get(pk=thread_id)


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
