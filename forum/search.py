"""Full-text search over threads: titles, questions and answers, solved ranked up.

Two backends behind one interface, picked by the database in use:
- PostgreSQL: ``Thread.search_vector`` (title weight A, question B, answers C)
  with a GIN index; ``websearch_to_tsquery`` parses what people type.
- SQLite: an FTS5 table ``forum_thread_fts`` keyed by thread id, created by
  migration 0002; queries are built from quoted words only.

Actions call ``index_thread`` / ``index_reply`` in their transaction.
Snippets are highlighted with private markers, escaped, then marked up, so
user text is never trusted as HTML.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from forum.markdown import plain_text
from forum.models import Post, ReviewState, Thread
from forum.timeline import presenter
from forum.validation import normalise_text

START, STOP = "\x02", "\x03"
SOLVED_BOOST = 2.0
WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12
ANY_WORDS = 8
# Words too common to suggest anything (PostgreSQL's English configuration drops these itself).
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "had", "has",
    "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "so",
    "than", "that", "the", "then", "there", "this", "to", "too", "up", "was", "we", "what", "when", "where",
    "which", "while", "who", "why", "will", "with", "you", "your", "after", "again", "all", "any", "been",
    "before", "cannot", "could", "did", "get", "gets", "got", "just", "now", "only", "should", "still", "very",
})  # fmt: skip


# Synonyms from tags: the words people type for what a tag names. An any-word query (the
# /ask/ suggestions) that uses one also looks for the tag's own word and its other names,
# so "charge drops overnight" finds "Battery drains overnight" (see bench/matching).
TAG_SYNONYMS: dict[str, tuple[str, ...]] = {
    "battery": ("charge", "charging", "drain", "power"),
    "audio": ("sound", "speakers", "silent", "volume"),
    "display": ("screen", "monitor", "flicker", "flickers", "flashing", "blinking", "blinks"),
    "wifi": ("wireless", "wlan", "wi"),
    "bluetooth": ("bt", "pair", "pairing"),
    "login": ("signin", "sign", "log", "logging"),
    "update": ("upgrade", "upgrading", "updating", "patch"),
    "firmware": ("flash", "upgrade"),
    "storage": ("space", "memory", "disk"),
    "crash": ("closes", "quits", "crashes"),
    "printer": ("print", "printing"),
    "security": ("2fa", "authenticator", "two"),
    "streaming": ("buffering", "playback", "stream"),
}  # fmt: skip
SYNONYM_WORDS = 4
_SYNONYM_OF = {word: tag for tag, words in TAG_SYNONYMS.items() for word in words}


def expand_synonyms(words: list[str]) -> list[str]:
    """The tag words that ``words`` name by another name and are not already there (at most a few)."""
    extra = [_SYNONYM_OF[w] for w in words if w in _SYNONYM_OF]
    return [w for w in dict.fromkeys(extra) if w not in words][:SYNONYM_WORDS]


@dataclass
class Hit:
    thread: Thread
    snippet: SafeString
    rank: float


class Results(list):
    """A page of hits, and ``total``: how many threads match in all (counted in the same query;
    on PostgreSQL at most RANK_CANDIDATES, the most recently active matches that are ranked)."""

    def __init__(self, hits: list[Hit] = (), *, total: int = 0) -> None:
        super().__init__(hits)
        self.total = total


@dataclass(frozen=True)
class Filters:
    """Narrowing a search: a tag, a vendor involved (ThreadVendor), solved or open, asked between dates.

    ``asked_before`` is exclusive (the view passes the day after the last day asked for).
    """

    tag_id: int | None = None
    vendor_id: int | None = None
    solved: bool | None = None
    asked_from: datetime | None = None
    asked_before: datetime | None = None


NO_FILTERS = Filters()
# Orders: key -> SQL ORDER BY over the ranked hits (``rank``, and ``t`` the thread).
SORTS = {
    "relevance": "rank DESC, t.id DESC",
    "newest": "t.created_at DESC, t.id DESC",
    "votes": "t.score DESC, rank DESC, t.id DESC",
}


def _filter_sql(filters: Filters, t: str = "t") -> tuple[str, list]:
    """Extra WHERE conditions on the thread aliased ``t``, with their parameters (never user text in SQL)."""
    sql, params = [], []
    # ``t`` is one of this module's own aliases, never input.
    tagged = "EXISTS (SELECT 1 FROM forum_taggedthread tt WHERE tt.content_object_id = {t}.id AND tt.tag_id = %s)"
    involved = "EXISTS (SELECT 1 FROM forum_threadvendor tv WHERE tv.thread_id = {t}.id AND tv.vendor_id = %s)"
    if filters.tag_id is not None:
        sql.append(tagged.format(t=t))
        params.append(filters.tag_id)
    if filters.vendor_id is not None:
        sql.append(involved.format(t=t))
        params.append(filters.vendor_id)
    if filters.solved is not None:
        sql.append(f"{t}.status = %s")
        params.append(Thread.Status.SOLVED if filters.solved else Thread.Status.OPEN)
    if filters.asked_from is not None:
        sql.append(f"{t}.created_at >= %s")
        params.append(filters.asked_from)
    if filters.asked_before is not None:
        sql.append(f"{t}.created_at < %s")
        params.append(filters.asked_before)
    return "".join(f" AND {c}" for c in sql), params


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _document(thread: Thread) -> tuple[str, str, str]:
    # Only what the public sees: hidden, pending and rejected posts stay out of the index.
    posts = list(
        thread.posts.filter(review_state=ReviewState.VISIBLE)
        .order_by("created_at", "id")
        .values_list("is_question", "body_html")
    )
    question = " ".join(plain_text(html) for is_q, html in posts if is_q)
    answers = " ".join(plain_text(html) for is_q, html in posts if not is_q)
    return thread.title, question, answers


def index_thread(thread: Thread) -> None:
    """(Re)build the thread's search entry from its title and all its posts."""
    title, question, answers = _document(thread)
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(
                "UPDATE forum_thread SET search_vector = "
                "setweight(to_tsvector('english', %s), 'A') || "
                "setweight(to_tsvector('english', %s), 'B') || "
                "setweight(to_tsvector('english', %s), 'C') WHERE id = %s",
                [title, question, answers, thread.pk],
            )
        else:
            cursor.execute("DELETE FROM forum_thread_fts WHERE rowid = %s", [thread.pk])
            cursor.execute(
                "INSERT INTO forum_thread_fts (rowid, title, question, answers) VALUES (%s, %s, %s, %s)",
                [thread.pk, title, question, answers],
            )


