"""Avatars: an uploaded picture, square-cropped to two sizes, or initials generated from the name.

An upload goes through the attachment pipeline first (forum.attachments: identified
by content, size and pixel limits before decoding, decoded a few at a time,
re-encoded without EXIF or anything else), then is cropped to a centred square
and saved as WebP in ``SIZES`` under a random key: ``avatars/<key>-<px>.webp``.
A new upload gets a new key, so an avatar's address never changes content and
is cached for long (``forum.views.account.avatar``).

Without an upload a person gets initials on a colour chosen from their id, drawn
with CSS classes (``.avatar-c0`` … in static/css/site.css, every colour at least
4.5:1 against the white letters): no request per post, nothing inline for CSP.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from forum import attachments

logger = logging.getLogger(__name__)

SMALL = 64  # beside posts, in lists and notifications (shown at 32 px: sharp on 2x screens)
LARGE = 256  # profile and settings (shown at 128 px)
SIZES = (SMALL, LARGE)
PALETTE_SIZE = 12
KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class AvatarImages:
    """The square WebP renditions of one upload, by size in pixels."""

    renditions: dict[int, bytes]


def prepare(upload: UploadedFile) -> AvatarImages:
    """Check, clean and crop one upload; ``attachments.RejectedImageError`` says what is wrong with it."""
    clean = attachments.check_image(upload)
    with attachments.decoding_slot(clean.original_name):
        try:
            return AvatarImages(renditions=_square_renditions(clean.data))
        except Exception:  # noqa: BLE001 -- the image was already read back once; anything odd is refused
            message = _("%(name)s could not be turned into a picture; try another image.")
            raise attachments.RejectedImageError(message % {"name": clean.original_name}) from None


def _square_renditions(data: bytes) -> dict[int, bytes]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        mode = "RGBA" if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info else "RGB"
        pixels = image.convert(mode)
        renditions = {}
        for size in SIZES:
            square = ImageOps.fit(pixels, (size, size), method=Image.Resampling.LANCZOS)
            out = io.BytesIO()
            square.save(out, "WEBP", quality=85)
            renditions[size] = out.getvalue()
    return renditions


def path(key: str, size: int) -> str:
    return f"avatars/{key}-{size}.webp"


def store(key: str, images: AvatarImages) -> None:
    """Save every rendition under ``key`` (removed again if any save fails)."""
    try:
        for size, data in images.renditions.items():
            saved = default_storage.save(path(key, size), ContentFile(data))
            if saved != path(key, size):  # a storage that renamed it could never serve it
                default_storage.delete(saved)
                raise OSError(f"storage renamed {path(key, size)} to {saved}")
    except BaseException:
        delete(key)
        raise


def delete(key: str) -> None:
    """Remove an avatar's files; a failure is logged, not raised (the key is no longer served anyway)."""
    if not key:
        return
    for size in SIZES:
        try:
            default_storage.delete(path(key, size))
        except OSError:
            logger.warning("Could not remove avatar file %s", path(key, size), exc_info=True)


def initials(name: str) -> str:
    """Up to two letters: the first of the first two words ("Jeff Morrow" → "JM", "jeff" → "J")."""
    letters = [word[0] for word in re.findall(r"\w+", name or "") if word]
    return "".join(letters[:2]).upper() or "?"


def colour_index(user_id: int | None) -> int:
    """The palette slot for a person: fixed by their id, spread so neighbours differ."""
    return ((user_id or 0) * 7) % PALETTE_SIZE
