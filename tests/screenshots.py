"""Screenshots taken by the browser tests.

Every browser test that takes a picture takes it on every run (so a page that cannot be drawn
fails), into the test's own temporary folder. With ``SAVE_SCREENSHOTS=1`` the pictures go to
``docs/screenshots/`` instead, to be looked at and committed: a plain test run never rewrites
tracked files.
"""

from __future__ import annotations

import os
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def folder(tmp_path: Path) -> Path:
    return DOCS if os.environ.get("SAVE_SCREENSHOTS") else tmp_path


def save(target, name: str, tmp_path: Path, *, full_page: bool = True) -> Path:
    """Screenshot ``target`` (a page, drawn whole from its top, or one element) as ``name``."""
    path = folder(tmp_path) / name
    if hasattr(target, "goto"):  # a page
        # A full-page shot of a scrolled page draws the sticky header mid-page.
        target.evaluate("window.scrollTo(0, 0)")
        target.screenshot(path=str(path), full_page=full_page)
    else:
        target.screenshot(path=str(path))
    return path