def index_reply(thread: Thread, post: Post) -> None:
    """Add a new reply to the index; on PostgreSQL without re-reading the thread."""
    if not _is_postgres():
        index_thread(thread)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE forum_thread SET search_vector = coalesce(search_vector, ''::tsvector) || "
            "setweight(to_tsvector('english', %s), 'C') WHERE id = %s",
            [plain_text(post.body_html), thread.pk],
        )


def _highlight(raw: str) -> SafeString:
    return mark_safe(escape(raw).replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308 - escaped first


def _words(query: str) -> list[str]:
    return WORD_RE.findall(query.lower())[:MAX_QUERY_WORDS]


def search_threads(
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    any_word: bool = False,
    filters: Filters = NO_FILTERS,
    sort: str = "relevance",
) -> list[Hit]:
    """Threads matching ``query``, best first (or newest, or most voted), solved threads ranked up.
    Fixed query count. ``filters`` narrows the matches (tag, vendor, solved, dates asked).

    ``any_word`` matches threads with any of the words (ranked by how many and
    how well), for suggestions from text people are still typing.
    """
    query = normalise_text(query)  # no NUL or control characters: PostgreSQL refuses NUL
    if any_word:
        words = list(dict.fromkeys(w for w in _words(query) if w not in STOP_WORDS and len(w) > 1))[:ANY_WORDS]
        if not words:
            return Results()
        words += expand_synonyms(words)
        query = " or ".join(words)  # websearch_to_tsquery's OR; _fts5_query(any_word=True) splits it again
    if not _words(query):
        return Results()
    order = SORTS[sort]
    if _is_postgres():
        rows = _search_postgres(query, limit, offset, _filter_sql(filters), order)
    else:
        rows = _search_sqlite(query, limit, offset, any_word, _filter_sql(filters, "th"), order)
    # Results are public: only threads a visitor may see (forum.timeline.presenter), also named as duplicates' targets.
    from forum.selectors import prefetch_tags

    found = presenter.public_threads(Thread.objects.all()).select_related("author", "duplicate_of")
    threads = found.in_bulk([r[0] for r in rows])
    prefetch_tags(threads.values())
    presenter.mask_threads(presenter.PUBLIC, [t.duplicate_of for t in threads.values() if t.duplicate_of])
    return Results(
        [
            Hit(thread=threads[tid], snippet=_highlight(snip or ""), rank=rank)
            for tid, rank, snip, _n in rows
            if tid in threads
        ],
        total=rows[0][3] if rows else 0,
    )


# Ranking reads every candidate's tsvector; a common word can match most of the forum,
# so only the most recently active matches are ranked (see bench/RESULTS.md).
RANK_CANDIDATES = 2000


def _search_postgres(
    query: str, limit: int, offset: int, where: tuple[str, list] = ("", []), order: str = SORTS["relevance"]
) -> list[tuple[int, float, str]]:
    # The query is written out where the candidates are chosen (not read from the q CTE), so the planner
    # sees the actual tsquery and its frequency: a word in most threads walks the activity index and stops
    # after RANK_CANDIDATES rows instead of fetching every match; the rank is computed on those rows only,
    # without reading the threads a second time (bench/RESULTS.md).
    sql = """
        WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query),
        candidates AS (
            SELECT t.id, t.created_at, t.score,
                   ts_rank(t.search_vector, websearch_to_tsquery('english', %s))
                   * (CASE WHEN t.status = 'solved' THEN %s ELSE 1 END) AS rank
            FROM forum_thread t
            WHERE t.search_vector @@ websearch_to_tsquery('english', %s) AND t.review_state = 'visible' {where}
            ORDER BY t.last_activity_at DESC
            LIMIT %s
        ),
        hits AS (
            SELECT t.id, t.rank, count(*) OVER () AS n
            FROM candidates t
            ORDER BY {order}
            LIMIT %s OFFSET %s
        )
        SELECT hits.id, hits.rank, hits.n,
               ts_headline('english', t.title || ' — ' || left(p.body, 2000), q.query,
                           'StartSel=' || chr(2) || ', StopSel=' || chr(3) ||
                           ', MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "')
        FROM hits
        JOIN forum_thread t ON t.id = hits.id
        JOIN forum_post p ON p.thread_id = t.id AND p.is_question
        CROSS JOIN q
        ORDER BY {outer}
    """.format(where=where[0], order=order, outer=order.replace("rank", "hits.rank"))  # noqa: S608 - fixed fragments
    params = [query, query, SOLVED_BOOST, query, *where[1], RANK_CANDIDATES, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], float(row[1]), row[3], row[2]) for row in cursor.fetchall()]


