"""The one composer (static/js/composer.js) in a real browser: preview, drafts, mentions, images, shortcuts,
the keyboard-only toolbar and the staff-note switch."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.screenshots import save as shot

from .conftest import log_in, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


def reply_box(page):
    return page.get_by_role("textbox", name="Your reply")


def test_live_preview_comes_from_the_servers_renderer(new_page, thread, customer):
    page = new_page()
    log_in(page, "jeff")
    page.goto(thread.get_absolute_url())
    reply_box(page).fill("**strong** words <b>raw</b> [bad](javascript:alert(1))")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator(".prose strong")).to_have_text("strong")
    expect(preview.locator(".prose")).to_contain_text("<b>raw</b>")  # raw HTML is shown as text
    expect(preview.locator(".prose a[href^=javascript]")).to_have_count(0)
    # Live: typing more updates the preview without pressing anything.
    reply_box(page).press("End")
    reply_box(page).type(" _later_")
    expect(preview.locator(".prose em")).to_have_text("later")


def test_a_draft_survives_a_reload_and_is_cleared_once_posted(new_page, thread, customer):
    page = new_page()
    log_in(page, "jeff")
    page.goto(thread.get_absolute_url())
    reply_box(page).type("Half-written thoughts about the router")
    page.wait_for_timeout(600)  # drafts are saved 300 ms after the last keystroke
    page.reload()
    expect(reply_box(page)).to_have_value("Half-written thoughts about the router")
    expect(page.get_by_role("status").filter(has_text="draft is restored")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".replies article.post[data-author=jeff] .prose")).to_contain_text("Half-written thoughts")
    expect(reply_box(page)).to_have_value("")
    page.reload()
    expect(reply_box(page)).to_have_value("")  # the sent draft does not come back


def test_mention_autocomplete_for_people_and_vendors(new_page, thread, customer, expert, vendor):
    page = new_page()
    log_in(page, "jeff")
    page.goto(thread.get_absolute_url())
    box = reply_box(page)
    box.type("Thanks @da")
    option = page.get_by_role("option", name="@dana")
    expect(option).to_be_visible()
    expect(option).to_contain_text("Dana Whitfield")
    expect(page.get_by_role("listbox")).not_to_contain_text("mail.example")
    box.press("Enter")
    expect(box).to_have_value("Thanks @dana ")
    box.type("and @nor")
    expect(page.get_by_role("option", name="@northwind")).to_contain_text("Northwind Devices · vendor")
    box.press("Tab")
    expect(box).to_have_value("Thanks @dana and @northwind ")


PASTE_PNG = """async (selector) => {
    const canvas = document.createElement('canvas');
    canvas.width = 40; canvas.height = 30;
    const ctx = canvas.getContext('2d'); ctx.fillStyle = '#c00'; ctx.fillRect(0, 0, 40, 30);
    const blob = await new Promise((done) => canvas.toBlob(done, 'image/png'));
    const data = new DataTransfer();
    data.items.add(new File([blob], 'image.png', { type: 'image/png' }));
    const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
    document.querySelector(selector).dispatchEvent(event);
    return event.defaultPrevented;
}"""


def test_pasting_an_image_attaches_it_and_ctrl_enter_sends(new_page, thread, expert):
    page = new_page()
    log_in(page, "dana")
    page.goto(thread.get_absolute_url())
    box = reply_box(page)
    box.fill("Here is what my settings look like.")
    assert page.evaluate(PASTE_PNG, "textarea[name=body]") is True
    expect(page.get_by_role("status").filter(has_text="Attached 1 image")).to_be_visible()
    assert page.evaluate("document.querySelector('input[name=images]').files.length") == 1
    with page.expect_navigation():
        box.press("Control+Enter")
    posted = page.locator(".replies article.post[data-author=dana]")
    expect(posted.locator(".prose")).to_contain_text("what my settings look like")
    expect(posted.locator("img")).to_have_count(1)


DROP_PNG = PASTE_PNG.replace("'image.png'", "'router-lights.png'").replace(
    "new ClipboardEvent('paste', { clipboardData: data,", "new DragEvent('drop', { dataTransfer: data,"
)


def test_dropping_a_screenshot_on_the_box_attaches_it(new_page, thread, expert):
    page = new_page()
    log_in(page, "dana")
    page.goto(thread.get_absolute_url())
    reply_box(page).fill("The router's lights, as they are now.")
    assert page.evaluate(DROP_PNG, "textarea[name=body]") is True  # the browser does not open the file instead
    expect(page.get_by_role("status").filter(has_text="Attached 1 image: router-lights.png")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()
    posted = page.locator(".replies article.post[data-author=dana]")
    expect(posted.locator("img")).to_have_count(1)


def test_the_toolbar_works_with_the_keyboard_alone(new_page, thread, customer):
    page = new_page()
    log_in(page, "jeff")
    page.goto(thread.get_absolute_url())
    box = reply_box(page)
    box.focus()
    page.keyboard.type("reboot")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Shift+Tab")  # the toolbar is one tab stop, just before the text
    expect(page.get_by_role("button", name="Bold (Ctrl+B)")).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_have_value("**reboot**")
    expect(box).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("button", name="Quote")).to_be_focused()
    page.keyboard.press("Space")
    expect(box).to_have_value("**reboot**\n> ")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Quote")).to_be_focused()  # roving focus remembers the last tool


def test_staff_note_switch_posts_a_private_note(new_page, thread, customer, staff, tmp_path):
    jeff = new_page()
    log_in(jeff, "jeff")
    jeff.goto(thread.get_absolute_url())
    expect(jeff.get_by_role("group", name="Who sees this?")).to_have_count(0)  # customers never see the switch

    keith = new_page()
    log_in(keith, "keith")
    keith.goto(thread.get_absolute_url())
    switch = keith.get_by_role("group", name="Who sees this?")
    expect(switch.get_by_role("radio", name="Reply publicly")).to_be_checked()
    expect(keith.get_by_role("button", name="Post reply")).to_be_visible()
    shot(keith, "composer-thread-staff.png", tmp_path)
    switch.get_by_role("radio", name="Staff note: only Northwind Devices sees this").check()
    expect(keith.get_by_text("private to Northwind Devices staff")).to_be_visible()
    expect(keith.get_by_role("button", name="Add staff note (only Northwind Devices)")).to_be_visible()
    expect(keith.get_by_label("Images")).to_be_hidden()
    reply_box(keith).fill("Internal: firmware 4.2.1 has the fix, ticket NW-4411.")
    shot(keith, "composer-thread-staff-note.png", tmp_path)
    with keith.expect_navigation():
        keith.get_by_role("button", name="Add staff note (only Northwind Devices)").click()
    expect(keith.locator(".messages")).to_contain_text("Only Northwind Devices staff can see it")
    expect(keith.locator(".staff-note")).to_contain_text("ticket NW-4411")
    expect(keith.locator(".replies article.post")).to_have_count(0)  # not a public reply
    # After posting, the composer is back to public.
    expect(keith.get_by_role("radio", name="Reply publicly")).to_be_checked()

    jeff.reload()
    expect(jeff.locator("main")).not_to_contain_text("NW-4411")
    expect(jeff.locator(".replies article.post")).to_have_count(0)


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "es-ES"])
def test_on_a_phone_preview_stays_at_the_end_of_the_toolbars_first_row(new_page, thread, customer, locale):
    quote = {"en-US": "Quote", "de-DE": "Zitat", "es-ES": "Cita"}[locale]
    for width in (375, 360, 320):
        page = new_page({"width": width, "height": 800}, locale=locale)
        log_in(page, "jeff")
        page.goto(thread.get_absolute_url())
        toolbar = page.get_by_role("toolbar")
        expect(toolbar.get_by_role("button")).to_have_count(7)
        place = toolbar.evaluate(
            """bar => { const box = bar.getBoundingClientRect(); const buttons = [...bar.querySelectorAll('button')];
                const preview = buttons.pop().getBoundingClientRect(); const first = buttons[0].getBoundingClientRect();
                return {sameRow: preview.top === first.top, flushRight: box.right - preview.right < 8,
                        inside: buttons.every(b => b.getBoundingClientRect().right <= preview.left),
                        rows: new Set(buttons.map(b => b.offsetTop)).size}; }"""
        )
        assert place["sameRow"] and place["flushRight"] and place["inside"], (width, place)
        if width == 375 and locale != "es-ES":  # Spanish fits with ~5 px to spare: a font's rounding may wrap it
            assert place["rows"] == 1, f"at {width} px the tools take {place['rows']} rows"
        # The icon-only buttons still say what they do.
        expect(toolbar.get_by_role("button", name=quote)).to_be_visible()
        assert not page.evaluate("document.scrollingElement.scrollWidth > innerWidth")
        page.context.close()


def test_screenshots_of_the_composer(new_page, asgi_server, thread, customer, expert, vendor, staff, tmp_path):
    for suffix, viewport in (("", None), ("-phone", PHONE)):
        page = new_page(viewport, server=asgi_server)
        sign_in(page, asgi_server, "jeff")
        page.goto("/ask/")
        page.get_by_label("Details").fill("After the **4.2** update the tablet drops wifi. Thanks @da")
        expect(page.get_by_role("option").first).to_be_visible()
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("region", name="Preview").locator("strong")).to_have_text("4.2")
        shot(page, f"composer-ask{suffix}.png", tmp_path)
        page.goto(thread.get_absolute_url())
        reply_box(page).fill("Did you try forgetting the network?")
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("region", name="Preview")).to_contain_text("forgetting the network")
        page.locator("#reply-heading").scroll_into_view_if_needed()
        expect(page.locator(".live-status")).to_contain_text("Live")  # daphne: the page's socket is open
        shot(page, f"composer-thread{suffix}.png", tmp_path)
        # The author's escalate picker, opened: it lists the vendors without typing anything.
        page.get_by_text("Escalate to a vendor…").click()
        expect(page.locator(".vendor-choice", has_text="Northwind Devices")).to_be_visible()
        shot(page, f"escalate-picker{suffix}.png", tmp_path)

    # Staff on a phone: the switch in note mode.
    page = new_page(PHONE, server=asgi_server)
    sign_in(page, asgi_server, "keith")
    page.goto(thread.get_absolute_url())
    page.get_by_role("radio", name="Staff note: only Northwind Devices sees this").check()
    reply_box(page).fill("Internal: known issue NW-4411.")
    expect(page.get_by_role("button", name="Add staff note (only Northwind Devices)")).to_be_visible()
    shot(page, "composer-thread-staff-note-phone.png", tmp_path)
