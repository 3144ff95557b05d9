"""Forum's event kinds: their labels and the typed shape of their data.

Registered from ``ForumConfig.ready()`` (forum.timeline.kinds). A "set" and
its "clear" are separate kinds, so a history line, a live frame and a webhook
never have to look inside ``data`` to know which one happened.
"""

from __future__ import annotations

from typing import TypedDict

from django.utils.translation import gettext_noop

from forum.models import EventKind
from forum.timeline import kinds


class Empty(TypedDict):
    pass


class Posted(TypedDict):
    title: str
    tags: list[str]
    mentions: list[str]
    vendors: list[str]


class Replied(TypedDict):
    mentions: list[str]
    vendors: list[str]


class Edited(TypedDict):
    title: str | None  # the new title when the question's title changed


class Voted(TypedDict):
    score: int  # the post's score after the change


class Accepted(TypedDict):
    answer_author: str
    staff_vendor: int | None


class Reopened(TypedDict):
    previous_answer: int | None


class Duplicate(TypedDict):
    canonical: int
    canonical_title: str


class DuplicateCleared(TypedDict):
    previous: int | None


class Retagged(TypedDict):
    old: list[str]
    new: list[str]


class Verified(TypedDict):
    vendor: str
    vendor_name: str


class Outdated(TypedDict):
    reason: str


class ArticleStep(TypedDict):
    article: int
    title: str
    revision: int


class ArticleFlagged(ArticleStep):
    environment: str
    open_flags: int  # flags on this revision, this one included


class ArticleFixed(ArticleStep):
    note: str


class ArticleRetired(ArticleStep):
    reason: str


_ARTICLE = {"article": 3, "title": "Tablet drops wifi after sleep", "revision": 1}

FORUM_KINDS: list[tuple[str, str, type, dict]] = [
    (
        EventKind.POSTED,
        gettext_noop("asked the question"),
        Posted,
        {"title": "T", "tags": ["wifi"], "mentions": [], "vendors": []},
    ),
    (EventKind.REPLIED, gettext_noop("replied"), Replied, {"mentions": ["dana"], "vendors": ["northwind"]}),
    (EventKind.EDITED, gettext_noop("edited a post"), Edited, {"title": None}),
    (EventKind.VOTED, gettext_noop("voted"), Voted, {"score": 3}),
    (EventKind.VOTE_WITHDRAWN, gettext_noop("withdrew a vote"), Voted, {"score": 2}),
    (EventKind.ACCEPTED, gettext_noop("accepted an answer"), Accepted, {"answer_author": "dana", "staff_vendor": None}),
    (EventKind.REOPENED, gettext_noop("reopened the thread"), Reopened, {"previous_answer": 7}),
    (EventKind.LOCKED, gettext_noop("locked the thread"), Empty, {}),
    (EventKind.UNLOCKED, gettext_noop("unlocked the thread"), Empty, {}),
    (
        EventKind.DUPLICATE,
        gettext_noop("marked the thread a duplicate"),
        Duplicate,
        {"canonical": 4, "canonical_title": "Earlier"},
    ),
    (
        EventKind.DUPLICATE_CLEARED,
        gettext_noop("unmarked the thread as a duplicate"),
        DuplicateCleared,
        {"previous": 4},
    ),
    (EventKind.RETAGGED, gettext_noop("changed the tags"), Retagged, {"old": ["a"], "new": ["b"]}),
    (EventKind.HIDDEN, gettext_noop("hid a post pending review"), Empty, {}),
    (EventKind.HELD, gettext_noop("sent an edited post back to review"), Empty, {}),
    (EventKind.RESTORED, gettext_noop("restored a hidden post"), Empty, {}),
    (
        EventKind.VERIFIED,
        gettext_noop("marked an answer verified"),
        Verified,
        {"vendor": "northwind", "vendor_name": "Northwind"},
    ),
    (EventKind.OUTDATED, gettext_noop("flagged an answer outdated"), Outdated, {"reason": "Fixed in 4.3"}),
    (EventKind.OUTDATED_CLEARED, gettext_noop("cleared the outdated flag"), Empty, {}),
    (EventKind.ARTICLE_DRAFTED, gettext_noop("drafted a knowledge article"), ArticleStep, _ARTICLE),
    (EventKind.ARTICLE_PUBLISHED, gettext_noop("published the knowledge article"), ArticleStep, _ARTICLE),
    (
        EventKind.ARTICLE_FLAGGED,
        gettext_noop("said the article didn't work for them"),
        ArticleFlagged,
        _ARTICLE | {"environment": "Tablet 4, firmware 4.3", "open_flags": 1},
    ),
    (
        EventKind.ARTICLE_FIXED,
        gettext_noop("fixed the article"),
        ArticleFixed,
        _ARTICLE | {"revision": 2, "note": "Step 2 for 4.3"},
    ),
    (
        EventKind.ARTICLE_RETIRED,
        gettext_noop("retired the article"),
        ArticleRetired,
        _ARTICLE | {"reason": "Fixed in firmware 5"},
    ),
]


def register() -> None:
    for value, label, payload, example in FORUM_KINDS:
        kinds.register(value, label, payload, app="forum", example=example)
