"""Markdown rendering cost: every shape of 50,000-character body, refused or rendered within budget.

Run: ``.venv/bin/python -m bench.markdown`` (a few seconds). For each shape the body is
grown to the largest size ``forum.markdown.check_cost`` accepts (at most 50,000
characters), rendered, and timed (best of three). The goal: no accepted body takes more
than 100 ms. ``render_cost`` is the estimate the budget uses; a large "real/estimate"
ratio means a weight in forum/markdown.py is too low.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import django

BODY_MAX = 50_000
FILL = "lorem ipsum dolor sit amet "
REALISTIC = """My **tablet** drops wifi after sleep. I tried the steps in [the FAQ](https://example.com/faq) and
ran `ipconfig /renew`, but it still fails! Any ideas? It's a *Northwind* Tab 7 & the router is a Bluewave R2.

- rebooted the router
- reset network settings
- updated firmware to `2.1.4`

```
wifi: link down (reason=3)
wifi: scan timeout
```

> Have you tried turning it off and on again? -- _dana_

"""


def repeat(unit: str) -> Callable[[int], str]:
    return lambda n: unit * n


def spread(mark: str) -> Callable[[int], str]:
    """``n`` marks spread evenly through one 50,000-character paragraph."""
    return lambda n: "".join(mark + (FILL * 200)[: max(0, BODY_MAX // n - len(mark))] for _ in range(n))


SHAPES: dict[str, Callable[[int], str]] = {
    "plain prose": lambda n: (FILL * n)[:BODY_MAX],
    "realistic post": repeat(REALISTIC),
    "run of [": repeat("["),
    "run of ![": repeat("!["),
    "run of *[": repeat("*["),
    "run of [*": repeat("[*"),
    "[ spread in one paragraph": spread("["),
    "![ spread in one paragraph": spread("!["),
    "emphasis *a ": repeat("*a "),
    "emphasis _a ": repeat("_a "),
    "run of *": repeat("*"),
    "run of _": repeat("_"),
    "backticks `a ": repeat("`a "),
    "run of `": repeat("`"),
    "run of <": repeat("<"),
    "autolinks <http://a ": repeat("<http://a "),
    "entities &#1; ": repeat("&#1; "),
    "run of &": repeat("&"),
    "run of \\": repeat("\\"),
    "strikethrough ~~a ": repeat("~~a "),
    "links [x](http://y) ": repeat("[x](http://y) "),
    "reference links": lambda n: "[r]: http://y\n\n" + "[x][r] " * n,
    "link definitions": lambda n: "".join(f"[d{i}]: http://x/{i}\n" for i in range(n)),
    "list items": repeat("- a\n"),
    "nested lists": lambda n: "".join("  " * (i % 30) + "- x\n" for i in range(n)),
    "nested quotes": lambda n: "".join("> " * (i % 30) + "x\n" for i in range(n)),
    "run of >": repeat(">"),
    "table rows": lambda n: "|a|b|c|\n|-|-|-|\n" + "|x|y|z|\n" * n,
    "headings": repeat("# h\n\n"),
    "short paragraphs": repeat("lorem ip\n\n"),
    "fenced code": lambda n: "```\n" + "wifi: link down [x] *a* <b> &c\n" * n + "```\n",
}


def largest_accepted(shape: Callable[[int], str], check) -> tuple[int, str]:
    """Binary search for the largest ``n`` whose body fits in BODY_MAX and the budget."""
    low, high = 1, BODY_MAX
    while low < high:
        mid = (low + high + 1) // 2
        body = shape(mid)
        try:
            fits = len(body) <= BODY_MAX and check(body) is None
        except Exception:  # noqa: BLE001 -- refused by the budget
            fits = False
        low, high = (mid, high) if fits else (low, mid - 1)
    return low, shape(low)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from forum import markdown

    print(f"{'shape':32} {'chars':>7} {'estimate':>9} {'real':>8}")
    worst = 0.0
    for name, shape in SHAPES.items():
        _, body = largest_accepted(shape, markdown.check_cost)
        best = min(_timed(markdown, body) for _ in range(3))
        worst = max(worst, best)
        print(f"{name:32} {len(body):7} {markdown.render_cost(body) / 1000:8.1f}ms {best * 1000:7.1f}ms")
    print(f"worst accepted body: {worst * 1000:.1f} ms (goal: 100 ms)")


def _timed(markdown, body: str) -> float:
    started = time.perf_counter()
    env: dict = {}
    tokens = markdown._md.parse(body, env)
    markdown.sanitize(markdown._md.renderer.render(tokens, markdown._md.options, env))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