def _fts5_query(query: str, any_word: bool = False) -> str:
    # Each word quoted (so FTS5 operators typed by users mean nothing), the last as a prefix.
    if any_word:  # search_threads built "w1 or w2 ..." from words that are not "or"
        return " OR ".join(f'"{w}"' for w in WORD_RE.findall(query.lower()) if w != "or")
    words = _words(query)
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _search_sqlite(
    query: str,
    limit: int,
    offset: int,
    any_word: bool = False,
    where: tuple[str, list] = ("", []),
    order: str = SORTS["relevance"],
) -> list[tuple[int, float, str, int]]:
    # bm25() may not sit beside a window function: rank in a subquery, count around it. The snippet is
    # made for the page's rows only, by a second match of the same query: made in the ranking subquery,
    # it cost one snippet per matching thread (a common word matches most of the forum).
    sql = """
        WITH page AS (
            SELECT t.id, t.rank, t.created_at, t.score, count(*) OVER () AS n FROM (
                SELECT f.rowid AS id, th.created_at, th.score,
                       -bm25(forum_thread_fts, 10.0, 4.0, 1.0)
                         * (CASE WHEN th.status = 'solved' THEN %s ELSE 1 END) AS rank
                FROM forum_thread_fts f JOIN forum_thread th ON th.id = f.rowid
                WHERE forum_thread_fts MATCH %s AND th.review_state = 'visible' {where}
            ) t
            ORDER BY {order}
            LIMIT %s OFFSET %s
        )
        SELECT t.id, t.rank, snippet(forum_thread_fts, -1, char(2), char(3), ' … ', 24), t.n
        FROM page t JOIN forum_thread_fts ON forum_thread_fts.rowid = t.id
        WHERE forum_thread_fts MATCH %s
        ORDER BY {outer}
    """.format(where=where[0], order=order, outer=order.replace("rank", "t.rank"))  # noqa: S608 - fixed fragments
    match = _fts5_query(query, any_word)
    with connection.cursor() as cursor:
        cursor.execute(sql, [SOLVED_BOOST, match, *where[1], limit, offset, match])
        return [(row[0], float(row[1]), row[2], row[3]) for row in cursor.fetchall()]


