"""Forum models, one module per domain, re-exported here."""

from forum.models.api import PersonalAccessToken, VendorApiKey, WebhookDelivery, WebhookEndpoint
from forum.models.community import Attachment, NotificationSettings, TagFollow, TagMute, VendorFollow
from forum.models.idempotency import IdempotencyKey
from forum.models.joining import DomainProof, VendorApplication, VendorLog, VendorProposal
from forum.models.knowledge import (
    AnswerVerification,
    Article,
    ArticleFlag,
    ArticleReuse,
    ContentGap,
    OutdatedFlag,
    SuggestionOpen,
)
from forum.models.moderation import Flag, ModerationLog, ReviewState
from forum.models.notifications import Notification, ThreadFollow
from forum.models.reading import ThreadMute, ThreadRead
from forum.models.reputation import ReputationChange, UserBadge
from forum.models.threads import Post, PostRevision, TaggedThread, Thread, ThreadVendor, Vote
from forum.models.timeline import Event, EventKind
from forum.models.users import ReservedUsername, User
from forum.models.vendors import Membership, Vendor, VendorDomain, VendorSSO
from forum.models.worker import ScheduledRun, SentMessage, WorkerHeartbeat

__all__ = [
    "AnswerVerification",
    "Article",
    "ArticleFlag",
    "ArticleReuse",
    "Attachment",
    "ContentGap",
    "DomainProof",
    "Event",
    "EventKind",
    "Flag",
    "IdempotencyKey",
    "Membership",
    "ModerationLog",
    "Notification",
    "NotificationSettings",
    "OutdatedFlag",
    "PersonalAccessToken",
    "Post",
    "PostRevision",
    "ReputationChange",
    "ReservedUsername",
    "ReviewState",
    "ScheduledRun",
    "SentMessage",
    "SuggestionOpen",
    "TagFollow",
    "TagMute",
    "TaggedThread",
    "Thread",
    "ThreadFollow",
    "ThreadMute",
    "ThreadRead",
    "ThreadVendor",
    "User",
    "UserBadge",
    "Vendor",
    "VendorApiKey",
    "VendorApplication",
    "VendorDomain",
    "VendorFollow",
    "VendorLog",
    "VendorProposal",
    "VendorSSO",
    "Vote",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerHeartbeat",
]
