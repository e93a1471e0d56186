"""QR design on a phone in a real headless Chromium against `voiceqr serve`: choose the
colours and a frame, watch the preview, save, download, and read every file back with
zxing to the playback URL; the result buttons; axe on the page."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "designer@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def sheet_image(pdf: bytes) -> Image.Image:
    head = re.search(
        rb"/Subtype /Image /Width (\d+) /Height (\d+).*?/Length (\d+) >>\nstream\n", pdf
    )
    assert head is not None
    width, height, length = (int(v) for v in head.groups())
    return Image.frombytes(
        "RGB", (width, height), zlib.decompress(pdf[head.end() : head.end() + length])
    )


def test_a_designed_code_is_previewed_saved_downloaded_and_scans_on_a_phone(
    server: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**MOBILE, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        page.locator("#text").fill("Welcome to room three.")
        page.get_by_role("button", name="Make audio and QR code").click()
        expect(page).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}$"))
        expect(page.locator("#status")).to_have_text("Ready")
        playback_url = page.locator("#open-playback").get_attribute("href")
        assert playback_url
        scanned = f"{playback_url}?s=q"

        # The result buttons: copy the link; Share only where the browser can share.
        page.locator("#copy-link").click()
        expect(page.locator("#share-status")).to_have_text("Link copied.")
        assert page.evaluate("() => navigator.clipboard.readText()") == playback_url
        can_share = page.evaluate("() => typeof navigator.share === 'function'")
        expect(page.locator("#share")).to_be_visible() if can_share else expect(
            page.locator("#share")
        ).to_be_hidden()

        # Choose the colours and a frame: the preview follows without saving.
        page.locator("#design-panel summary").click()
        page.get_by_label("Code colour").fill("#1a237e")
        page.get_by_label("Background colour").fill("#fff8e1")
        page.get_by_label("Dots").check()
        page.get_by_label("Circle").check()
        page.get_by_label("A frame with a caption under the code").check()
        expect(page.locator("#preview-status")).to_have_text("Preview updated (not saved yet).")
        preview = Image.open(io.BytesIO(page.locator("#qr-preview").screenshot()))
        assert decoded(preview) == [scanned]
        assert_accessible(page, state="the design panel open")
        assert_fits_the_screen(page)

        # A colour that would not scan is explained, with its contrast ratio.
        page.get_by_label("Code colour").fill("#bbbbbb")
        expect(page.locator("#preview-status")).to_contain_text("contrast of 1.80:1")  # on #fff8e1
        page.get_by_label("Code colour").fill("#1a237e")
        expect(page.locator("#preview-status")).to_have_text("Preview updated (not saved yet).")

        page.get_by_role("button", name="Save design").click()
        expect(page.locator("#status")).to_have_text("Ready")
        expect(page.get_by_label("Code colour")).to_have_value("#1a237e")
        shown = Image.open(io.BytesIO(page.locator("#qr-preview").screenshot()))
        assert decoded(shown) == [scanned]
        assert_accessible(page, state="a saved design")

        with page.expect_download() as png_download:
            page.locator("#png-preferred").click()
        png = Image.open(png_download.value.path())
        centre = [png.convert("RGB").getpixel((png.width // 2, y)) for y in range(png.height)]
        # Down the middle: the background's margin, then the frame in the code's colour.
        assert centre[0] == (255, 248, 225)
        assert next(c for c in centre if c != centre[0]) == (26, 35, 126)
        assert decoded(png) == [scanned]

        with page.expect_download() as pdf_download:
            page.locator("#print-sheet").click()
        pdf = Path(pdf_download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF-")
        assert decoded(sheet_image(pdf)) == [scanned]
    finally:
        context.close()
