"""Find (and optionally wrap) user-visible text in Django templates that is outside translate tags.

The scanner walks a template's tokens with a small HTML state machine: text between tags, the values of
attributes people read (title, placeholder, aria-label, alt, …), skipping <script>, <style>, <code>, <pre>,
HTML comments and anything already inside {% translate %} or {% blocktranslate %}. A "run" is the text and
{{ variables }} between two HTML tags or template tags; a run with a letter in its text is user-visible text.

    python scripts/i18n_templates.py templates/forum/ask.html   # list bare runs
    python scripts/i18n_templates.py --fix templates/...        # wrap them (variables become blocktranslate)

tests/test_i18n.py uses ``bare_text`` as the lint that keeps templates translatable.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.template.base import DebugLexer, TokenType

TRANSLATABLE_ATTRS = {
    "title",
    "placeholder",
    "aria-label",
    "alt",
    "aria-roledescription",
    "data-submit",
    "data-short",
    "data-confirm",
}
RAW_ELEMENTS = {"script", "style", "code", "pre", "svg", "textarea"}
LETTER = re.compile(r"[^\W\d_]")


@dataclass
class Run:
    pieces: list[tuple[str, int, int, str]] = field(default_factory=list)  # (kind, start, end, text)
    attr: str | None = None
    broken: bool = False  # a block tag inside an attribute value: not convertible automatically

    def text(self) -> str:
        return "".join(t for kind, _s, _e, t in self.pieces if kind == "text")

    def visible(self) -> bool:
        return bool(LETTER.search(self.text()))


def _runs(source: str) -> list[Run]:
    runs: list[Run] = []
    state = "text"  # text | tag | attrval | comment | raw
    raw_until = ""
    quote = ""
    attr_name = ""
    pending_name = ""
    tag_name = ""
    current = Run()
    in_translate = 0
    in_class_block = False

    def close_run() -> None:
        nonlocal current
        if current.pieces:
            runs.append(current)
        current = Run()

    for token in DebugLexer(source).tokenize():
        start, end = token.position
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            # Not text people read: translate blocks (already done), comments, and the block naming CSS classes.
            opening = name in {"blocktranslate", "blocktrans", "comment", "verbatim"}
            if opening or token.contents == "block content_class":
                in_translate += 1
            elif name in {"endblocktranslate", "endblocktrans", "endcomment", "endverbatim"} or (
                name == "endblock" and in_class_block
            ):
                in_translate -= 1
            if token.contents == "block content_class":
                in_class_block = True
            elif name == "endblock":
                in_class_block = False
            if state == "attrval" and current.pieces:
                current.broken = True
            if state != "attrval":
                close_run()
            continue
        if token.token_type == TokenType.COMMENT:
            continue
        if token.token_type == TokenType.VAR:
            wanted = state == "text" or (state == "attrval" and attr_name in TRANSLATABLE_ATTRS)
            if wanted and not in_translate:
                current.pieces.append(("var", start, end, token.contents))
            continue
        # TEXT token: walk its characters.
        text = source[start:end]
        i = 0
        seg_start = 0

        def flush(upto: int) -> None:  # called only within this token's loop: its variables are current
            if upto > seg_start and not in_translate:  # noqa: B023
                current.pieces.append(("text", start + seg_start, start + upto, text[seg_start:upto]))  # noqa: B023

        while i < len(text):
            ch = text[i]
            if state == "raw":
                close_tag = f"</{raw_until}"
                j = text.lower().find(close_tag, i)
                if j < 0:
                    i = len(text)
                    break
                state = "text"
                i = j
                seg_start = i
                continue
            if state == "comment":
                j = text.find("-->", i)
                if j < 0:
                    i = len(text)
                    break
                state = "text"
                i = j + 3
                seg_start = i
                continue
            if state == "text":
                if ch == "<":
                    flush(i)
                    close_run()
                    if text.startswith("<!--", i):
                        state = "comment"
                        i += 4
                        continue
                    m = re.match(r"</?([a-zA-Z][\w-]*)", text[i:])
                    tag_name = m.group(1).lower() if m else ""
                    state = "tag"
                    pending_name = ""
                    i += m.end() if m else 1
                    continue
                i += 1
                continue
            if state == "tag":
                if ch == ">":
                    state = "text"
                    opening = not text[:i].rstrip().endswith("/")
                    if tag_name in RAW_ELEMENTS and opening and not _closing_tag(text, i, tag_name):
                        state = "raw"
                        raw_until = tag_name
                    i += 1
                    seg_start = i
                    continue
                if ch in "\"'":
                    state = "attrval"
                    quote = ch
                    attr_name = pending_name.lower()
                    close_run()
                    current.attr = attr_name
                    i += 1
                    seg_start = i
                    continue
                m = re.match(r"[\w:-]+", text[i:])
                if m:
                    pending_name = m.group(0)
                    i += m.end()
                    continue
                i += 1
                continue
            if state == "attrval":
                if ch == quote:
                    if attr_name in TRANSLATABLE_ATTRS:
                        flush(i)
                    if attr_name not in TRANSLATABLE_ATTRS:
                        current.pieces.clear()
                    close_run()
                    state = "tag"
                    pending_name = ""
                    i += 1
                    continue
                i += 1
                continue
        if state == "text" or (state == "attrval" and attr_name in TRANSLATABLE_ATTRS):
            flush(len(text))
    close_run()
    return runs


def _closing_tag(text: str, i: int, tag_name: str) -> bool:
    j = text.rfind("<", 0, i)
    return text[j : j + 2] == "</"


def bare_text(source: str) -> list[str]:
    """The user-visible text of a template that is not inside translate tags."""
    return [" ".join(run.text().split()) for run in _runs(source) if run.visible()]


def _name(expr: str, used: dict[str, str]) -> str:
    base = expr.split("|")[0].strip()
    name = base.split(".")[-1]
    if not name.isidentifier() or name in {"count", "with", "as"}:
        name = "value"
    candidate = name
    n = 2
    while candidate in used and used[candidate] != expr:
        candidate = f"{name}{n}"
        n += 1
    used[candidate] = expr
    return candidate


def fix(source: str) -> tuple[str, list[str]]:
    edits: list[tuple[int, int, str]] = []
    manual: list[str] = []
    for run in _runs(source):
        if not run.visible():
            continue
        if run.broken or any(kind == "var" and "pluralize" in t for kind, _s, _e, t in run.pieces):
            manual.append(" ".join(run.text().split()))
            continue
        start, end = run.pieces[0][1], run.pieces[-1][2]
        whole = source[start:end]
        lead = whole[: len(whole) - len(whole.lstrip())]
        trail = whole[len(whole.rstrip()) :]
        used: dict[str, str] = {}
        parts = []
        has_var = False
        for kind, _s, _e, t in run.pieces:
            if kind == "text":
                parts.append(t)
            else:
                has_var = True
                parts.append("{{ " + _name(t, used) + " }}")
        body = " ".join("".join(parts).split())
        if not has_var and '"' not in body:
            new = '{% translate "' + body + '" %}'
        elif not has_var and "'" not in body:
            new = "{% translate '" + body + "' %}"
        else:
            withs = " ".join(f"{k}={v}" for k, v in used.items())
            opening = "{% blocktranslate" + (f" with {withs}" if withs else "") + " %}"
            new = opening + body + "{% endblocktranslate %}"
        edits.append((start, end, lead + new + trail))
    for start, end, new in sorted(edits, reverse=True):
        source = source[:start] + new + source[end:]
    if edits and "{% load i18n" not in source and "i18n" not in source.split("\n", 3)[0]:
        m = re.match(r"\s*{% extends [^%]+%}\n?", source)
        at = m.end() if m else 0
        source = source[:at] + "{% load i18n %}" + source[at:]
    return source, manual


def main(argv: list[str]) -> int:
    import django

    django.setup()
    do_fix = "--fix" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    status = 0
    for path in paths:
        source = path.read_text()
        if do_fix:
            new, manual = fix(source)
            if new != source:
                path.write_text(new)
            for text in manual:
                print(f"{path}: MANUAL: {text}")
        else:
            for text in bare_text(source):
                status = 1
                print(f"{path}: {text}")
    return status


if __name__ == "__main__":
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    raise SystemExit(main(sys.argv[1:]))
