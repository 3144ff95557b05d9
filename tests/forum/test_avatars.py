"""Avatars: an upload is cleaned and cropped to two square sizes; without one, initials on a fixed colour."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import ExifTags, Image

from forum import avatars
from forum.actions import accounts
from forum.actions import posts as post_actions
from forum.models import User
from tests.conftest import client_for
from tests.forum.test_attachments import png_header_only

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(root) -> list[str]:
    return sorted(f for _, _, files in os.walk(root) for f in files)


def photo(size=(300, 200), fmt="JPEG") -> bytes:
    """A wide photo carrying GPS EXIF, like one straight from a phone."""
    image = Image.new("RGB", size, (20, 120, 200))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "PhoneCo"
        exif[ExifTags.Base.GPSInfo] = {2: (51.0, 30.0, 0.0), 4: (0.0, 7.0, 0.0)}
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload_page(client: Client, data: bytes, name: str = "me.jpg", content_type: str = "image/jpeg"):
    return client.post("/settings/avatar/", {"avatar": SimpleUploadedFile(name, data, content_type=content_type)})


def test_an_upload_is_cropped_square_in_two_sizes_without_exif_and_served_cached(customer, thread, media):
    client = client_for(customer)
    response = upload_page(client, photo())
    assert response.status_code == 302
    customer.refresh_from_db()
    key = customer.avatar_key
    assert avatars.KEY.match(key)
    assert stored(media) == [f"{key}-256.webp", f"{key}-64.webp"]

    for size in avatars.SIZES:
        served = client_for(None).get(f"/avatars/{key}/{size}/")
        assert served.status_code == 200
        assert served["Content-Type"] == "image/webp"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert "max-age=" in served["Cache-Control"] and "public" in served["Cache-Control"]
        image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
        assert (image.format, image.size) == ("WEBP", (size, size))
        assert not image.getexif(), "no EXIF (GPS, camera) survives"

    # Shown beside the post, in the thread list, on the profile and on the settings page.
    img = f'src="/avatars/{key}/64/"'
    assert img in client_for(None).get(thread.get_absolute_url()).text
    assert img in client_for(None).get("/").text
    assert f'src="/avatars/{key}/256/"' in client_for(None).get("/u/jeff/").text
    assert f'src="/avatars/{key}/256/"' in client.get("/settings/").text


@pytest.mark.parametrize(
    ("mode", "fmt", "name"),
    [("RGBA", "PNG", "a.png"), ("P", "GIF", "p.gif"), ("L", "PNG", "g.png"), ("CMYK", "JPEG", "c.jpg")],
)
def test_transparent_palette_grey_and_print_images_become_square_pictures(customer, media, mode, fmt, name):
    image = Image.new(mode, (90, 150))
    out = io.BytesIO()
    image.save(out, fmt)
    user = accounts.set_avatar(user=customer, upload=SimpleUploadedFile(name, out.getvalue()))
    assert stored(media) == [f"{user.avatar_key}-256.webp", f"{user.avatar_key}-64.webp"]
    with Image.open(media / avatars.path(user.avatar_key, 64)) as small:
        assert small.size == (64, 64)


def test_a_new_upload_replaces_the_old_files_and_removing_goes_back_to_initials(
    customer, thread, media, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    upload_page(client, photo())
    first = User.objects.get(pk=customer.pk).avatar_key
    with django_capture_on_commit_callbacks(execute=True):
        upload_page(client, photo(fmt="PNG"), name="me.png", content_type="image/png")
    second = User.objects.get(pk=customer.pk).avatar_key
    assert second != first
    assert stored(media) == [f"{second}-256.webp", f"{second}-64.webp"]
    assert client.get(f"/avatars/{first}/64/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/settings/avatar/remove/").status_code == 302
    assert User.objects.get(pk=customer.pk).avatar_key == ""
    assert stored(media) == []
    assert client.get(f"/avatars/{second}/64/").status_code == 404
    page = client_for(None).get(thread.get_absolute_url()).text
    assert "/avatars/" not in page
    colour = avatars.colour_index(customer.pk)
    assert f'class="avatar avatar-small avatar-c{colour}" aria-hidden="true">JM</span>' in page


def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        (b"just some text, not a picture", "me.png", "image/png", "is not a PNG, JPEG, GIF or WebP image"),
        (svg_with_script(), "me.svg", "image/svg+xml", "is not a PNG, JPEG, GIF or WebP image"),
        (png_header_only(20_000, 20_000), "bomb.png", "image/png", "too many pixels to be a safe image"),
        (photo()[: len(photo()) // 2], "cut.jpg", "image/jpeg", "damaged or incomplete"),
        (b"", "empty.png", "image/png", "The submitted file is empty"),
    ],
    ids=["not-an-image", "svg-with-script", "decompression-bomb", "truncated", "empty"],
)
def test_a_bad_upload_is_refused_clearly_and_changes_nothing(customer, media, data, name, content_type, message):
    client = client_for(customer)
    upload_page(client, photo())
    before = User.objects.get(pk=customer.pk).avatar_key
    files = stored(media)
    response = upload_page(client, data, name=name, content_type=content_type)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.get(pk=customer.pk).avatar_key == before
    assert stored(media) == files


def test_a_huge_upload_is_refused_by_its_size(customer, media, settings):
    settings.BARNRAISE = {**settings.BARNRAISE, "ATTACHMENT_MAX_BYTES": 50_000}
    response = upload_page(client_for(customer), photo(size=(2000, 2000)) + os.urandom(60_000))
    assert response.status_code == 400
    assert "is too large" in response.text and "the limit is" in response.text
    assert User.objects.get(pk=customer.pk).avatar_key == ""
    assert stored(media) == []


def test_upload_and_removal_need_login_and_a_csrf_token(customer, media):
    assert Client().post("/settings/avatar/remove/").status_code == 302  # to the login page
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    data = SimpleUploadedFile("me.jpg", photo(), content_type="image/jpeg")
    assert strict.post("/settings/avatar/", {"avatar": data}).status_code == 403
    assert User.objects.get(pk=customer.pk).avatar_key == ""
    assert stored(media) == []


def test_an_unknown_or_malformed_avatar_address_is_404(customer):
    client = client_for(None)
    assert client.get(f"/avatars/{'a' * 32}/64/").status_code == 404
    assert client.get("/avatars/..%2F..%2Fsecret/64/").status_code == 404
    assert client.get(f"/avatars/{'a' * 32}/65/").status_code == 404


def test_initials_and_colour_are_fixed_by_name_and_id(customer, expert, thread):
    assert avatars.initials("Jeff Morrow") == "JM"
    assert avatars.initials("jeff") == "J"
    assert avatars.initials("Ōla von Ärnsberg Jr") == "ŌV"
    assert avatars.initials("!!!") == "?"
    post_actions.reply(author=expert, thread=thread, body="Try forgetting the network.")
    page = client_for(None).get(thread.get_absolute_url()).text
    mine = f"avatar-c{avatars.colour_index(customer.pk)}"
    theirs = f"avatar-c{avatars.colour_index(expert.pk)}"
    assert f'{mine}" aria-hidden="true">JM<' in page and f'{theirs}" aria-hidden="true">DW<' in page
    assert f'{mine}" aria-hidden="true">JM<' in client_for(None).get(thread.get_absolute_url()).text
    assert {avatars.colour_index(n) for n in range(24)} == set(range(avatars.PALETTE_SIZE))


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_every_initials_colour_has_accessible_contrast_with_its_white_letters():
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"\.avatar-c(\d+) \{ background: (#[0-9a-f]{6}); \}", css))
    assert sorted(map(int, colours)) == list(range(avatars.PALETTE_SIZE))
    white = _luminance("#ffffff")
    for slot, colour in colours.items():
        contrast = (white + 0.05) / (_luminance(colour) + 0.05)
        assert contrast >= 4.5, f".avatar-c{slot} {colour} is only {contrast:.2f}:1"


def _thread_page_queries(url: str) -> int:
    client = client_for(None)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_avatars_add_no_query_to_the_thread_page(thread, customer, expert, other_customer):
    for author in (expert, other_customer, expert):
        post_actions.reply(author=author, thread=thread, body=f"A reply from {author.username}.")
    url = thread.get_absolute_url()
    _thread_page_queries(url)  # warm the caches the page keeps (similar threads...)
    with_initials = _thread_page_queries(url)
    for person in (customer, expert):
        accounts.set_avatar(user=person, upload=SimpleUploadedFile("p.png", photo(fmt="PNG")))
    page = client_for(None).get(url).text
    assert page.count('<img class="avatar avatar-small"') == 3  # the question and the expert's two replies
    assert 'aria-hidden="true">MC</span>' in page  # Mei Chen kept her initials
    assert _thread_page_queries(url) == with_initials


def test_notifications_show_the_actors_avatar(customer, expert, thread):
    accounts.set_avatar(user=expert, upload=SimpleUploadedFile("p.png", photo(fmt="PNG")))
    post_actions.reply(author=expert, thread=thread, body="Forget the network and join it again.")
    key = User.objects.get(pk=expert.pk).avatar_key
    page = client_for(customer).get("/notifications/").text
    assert f'src="/avatars/{key}/64/"' in page
