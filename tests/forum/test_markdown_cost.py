"""Markdown rendering has a bounded cost: a hostile 50,000-character body is refused or renders quickly."""

from __future__ import annotations

import time

import pytest

from bench.markdown import REALISTIC, SHAPES
from forum.actions import posts as post_actions
from forum.markdown import TooComplexError, check_cost, render
from forum.models import Post
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BODY_MAX = 50_000
# A generous cap, so a busy CI machine cannot flake; bench/markdown.py measures the 100 ms goal.
CAP_SECONDS = 1.0


def fifty_thousand(shape) -> str:
    """The shape grown to exactly 50,000 characters (or as close as its unit allows)."""
    n = 1
    while n * 2 <= BODY_MAX and len(shape(n * 2)) <= BODY_MAX:
        n *= 2
    low, high = n, min(n * 2, BODY_MAX + 1)
    while low + 1 < high:
        mid = (low + high) // 2
        low, high = (mid, high) if len(shape(mid)) <= BODY_MAX else (low, mid)
    return shape(low)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_no_50k_body_takes_long_it_is_refused_or_rendered_within_the_cap(name):
    body = fifty_thousand(SHAPES[name])
    started = time.perf_counter()
    try:
        render(body)
    except TooComplexError as refused:
        assert "too much formatting" in refused.messages[0]
    assert time.perf_counter() - started < CAP_SECONDS, name


@pytest.mark.parametrize(
    "body",
    ["[" * BODY_MAX, "![" * (BODY_MAX // 2), "*[" * (BODY_MAX // 2), "[*" * (BODY_MAX // 2), "<a " * 16_000],
    ids=["[", "![", "*[", "[*", "<a"],
)
def test_the_known_slow_bodies_are_refused_before_parsing(body):
    started = time.perf_counter()
    with pytest.raises(TooComplexError):
        check_cost(body)
    assert time.perf_counter() - started < 0.1  # the check itself is one cheap pass


def test_ordinary_long_posts_still_render():
    for body in (REALISTIC * 40, "lorem ipsum dolor sit amet " * 1850, "```\n" + "log line [x] *a*\n" * 2900 + "```"):
        assert len(body) <= BODY_MAX
        assert "<p>" in render(body).html or "<pre>" in render(body).html


def test_a_refused_body_gets_a_clear_message_and_changes_nothing(thread, expert):
    with pytest.raises(TooComplexError):
        post_actions.reply(author=expert, thread=thread, body="[" * BODY_MAX)
    page = client_for(expert).post(f"/t/{thread.pk}/reply/", {"body": "*[" * (BODY_MAX // 2)})
    assert page.status_code == 400
    assert "too much formatting" in page.text
    assert Post.objects.filter(thread=thread).count() == 1
