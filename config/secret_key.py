"""The signing key when SECRET_KEY is not set: random, made on first run, kept outside the source.

A key written in the source is known to everyone who reads it, and with it anyone
can forge session cookies, email-confirmation and password-reset links. So the
embedded default generates one per installation and keeps it in a file readable
only by its owner (beside the SQLite database unless SECRET_KEY_FILE names one).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

# The key that older versions shipped in config/settings.py. Never accepted again.
KNOWN_DEVELOPMENT_KEY = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
KEY_BYTES = 50


def load_or_create(path: Path) -> str:
    """Read the key stored at ``path``, creating it (mode 0600, atomically) on first run."""
    key = _read(path)
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: link() fails if another
    # process got there first, so two servers starting together end up with one key,
    # and no reader ever sees a half-written file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    key = _read(path)
    if not key:
        raise RuntimeError(f"Could not create a signing key at {path}; set SECRET_KEY.")
    return key


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""
