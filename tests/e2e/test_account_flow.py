"""Account settings in a real browser: upload a picture, pick a time zone, delete the account; screenshots."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from forum.actions import posts as post_actions
from forum.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in
from tests.screenshots import save as shot

PHONE = {"width": 375, "height": 812}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _photo(tmp_path: Path) -> Path:
    image = Image.new("RGB", (600, 400), (240, 200, 60))
    for x in range(200, 400):
        for y in range(100, 300):
            image.putpixel((x, y), (30, 90, 160))
    out = io.BytesIO()
    image.save(out, "JPEG")
    path = tmp_path / "me.jpg"
    path.write_bytes(out.getvalue())
    return path


def test_picture_time_zone_and_deletion_in_a_browser(new_page, customer, expert, thread, tmp_path):
    post_actions.reply(author=expert, thread=thread, body="Forget the network, then join it again.")
    page = new_page()
    log_in(page, "jeff")
    page.goto("/settings/")
    page.set_input_files("input[name=avatar]", str(_photo(tmp_path)))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_text("Your picture is saved.")).to_be_visible()
    key = User.objects.get(pk=customer.pk).avatar_key
    expect(page.locator(f'img.avatar-large[src="/avatars/{key}/256/"]')).to_be_visible()
    assert page.locator("img.avatar-large").evaluate("img => img.naturalWidth") == 256

    page.select_option("select[name=time_zone]", "Asia/Kolkata")
    with page.expect_navigation():
        page.get_by_role("button", name="Save time zone and language").click()
    expect(page.get_by_text("Your time zone and language are saved.")).to_be_visible()
    shot(page, "account-avatar.png", tmp_path)

    page.goto(thread.get_absolute_url())
    expect(page.locator(f"#post-{thread.posts.get(is_question=True).pk} img.avatar")).to_be_visible()
    expect(page.locator(".post .avatar-small", has_text="DW")).to_be_visible()  # the expert's initials
    # The exact time on hover is in the chosen zone, not the browser's (UTC here).
    title = page.locator(".post-time time").first.get_attribute("title")
    assert "GMT+5:30" in title or "IST" in title, title

    phone = new_page(viewport=PHONE)
    log_in(phone, "jeff")
    phone.goto("/settings/")
    shot(phone, "account-avatar-phone.png", tmp_path)

    page.goto("/settings/")
    with page.expect_navigation():
        page.get_by_role("link", name="Delete my account…").click()
    page.get_by_label("Your password").fill("not my password")
    page.get_by_label("I understand that this cannot be undone.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()
    shot(page, "account-delete.png", tmp_path)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand that this cannot be undone.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()

    page.goto(thread.get_absolute_url())
    expect(page.locator(".post-head .author-deleted").first).to_have_text("deleted user")
    expect(page.locator('.post-head a[href="/u/jeff/"]')).to_have_count(0)
    shot(page, "account-deleted-thread.png", tmp_path)