# "Similar threads" must name real neighbours only. Rank scores are no floor: SQLite's bm25 depends
# on the whole corpus and any-word matching finds a thread that shares one common word ("update").
# A neighbour shares, in its title or question, at least NEIGHBOUR_MIN_SHARED of the title's
# significant words, and at least a third of them for long titles (docs/knowledge.md).
NEIGHBOUR_MIN_SHARED = 2
NEIGHBOUR_MIN_FRACTION = 1 / 3


def neighbour_floor(word_count: int) -> int:
    """How many of a title's ``word_count`` significant words a neighbour must share."""
    return max(min(NEIGHBOUR_MIN_SHARED, word_count), math.ceil(word_count * NEIGHBOUR_MIN_FRACTION))


def title_words(title: str) -> list[str]:
    """A title's significant words (no stop words, no single letters), each once, at most ANY_WORDS."""
    words = (w for w in _words(normalise_text(title)) if w not in STOP_WORDS and len(w) > 1)
    return list(dict.fromkeys(words))[:ANY_WORDS]


def shared_words(thread_ids: list[int], words: list[str]) -> dict[int, int]:
    """For each thread, how many of ``words`` its title or question contains (stemmed). One query."""
    if not thread_ids or not words:
        return {}
    if _is_postgres():
        # Weights A and B are the title and the question (index_thread); plainto_tsquery stems one word.
        term = "(CASE WHEN ts_filter(t.search_vector, '{a,b}') @@ plainto_tsquery('english', %s) THEN 1 ELSE 0 END)"
        table, key = "forum_thread t", "t.id"
    else:
        matching = "SELECT rowid FROM forum_thread_fts WHERE forum_thread_fts MATCH %s"
        term = f"(CASE WHEN t.rowid IN ({matching}) THEN 1 ELSE 0 END)"
        table, key = "forum_thread_fts t", "t.rowid"
        words = [f'{{title question}} : "{w}"' for w in words]  # quoted: typed text never acts as an operator
    placeholders = ", ".join(["%s"] * len(thread_ids))
    sql = f"SELECT {key}, {' + '.join([term] * len(words))} FROM {table} WHERE {key} IN ({placeholders})"  # noqa: S608 - fixed fragments
    with connection.cursor() as cursor:
        cursor.execute(sql, [*words, *thread_ids])
        return {row[0]: int(row[1]) for row in cursor.fetchall()}


def suggest_solved(query: str, *, limit: int = 5) -> list[Hit]:
    """Solved threads that match, for self-service before posting."""
    return [hit for hit in search_threads(query, limit=limit * 3) if hit.thread.is_solved][:limit]
