"""Follows with one click (htmx), a reply with a screenshot, and the image shown under the reply."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forum.models import Attachment, TagFollow
from tests.screenshots import save as shot

from .conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_follow_a_tag_and_reply_with_a_screenshot(new_page, thread, expert, tmp_path):
    page = new_page()
    log_in(page, "dana")

    # Following a tag swaps the button in place, without a page load.
    page.goto("/tags/wifi/")
    expect(page.locator("link[rel=alternate][type='application/atom+xml']")).to_have_attribute(
        "href", "/feeds/tags/wifi/"
    )
    page.get_by_role("button", name="Follow the tag wifi").click()
    expect(page.get_by_role("button", name="✓ Following the tag wifi")).to_be_visible()
    assert page.url.endswith("/tags/wifi/")
    assert TagFollow.objects.filter(user=expert, tag__name="wifi").exists()

    # A real screenshot of the page, attached to a reply.
    picture = tmp_path / "wifi settings.png"
    page.screenshot(path=str(picture))
    page.goto(thread.get_absolute_url())
    page.get_by_role("textbox", name="Your reply").fill("This is the screen where MAC randomisation lives.")
    page.get_by_label("Images").set_input_files(str(picture))
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()

    reply = page.locator(".replies article.post[data-author=dana]")
    image = reply.get_by_role("img", name="wifi settings.png")
    expect(image).to_be_visible()
    expect(reply.locator("figcaption")).to_have_text("wifi settings.png")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1280
    item = Attachment.objects.get()
    assert (item.content_type, item.width, item.height) == ("image/png", 1280, 900)
    shot(reply, "attachments.png", tmp_path)
