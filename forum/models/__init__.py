"""Forum models, one module per domain, re-exported here."""

from forum.models.knowledge import AnswerVerification, OutdatedFlag, SuggestionOpen
from forum.models.notifications import Notification, ThreadFollow
from forum.models.threads import Post, PostRevision, TaggedThread, Thread, ThreadVendor, Vote
from forum.models.timeline import Event, EventKind
from forum.models.users import User
from forum.models.vendors import Membership, Vendor, VendorDomain

__all__ = [
    "AnswerVerification",
    "Event",
    "EventKind",
    "Membership",
    "Notification",
    "OutdatedFlag",
    "Post",
    "PostRevision",
    "SuggestionOpen",
    "TaggedThread",
    "Thread",
    "ThreadFollow",
    "ThreadVendor",
    "User",
    "Vendor",
    "VendorDomain",
    "Vote",
]
