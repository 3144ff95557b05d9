"""Markdown rendering: the one function that turns user text into HTML.

Posts are rendered once, on write, by ``render()``: markdown-it-py (CommonMark
with tables and strikethrough, raw HTML disabled) and then nh3, an allow-list
sanitiser, so nothing a user types can run script. Mentions (``@dana``,
``@northwind``) become links when the name exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

MENTION_RE = re.compile(r"@([A-Za-z0-9][A-Za-z0-9_.-]{0,29}[A-Za-z0-9_]|[A-Za-z0-9])")

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "ol": {"start"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


# Rendering cost (markdown-it-py is pure Python): an estimate in microseconds, measured
# with bench/markdown.py. Per line, a block marker (list, quote, heading, table) costs more
# than prose; inside inline text, each "[" may scan to the end of its paragraph for a "]",
# and each emphasis or code delimiter becomes tokens that are balanced later. Fenced code
# is nearly free. A body over the budget is refused with a message before it is parsed,
# so no accepted body costs more than about RENDER_BUDGET_US to render.
RENDER_BUDGET_US = 80_000  # the goal is 100 ms; weights were measured on a busy machine (load 7 on 2 cores)
LINE_US = 25
BLOCK_MARKER_US = 40
QUOTE_LEVEL_US = 5
FENCED_LINE_US = 2
INLINE_US = {"[": 55, "![": 50, "*": 18, "_": 18, "~": 15, "|": 15, "<": 15, "&": 14, "`": 10, "\\": 5}
FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")
BLOCK_MARKERS = frozenset("-+*>#|0123456789")


class TooComplexError(ValidationError):
    """A body whose markup would take too long to render."""


def render_cost(text: str) -> int:
    """An estimate, in microseconds, of what rendering ``text`` costs. Linear and cheap."""
    cost = 0
    fence = ""
    prose: list[str] = []
    for line in text.split("\n"):
        opening = FENCE_RE.match(line)
        if fence:
            cost += FENCED_LINE_US
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        cost += LINE_US
        if line.lstrip()[:1] in BLOCK_MARKERS:
            cost += BLOCK_MARKER_US
            prefix = line[: len(line) - len(line.lstrip(" >"))]
            cost += QUOTE_LEVEL_US * prefix.count(">")  # each quote level is one more block
        prose.append(line)
    inline = "\n".join(prose)
    return cost + sum(weight * inline.count(mark) for mark, weight in INLINE_US.items())


def check_cost(text: str) -> None:
    """Refuse, with a message, a body that would take too long to render."""
    if render_cost(text) > RENDER_BUDGET_US:
        raise TooComplexError(
            gettext(
                "This text has too much formatting to show quickly (brackets, emphasis, list items or table "
                "cells). Put logs and long listings in a code block between ``` lines, or split it into "
                "several posts."
            ),
            code="too_complex",
        )


@dataclass
class Rendered:
    html: str
    mentioned_users: set[str] = field(default_factory=set)
    mentioned_vendors: set[str] = field(default_factory=set)
    # Addresses the text points at: markdown links, autolinks, images, and bare http(s) URLs.
    links: set[str] = field(default_factory=set)


def _mention_rule(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "@":
        return False
    if pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_."):
        return False  # an email address, not a mention
    match = MENTION_RE.match(state.src, pos)
    if not match:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.meta = {"name": match.group(1).lower()}
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _render_mention(self, tokens: list[Token], idx: int, options, env: dict) -> str:
    from django.urls import reverse
    from django.utils.html import escape

    token = tokens[idx]
    name = token.meta["name"]
    if name in env.get("vendors", set()):
        return f'<a class="mention mention-vendor" href="{reverse("forum:vendor", args=[name])}">@{escape(name)}</a>'
    if name in env.get("users", {}):
        username = env["users"][name]
        return f'<a class="mention" href="{reverse("forum:profile", args=[username])}">@{escape(username)}</a>'
    return escape(token.content)


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("emphasis", "mention", _mention_rule)
    md.add_render_rule("mention", _render_mention)
    # Images stay images, but never load from another site without the reader asking.
    return md


_md = _build()


def _mentions(tokens: list[Token]) -> set[str]:
    names: set[str] = set()
    for token in tokens:
        for child in token.children or ():
            if child.type == "mention":
                names.add(child.meta["name"])
    return names


BARE_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _links(tokens: list[Token]) -> set[str]:
    links: set[str] = set()
    for token in tokens:
        for child in token.children or ():
            if child.type == "link_open":
                links.add(str(child.attrGet("href") or ""))
            elif child.type == "image":
                links.add(str(child.attrGet("src") or ""))
            elif child.type == "text":
                links.update(BARE_URL_RE.findall(child.content))
    links.discard("")
    return links


# Table column alignment: markdown-it writes style="text-align:…", which the CSP (style-src 'self')
# blocks and browsers report as a violation; a class does the same from site.css.
_ALIGN_RE = re.compile(r'<(t[hd]) style="text-align:(left|center|right)">')
_ALIGN_CLASSES = {"align-left", "align-center", "align-right"}


def sanitize(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        _ALIGN_RE.sub(r'<\1 class="align-\2">', html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
        allowed_classes={"th": _ALIGN_CLASSES, "td": _ALIGN_CLASSES},
    )


def render(text: str) -> Rendered:
    """Render Markdown to safe HTML and resolve @mentions of users and vendors."""
    from django.db.models.functions import Lower

    from forum.models import User, Vendor

    check_cost(text)
    env: dict = {}
    tokens = _md.parse(text, env)
    names = _mentions(tokens)
    if names:
        env["vendors"] = set(Vendor.objects.filter(handle__in=names).values_list("handle", flat=True))
        # Mention names are lowercased; usernames keep their case, so compare case-insensitively.
        env["users"] = {
            username.lower(): username
            for username in User.objects.annotate(username_lower=Lower("username"))
            .filter(username_lower__in=names - env["vendors"], is_active=True)
            .values_list("username", flat=True)
        }
    html = _md.renderer.render(tokens, _md.options, env)
    return Rendered(
        html=sanitize(html),
        mentioned_users=set(env.get("users", {}).values()),
        mentioned_vendors=set(env.get("vendors", set())),
        links=_links(tokens),
    )


def plain_text(html: str) -> str:
    """Text of rendered HTML, for search indexes and summaries."""
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()
