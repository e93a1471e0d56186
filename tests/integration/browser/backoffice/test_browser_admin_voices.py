"""The staff voice pages in a real headless Chromium: a sample file dropped on the upload
area (and one chosen with the plain file input), every sample playable, publishing, the
samples reordered by drag, the voices by keyboard (saved through the voices API), ticked
voices published all or none, and the list on a phone."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration import audio_files
from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "voices-admin@example.test"
PASSWORD = "correct horse battery staple"

DROP_FILE = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "dropped take.wav", { type: "audio/wav" }));
  return transfer;
}"""

ALL_PLAYABLE = """() => Array.from(document.querySelectorAll("audio")).every(
  (a) => a.error === null && a.readyState >= 1 && a.duration > 0)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD, name="Vera", admin=True) as base:
        yield base


def samples_of(page: Any, server: str, voice_id: str) -> list[str]:
    response = page.request.get(f"{server}/api/v1/voices/{voice_id}")
    assert response.ok
    return [s["label"] for s in response.json()["samples"]]


def test_staff_drop_a_sample_publish_and_reorder_by_drag(server: str, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, EMAIL, PASSWORD)

    page.goto(f"{server}/admin/voices/new")
    assert_accessible(page, state="a new voice's form")
    page.get_by_label("Name").fill("Dropped voice")
    page.get_by_label("Provider's voice id").fill("en-us")
    page.get_by_role("button", name="Add the voice").click()
    expect(page.locator("#notice")).to_contain_text("Voice added")
    voice_id = page.locator("#voice").get_attribute("data-id")
    assert voice_id

    expect(page.locator(".dropzone-text")).to_be_visible()  # the script made it a drop area
    transfer = page.evaluate_handle(DROP_FILE, base64.b64encode(audio_files.wav(2.0)).decode())
    page.dispatch_event("#dropzone", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#notice")).to_have_text("Samples added.")
    assert samples_of(page, server, voice_id) == ["dropped take"]

    page.set_input_files("#sample-files", files=[
        {"name": "second.mp3", "mimeType": "audio/mpeg", "buffer": audio_files.mp3(1.5)},
    ])  # fmt: skip
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#notice")).to_have_text("Samples added.")
    expect(page.locator("#sample-list > li")).to_have_count(2)

    page.evaluate("() => document.querySelectorAll('audio').forEach((a) => a.load())")
    page.wait_for_function(ALL_PLAYABLE)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#notice")).to_contain_text("Published")
    expect(page.locator("#published")).to_have_text("published")
    assert_accessible(page, state="a published voice with two samples")

    items = page.locator("#sample-list > li")
    items.nth(1).locator(".handle").drag_to(items.nth(0))
    expect(page.locator("#sample-list")).to_have_attribute("data-saved", "1")
    expect(page.locator("#order-status")).to_contain_text("order saved")
    assert samples_of(page, server, voice_id) == ["second", "dropped take"]

    page.reload()
    expect(page.locator("#sample-list .sample-label").first).to_have_text("second")

    # A text file renamed .mp3 is refused with the reason, and nothing is added.
    page.set_input_files("#sample-files", files=[
        {"name": "notes.mp3", "mimeType": "audio/mpeg", "buffer": audio_files.TEXT_AS_MP3},
    ])  # fmt: skip
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#error")).to_contain_text("not an MP3, WAV or Ogg")
    assert samples_of(page, server, voice_id) == ["second", "dropped take"]
    context.close()


def gallery_order(page: Any, server: str) -> list[str]:
    response = page.request.get(f"{server}/api/v1/voices?sort=recommended")
    assert response.ok
    return [v["id"] for v in response.json()]


def test_voices_are_reordered_by_keyboard_with_an_announcement(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, EMAIL, PASSWORD)
    page.goto(f"{server}/admin/voices")
    ids = page.eval_on_selector_all("#voice-list > li", "(items) => items.map((i) => i.dataset.id)")
    assert len(ids) >= 2
    assert gallery_order(page, server) == ids
    first_name = page.locator("#voice-list > li").first.get_attribute("data-name")

    handle = page.locator(f'#voice-list > li[data-id="{ids[0]}"] .handle')
    handle.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#order-status")).to_contain_text(f"{first_name} is now voice 2")
    expect(page.locator("#order-status")).to_contain_text("order saved")
    assert gallery_order(page, server) == [ids[1], ids[0], *ids[2:]]
    expect(handle).to_be_focused()
    expect(handle).to_have_attribute("aria-label", f"Move {first_name} (position 2 of {len(ids)})")

    page.locator("#voice-list > li").nth(1).get_by_role(
        "button", name=f"Move {first_name} up"
    ).click()
    expect(page.locator("#voice-list")).to_have_attribute("data-saved", "2")
    assert gallery_order(page, server) == ids
    assert_accessible(page, state="the voices list after a keyboard move")

    page.reload()  # the saved order is the page's
    shown = page.eval_on_selector_all(
        "#voice-list > li", "(items) => items.map((i) => i.dataset.id)"
    )
    assert shown == ids
    context.close()


def test_ticked_voices_are_published_all_or_none(server: str, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(**MOBILE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, EMAIL, PASSWORD)
    page.goto(f"{server}/admin/voices/new")
    page.get_by_label("Name").fill("Quiet Quentin")
    page.get_by_label("Provider's voice id").fill("en-gb")
    page.get_by_role("button", name="Add the voice").click()
    expect(page.locator("#notice")).to_contain_text("Voice added")
    page.locator("#details-edit > summary").click()  # the form is folded on a voice's page
    page.get_by_role("group", name="Good for").get_by_label("museum-guide").check()
    page.get_by_label("Tags").fill("Quiet, quiet, Night")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notice")).to_have_text("Changes saved.")
    page.locator("#details-edit > summary").click()
    expect(page.get_by_label("Tags")).to_have_value("quiet, night")
    assert_fits_the_screen(page)
    assert_accessible(page, state="a voice's page and form on a phone")

    page.goto(f"{server}/admin/voices")
    heard = page.locator("#voice-list > li").first.get_attribute("data-name")
    page.get_by_label(f"Select {heard}").check()
    page.get_by_label("Select Quiet Quentin").check()
    page.get_by_label("Action").select_option("unpublish")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#notice")).to_have_text("Unpublished 2 voices.")

    page.get_by_label(f"Select {heard}").check()
    page.get_by_label("Select Quiet Quentin").check()
    page.get_by_label("Action").select_option("publish")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#error")).to_contain_text("Cannot publish Quiet Quentin: it has no sample")
    expect(page.get_by_label("Select Quiet Quentin")).to_be_checked()  # nothing to tick again
    expect(page.locator(f'#voice-list > li[data-name="{heard}"] .badge')).to_have_text(
        "not published"
    )
    assert_fits_the_screen(page)
    assert_accessible(page, state="a refused bulk publish on a phone")

    page.get_by_label("Select Quiet Quentin").uncheck()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#notice")).to_have_text("Published 1 voice.")
    expect(page.locator(f'#voice-list > li[data-name="{heard}"] .badge')).to_have_text("published")
    context.close()


def test_without_scripts_voices_move_and_ticked_voices_change_by_plain_forms(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False, **MOBILE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, EMAIL, PASSWORD)
    page.goto(f"{server}/admin/voices")
    expect(page.locator("#voice-list .handle").first).to_be_hidden()  # dragging needs a script
    ids = page.eval_on_selector_all("#voice-list > li", "(items) => items.map((i) => i.dataset.id)")
    first_name = page.locator("#voice-list > li").first.get_attribute("data-name")

    page.get_by_role("button", name=f"Move {first_name} down").click()
    expect(page.locator("#notice")).to_have_text("Display order saved.")
    assert gallery_order(page, server) == [ids[1], ids[0], *ids[2:]]
    page.get_by_role("button", name=f"Move {first_name} up").click()
    expect(page.locator("#notice")).to_have_text("Display order saved.")
    assert gallery_order(page, server) == ids

    page.get_by_label(f"Select {first_name}").check()
    page.get_by_label("Action").select_option("tag")
    page.get_by_label("Tag (to tag or untag)").fill("Staff Pick")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#notice")).to_have_text("Tag added to 1 voice.")
    expect(page.locator("#voice-list > li").first).to_contain_text("staff pick")
    # (axe needs scripts: the same list is checked with them in the tests above)
    context.close()


def test_the_voices_list_fits_a_phone_and_visitors_are_sent_to_sign_in(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    context = browser.new_context(**MOBILE)
    page = context.new_page()
    sign_in(page, server, EMAIL, PASSWORD)
    page.goto(f"{server}/admin/voices")
    assert_fits_the_screen(page)
    assert_accessible(page, state="the voices list on a phone")
    context.close()
    signed_out = httpx.get(f"{server}/admin/voices", headers={"Accept": "text/html"})
    assert signed_out.status_code in (302, 303, 307)
    assert signed_out.headers["location"].startswith("/signin")
