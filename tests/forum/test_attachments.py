"""Images on posts: only real PNG/JPEG/GIF/WebP, re-encoded clean, served so they cannot be anything else."""

import io
import os
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import ExifTags, Image

from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions
from forum.models import Attachment, Post, Thread
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def image_bytes(fmt="PNG", size=(64, 48), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name="screenshot.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming a huge image, with (almost) no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def rejection(thread, author, *files) -> list[str]:
    before = Post.objects.count()
    with pytest.raises(ValidationError) as caught:
        post_actions.reply(author=author, thread=thread, body="See the picture.", images=list(files))
    assert Post.objects.count() == before
    return caught.value.message_dict["images"]


# ---- accepted ----


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_each_accepted_format_is_stored_re_encoded(thread, expert, media, fmt, content_type):
    post = post_actions.reply(
        author=expert, thread=thread, body="Like this:", images=[upload(image_bytes(fmt), name=f"shot.{fmt.lower()}")]
    )
    [item] = post.attachments.all()
    assert (item.content_type, item.width, item.height) == (content_type, 64, 48)
    assert item.original_name == f"shot.{fmt.lower()}"
    assert item.uploaded_by == expert
    with item.file.open("rb") as f:
        assert Image.open(f).format == fmt
    assert "shot" not in item.file.name  # random stored names
    assert item.file.name.startswith("attachments/")


def test_the_type_comes_from_the_content_not_the_name_or_header(thread, expert):
    post = post_actions.reply(
        author=expert, thread=thread, body="x", images=[upload(image_bytes("JPEG"), "page.html", "text/html")]
    )
    assert post.attachments.get().content_type == "image/jpeg"


def test_a_question_can_carry_images(customer):
    thread = thread_actions.create_thread(
        author=customer,
        title="Error dialog on start",
        body="This appears:",
        images=[upload(image_bytes()), upload(image_bytes("JPEG"), "two.jpg")],
    )
    question = thread.posts.get(is_question=True)
    assert [a.original_name for a in question.attachments.all()] == ["screenshot.png", "two.jpg"]


def test_gps_and_other_exif_metadata_are_stripped(thread, expert):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    raw = image_bytes("JPEG", exif=exif)
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload has a location
    post = post_actions.reply(author=expert, thread=thread, body="x", images=[upload(raw, "photo.jpg")])
    with post.attachments.get().file.open("rb") as f:
        stored = f.read()
    assert b"Exif" not in stored and b"PhoneCo" not in stored
    kept = Image.open(io.BytesIO(stored))
    assert not kept.getexif()
    assert not kept.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_a_gif_html_polyglot_is_neutralised(thread, expert):
    payload = b"<html><script>alert(document.cookie)</script></html>"
    post = post_actions.reply(
        author=expert, thread=thread, body="x", images=[upload(image_bytes("GIF") + payload, "cat.gif")]
    )
    with post.attachments.get().file.open("rb") as f:
        stored = f.read()
    assert stored.startswith(b"GIF8")
    assert b"<script" not in stored and b"<html" not in stored


# ---- rejected ----


def test_a_file_over_5_mb_is_refused(thread, expert):
    noise = Image.frombytes("RGB", (1500, 1400), os.urandom(1500 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert out.tell() > 5 * 1024 * 1024
    [message] = rejection(thread, expert, upload(out.getvalue(), "huge.png"))
    assert message.startswith("huge.png is too large") and "5 MB" in message


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (6_000, 5_000)])
def test_decompression_bombs_are_refused_before_decoding(thread, expert, width, height):
    [message] = rejection(thread, expert, upload(png_header_only(width, height), "bomb.png"))
    assert message.startswith("bomb.png")
    assert "pixels" in message


def test_svg_is_refused(thread, expert):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    [message] = rejection(thread, expert, upload(svg, "logo.svg", "image/svg+xml"))
    assert message == "logo.svg is not a PNG, JPEG, GIF or WebP image."


def test_html_dressed_as_an_image_is_refused(thread, expert):
    [message] = rejection(thread, expert, upload(b"GIF89a<html><script>alert(1)</script>", "cat.gif", "image/gif"))
    assert "cat.gif" in message


def test_other_image_formats_are_refused(thread, expert):
    [message] = rejection(thread, expert, upload(image_bytes("BMP"), "old.bmp", "image/bmp"))
    assert message == "old.bmp is not a PNG, JPEG, GIF or WebP image."


def test_corrupt_and_empty_files_are_refused(thread, expert):
    whole = image_bytes("PNG", size=(400, 300))
    messages = rejection(thread, expert, upload(whole[: len(whole) // 2], "cut.png"), upload(b"", "empty.png"))
    assert messages[0] == "cut.png is damaged or incomplete and could not be read as an image."
    assert messages[1] == "empty.png is empty."


def test_too_many_images_are_refused(thread, expert):
    [message] = rejection(thread, expert, *[upload(image_bytes(), f"{i}.png") for i in range(5)])
    assert message == "Attach at most 4 images to one post (you chose 5)."


def test_one_bad_file_saves_nothing_at_all(thread, expert, media):
    messages = rejection(thread, expert, upload(image_bytes(), "good.png"), upload(b"<svg/>", "bad.svg"))
    assert messages == ["bad.svg is not a PNG, JPEG, GIF or WebP image."]
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


# ---- served ----


def test_images_are_served_with_safe_headers(thread, expert):
    post = post_actions.reply(
        author=expert, thread=thread, body="x", images=[upload(image_bytes(), 'my "shot"<b>.png')]
    )
    item = post.attachments.get()
    assert item.original_name == "my shotb.png"
    response = client_for(None).get(item.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="my shotb.png"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "PNG"


def test_a_missing_image_is_404(client, thread, expert):
    assert client.get("/a/999/").status_code == 404
    post = post_actions.reply(author=expert, thread=thread, body="x", images=[upload(image_bytes())])
    item = post.attachments.get()
    item.file.storage.delete(item.file.name)
    assert client.get(item.get_absolute_url()).status_code == 404


def test_the_thread_page_shows_figures_with_alt_text_and_size(client, thread, expert):
    post = post_actions.reply(author=expert, thread=thread, body="x", images=[upload(image_bytes(), "router.png")])
    item = post.attachments.get()
    page = client.get(thread.get_absolute_url()).text
    assert f'<img src="/a/{item.pk}/" alt="router.png" width="64" height="48"' in page
    assert "<figcaption>router.png</figcaption>" in page


def test_thread_page_queries_do_not_grow_with_images(client, customer, expert):
    small = thread_actions.create_thread(author=customer, title="One image on this thread", body="q")
    big = thread_actions.create_thread(author=customer, title="Many images on this thread", body="q")
    post_actions.reply(author=expert, thread=small, body="one", images=[upload(image_bytes())])
    for i in range(8):
        post_actions.reply(
            author=expert, thread=big, body=f"r{i}", images=[upload(image_bytes()), upload(image_bytes())]
        )
    client.get(small.get_absolute_url())
    client.get(big.get_absolute_url())  # warm the per-thread caches (tags, vendors, similar threads)
    with CaptureQueriesContext(connection) as few:
        client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as many:
        page = client.get(big.get_absolute_url())
    assert page.text.count("<figure") == 16
    assert len(few.captured_queries) == len(many.captured_queries)


# ---- forms ----


def test_the_reply_form_uploads_images(thread, expert):
    response = client_for(expert).post(
        reverse("forum:reply", args=[thread.pk]),
        {
            "body": "Here is my router screen.",
            "images": [upload(image_bytes(), "a.png"), upload(image_bytes(), "b.png")],
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(body="Here is my router screen.")
    assert post.attachments.count() == 2


def test_the_reply_form_explains_each_rejection_and_keeps_nothing(thread, expert):
    response = client_for(expert).post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": "Here.", "images": [upload(b"<svg/>", "x.svg"), upload(png_header_only(10_000, 10_000), "b.png")]},
    )
    assert response.status_code == 400
    assert "x.svg is not a PNG, JPEG, GIF or WebP image." in response.text
    assert "b.png" in response.text and "pixels" in response.text
    assert not Post.objects.filter(body="Here.").exists()


def test_the_ask_form_uploads_images_and_refuses_too_many(customer):
    client = client_for(customer)
    data = {"title": "Error dialog on start", "body": "Details", "tags": "errors"}
    too_many = client.post(reverse("forum:ask"), {**data, "images": [upload(image_bytes()) for _ in range(5)]})
    assert too_many.status_code == 400
    assert "Attach at most 4 images" in too_many.text
    assert not Thread.objects.exists()
    response = client.post(reverse("forum:ask"), {**data, "images": [upload(image_bytes("WEBP"), "w.webp")]})
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == "image/webp"


def test_a_reply_that_fails_after_storing_leaves_no_files(thread, expert, media, monkeypatch):
    def broken_index(*args, **kwargs):
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr("forum.search.index_reply", broken_index)
    with pytest.raises(RuntimeError):
        post_actions.reply(author=expert, thread=thread, body="x", images=[upload(image_bytes())])
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_an_oversized_upload_is_refused_before_it_is_read(thread, expert):
    client = client_for(expert)
    response = client.post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": "Too much"},
        CONTENT_LENGTH=str(4 * 5 * 1024 * 1024 + 2 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "at most 4 images of 5 MB each" in response.text
    assert not Post.objects.filter(body="Too much").exists()


def test_admins_can_inspect_attachments(thread, expert, admin_client):
    post = post_actions.reply(author=expert, thread=thread, body="x", images=[upload(image_bytes(), "router.png")])
    item = post.attachments.get()
    page = admin_client.get(reverse("admin:forum_attachment_change", args=[item.pk]))
    assert page.status_code == 200
    assert f'href="/a/{item.pk}/"' in page.text
    assert admin_client.get(reverse("admin:forum_attachment_changelist")).status_code == 200
    for name in ("tagfollow", "vendorfollow", "notificationsettings"):
        assert admin_client.get(reverse(f"admin:forum_{name}_changelist")).status_code == 200


def test_a_bomb_header_is_refused_without_decoding_a_pixel(thread, expert, monkeypatch):
    """The pixel count comes from the header; load() (the decode) never runs for an oversized image."""
    from PIL import ImageFile

    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spying_load(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spying_load)
    [message] = rejection(thread, expert, upload(png_header_only(6_000, 5_000), "bomb.png"))
    assert "6000×5000 pixels" in message and "25 megapixels" in message
    assert (6_000, 5_000) not in decoded
    post_actions.reply(author=expert, thread=thread, body="A fine one.", images=[upload(image_bytes())])
    assert (64, 48) in decoded  # the spy does see real decodes


def test_concurrent_decodes_are_bounded_and_a_waiting_upload_is_told_the_server_is_busy(settings, thread, expert):
    import threading

    from forum import attachments

    settings.BARNRAISE = {**settings.BARNRAISE, "IMAGE_DECODES_AT_ONCE": 1, "IMAGE_DECODE_WAIT": 0.2}
    holding, release = threading.Event(), threading.Event()

    def busy_decoder() -> None:
        with attachments.decoding_slot("other.png"):
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=busy_decoder)
    worker.start()
    try:
        assert holding.wait(5)
        [message] = rejection(thread, expert, upload(image_bytes(), "waiting.png"))
        assert message == "waiting.png could not be processed now: the server is busy. Try again in a minute."
    finally:
        release.set()
        worker.join()
    post = post_actions.reply(author=expert, thread=thread, body="Now it fits.", images=[upload(image_bytes())])
    assert post.attachments.count() == 1
