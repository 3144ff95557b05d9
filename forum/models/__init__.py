"""Forum models, one module per domain, re-exported here."""

from forum.models.community import Attachment, NotificationSettings, TagFollow, VendorFollow
from forum.models.moderation import Flag, ModerationLog, ReviewState
from forum.models.notifications import Notification, ThreadFollow
from forum.models.reputation import ReputationChange, UserBadge
from forum.models.threads import Post, PostRevision, TaggedThread, Thread, ThreadVendor, Vote
from forum.models.timeline import Event, EventKind
from forum.models.users import User
from forum.models.vendors import Membership, Vendor, VendorDomain

__all__ = [
    "Attachment",
    "Event",
    "EventKind",
    "Flag",
    "Membership",
    "ModerationLog",
    "Notification",
    "NotificationSettings",
    "Post",
    "PostRevision",
    "ReputationChange",
    "ReviewState",
    "TagFollow",
    "TaggedThread",
    "Thread",
    "ThreadFollow",
    "ThreadVendor",
    "User",
    "UserBadge",
    "Vendor",
    "VendorDomain",
    "VendorFollow",
    "Vote",
]
