"""Batch delete with its confirmation, and "download all" (G6), in a real headless Chromium
against `voiceqr serve` on embedded defaults."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)
from tests.integration.http_helpers import looks_like_mp3

pytestmark = pytest.mark.browser

EMAIL = "batcher@example.test"
PASSWORD = "correct horse battery staple"
TEXTS = ["The first note to throw away", "The second note to throw away", "The note to keep"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def test_batch_delete_asks_first_then_download_all_has_what_is_left(
    server: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        for text in TEXTS:
            page.goto(f"{server}/generations/new")
            page.locator("#text").fill(text)
            page.get_by_role("button", name="Make audio and QR code").click()
            expect(page).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}$"))
            expect(page.locator("audio").first).to_be_attached()

        page.goto(f"{server}/generations")
        for text in TEXTS[:2]:
            page.get_by_role("checkbox", name=f"Select “{text}”").check()
        page.get_by_role("button", name="Delete selected").click()

        # Nothing is gone yet: a page says what will happen and waits for a yes.
        expect(page.get_by_role("heading", name="Delete 2 generations?")).to_be_visible()
        expect(page.locator(".batch-list")).to_contain_text(TEXTS[0])
        assert_accessible(page)
        page.get_by_role("button", name="Yes, delete 2 generations").click()

        expect(page.get_by_role("status")).to_contain_text("2 generations deleted")
        expect(page.locator(".history-item")).to_have_count(1)
        expect(page.locator(".history-item")).to_contain_text(TEXTS[2])
        assert_accessible(page, state="two generations deleted")

        with page.expect_download() as caught:
            page.get_by_role("link", name="Download all").click()
        saved = tmp_path / caught.value.suggested_filename
        caught.value.save_as(saved)
        archive = zipfile.ZipFile(saved)
        rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
        assert [row["text"] for row in rows] == [TEXTS[2]]
        assert looks_like_mp3(archive.read(rows[0]["audio_file"]))
        assert archive.read(rows[0]["qr_file"]).startswith(b"\x89PNG")
    finally:
        context.close()
