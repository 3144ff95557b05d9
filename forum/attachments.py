"""Image attachments: accept only real PNG, JPEG, GIF or WebP images, and store clean copies.

Every upload is identified by its content with Pillow (never by its name or the
browser's content type), checked for size in bytes and in pixels (from the header, which Pillow reads
lazily) before its pixels are decoded (decompression bombs), decoded fully
(corrupt files; at most ``IMAGE_DECODES_AT_ONCE`` per process at a time), and
re-encoded into a fresh image. Re-encoding drops whatever else the file held:
EXIF and GPS metadata, comments, and anything appended to or hidden in it
(polyglots such as a GIF that is also an HTML page). The output is decoded
again before it is kept. Animated GIFs keep their first frame.

``prepare()`` runs before the action's transaction (it is CPU work);
``store()`` runs inside it and saves through Django's storage API.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from forum.models import Attachment, Post, User

logger = logging.getLogger(__name__)

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
ACCEPTED = "PNG, JPEG, GIF or WebP"
NAME_MAX = 120


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int
    original_name: str


def limits() -> tuple[int, int, int]:
    config = settings.BARNRAISE
    return config["ATTACHMENTS_PER_POST"], config["ATTACHMENT_MAX_BYTES"], config["ATTACHMENT_MAX_PIXELS"]


def clean_name(name: str) -> str:
    """The uploader's file name, made harmless for alt text and headers."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = re.sub(r"[<>\"'`]", "", name).strip(" .")
    return name[:NAME_MAX] or "image"


class RejectedImageError(Exception):
    """One upload refused, with the reason a person reads."""


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _decode_slots() -> threading.BoundedSemaphore:
    """The process-wide limit on images decoded at once (each can take up to ~100 MB and a core)."""
    size = settings.BARNRAISE.get("IMAGE_DECODES_AT_ONCE", 2)
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


@contextmanager
def decoding_slot(name: str) -> Iterator[None]:
    """Hold one decode slot; refuse the upload when none frees up in time (the server is busy)."""
    slots = _decode_slots()
    if not slots.acquire(timeout=settings.BARNRAISE.get("IMAGE_DECODE_WAIT", 10.0)):
        raise RejectedImageError(
            gettext("%(name)s could not be processed now: the server is busy. Try again in a minute.") % {"name": name}
        )
    try:
        yield
    finally:
        slots.release()


def _re_encode(image: Image.Image, fmt: str) -> bytes:
    """A fresh image from the decoded pixels only, saved in the same format."""
    image = ImageOps.exif_transpose(image)  # keep the photo upright once its EXIF is gone
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels = image.convert("RGB")
        Image.frombytes("RGB", pixels.size, pixels.tobytes()).save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "GIF":
        frame = image.convert("RGBA") if image.mode not in ("P", "L") else image
        fresh = Image.frombytes(frame.mode, frame.size, frame.tobytes())
        if frame.mode == "P":
            fresh.putpalette(frame.getpalette() or [])
            if "transparency" in frame.info and isinstance(frame.info["transparency"], int):
                fresh.info["transparency"] = frame.info["transparency"]
        kwargs = {"transparency": fresh.info["transparency"]} if "transparency" in fresh.info else {}
        fresh.save(out, "GIF", **kwargs)
    else:
        mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
        pixels = image.convert(mode)
        fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())
        if fmt == "PNG":
            fresh.save(out, "PNG", optimize=True)
        else:
            fresh.save(out, "WEBP", quality=88)
    return out.getvalue()


def _check_one(upload: UploadedFile, max_bytes: int, max_pixels: int) -> CleanImage:
    name = clean_name(getattr(upload, "name", "") or "")
    size = upload.size or 0
    if size > max_bytes:
        raise RejectedImageError(
            gettext("%(name)s is too large (%(value)s MB); the limit is %(value2)s MB.")
            % {"name": name, "value": format(size / 1_048_576, ".1f"), "value2": max_bytes // 1_048_576}
        )
    upload.seek(0)
    raw = upload.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise RejectedImageError(
            gettext("%(name)s is too large; the limit is %(value)s MB.")
            % {"name": name, "value": max_bytes // 1_048_576}
        )
    if not raw:
        raise RejectedImageError(gettext("%(name)s is empty.") % {"name": name})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in FORMATS:
                    raise RejectedImageError(
                        gettext("%(name)s is not a %(accepted)s image.") % {"name": name, "accepted": ACCEPTED}
                    )
                if width * height > max_pixels:
                    megapixels = max_pixels // 1_000_000
                    raise RejectedImageError(
                        gettext(
                            "%(name)s is too big: %(width)s×%(height)s pixels; the limit is %(megapixels)s megapixels."
                        )
                        % {"name": name, "width": width, "height": height, "megapixels": megapixels}
                    )
                # Only now, with the size known to be safe, are the pixels decoded: a few at a time.
                with decoding_slot(name):
                    probe.load()
                    data = _re_encode(probe, fmt)
                    return _verified(data, fmt, name)
    except RejectedImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RejectedImageError(gettext("%(name)s has too many pixels to be a safe image.") % {"name": name}) from None
    except UnidentifiedImageError:
        raise RejectedImageError(
            gettext("%(name)s is not a %(accepted)s image.") % {"name": name, "accepted": ACCEPTED}
        ) from None
    except Exception:  # noqa: BLE001 -- hostile files make Pillow raise OSError, SyntaxError, ValueError, struct.error...
        raise RejectedImageError(
            gettext("%(name)s is damaged or incomplete and could not be read as an image.") % {"name": name}
        ) from None


def _verified(data: bytes, fmt: str, name: str) -> CleanImage:
    """Decode the re-encoded output once more: only what Pillow can read back is kept."""
    try:
        with Image.open(io.BytesIO(data)) as check:
            if check.format != fmt:
                raise ValueError(check.format)
            check.load()
            width, height = check.size
    except Exception:  # noqa: BLE001 -- as above: anything Pillow cannot read back is refused
        raise RejectedImageError(gettext("%(name)s could not be converted safely.") % {"name": name}) from None
    return CleanImage(data=data, content_type=FORMATS[fmt], width=width, height=height, original_name=name)


def check_image(upload: UploadedFile) -> CleanImage:
    """One upload checked and re-encoded under the attachment limits (RejectedImageError says why not)."""
    _, max_bytes, max_pixels = limits()
    return _check_one(upload, max_bytes, max_pixels)


def prepare(images: Sequence[UploadedFile] | None) -> list[CleanImage]:
    """Check and re-encode uploads; ValidationError (under "images") naming every bad file."""
    images = [f for f in (images or []) if f is not None]
    if not images:
        return []
    per_post, max_bytes, max_pixels = limits()
    if len(images) > per_post:
        raise ValidationError(
            {
                "images": [
                    gettext("Attach at most %(per_post)s images to one post (you chose %(length)s).")
                    % {"per_post": per_post, "length": len(images)}
                ]
            },
            code="too_many_images",
        )
    clean: list[CleanImage] = []
    problems: list[str] = []
    for upload in images:
        try:
            clean.append(_check_one(upload, max_bytes, max_pixels))
        except RejectedImageError as rejected:
            problems.append(str(rejected))
    if problems:
        raise ValidationError({"images": problems}, code="bad_image")
    return clean


def store(*, post: Post, images: list[CleanImage], uploaded_by: User) -> list[Attachment]:
    """Save clean images under random names (inside the action's transaction)."""
    saved = []
    for image in images:
        attachment = Attachment(
            post=post,
            original_name=image.original_name,
            content_type=image.content_type,
            size=len(image.data),
            width=image.width,
            height=image.height,
            uploaded_by=uploaded_by,
        )
        attachment.file.save("upload", ContentFile(image.data), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


@contextmanager
def removed_on_failure() -> Iterator[list[Attachment]]:
    """Collect attachments stored inside the block; if the block fails, delete their files too.

    Wrap the action's ``transaction.atomic()`` with this: the rows roll back with
    the transaction, and the stored files go with them instead of lingering.
    """
    stored: list[Attachment] = []
    try:
        yield stored
    except BaseException:
        for attachment in stored:
            try:
                attachment.file.storage.delete(attachment.file.name)
            except OSError:
                logger.warning("Could not remove %s after a failed post", attachment.file.name, exc_info=True)
        raise
