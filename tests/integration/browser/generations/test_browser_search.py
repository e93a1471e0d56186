"""Folders, tags (G4) and the history's search and filters (G5) in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "searcher@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_server_with_user(
        tmp_path_factory.mktemp("voiceqr-data"), EMAIL, PASSWORD
    ) as base:
        yield base


def test_search_and_filter_the_history_by_folder_and_tag(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)

        # Three generations through the JSON API, with the browser's session.
        voice_id = page.request.get(f"{server}/api/v1/voices").json()[0]["id"]
        made = {}
        for text in ("Dinosaur hall", "Gift shop", "Dinosaur eggs"):
            response = page.request.post(
                f"{server}/api/v1/generations", data={"text": text, "voice_id": voice_id}
            )
            assert response.status == 202, response.text()
            made[text] = response.json()["id"]

        page.goto(f"{server}/folders")
        expect(page.get_by_text("No folders yet.")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("New folder").fill("Halls")
        page.get_by_role("button", name="Create folder").click()
        expect(page.locator("#folders .row")).to_have_count(1)

        page.goto(f"{server}/generations/{made['Dinosaur hall']}")
        page.locator("#filing select[name=folder_id]").select_option(label="Halls")
        page.locator("#filing input[name=tags]").fill("kids, dinosaurs")
        page.get_by_role("button", name="Save folder and tags").click()
        expect(page.locator("#filing .filing")).to_contain_text("Halls")
        expect(page.locator("#filing .filing")).to_contain_text("#kids")
        assert_accessible(page, state="filed in a folder, with tags")

        page.goto(f"{server}/generations")
        items = page.locator("li.history-item")
        expect(items).to_have_count(3)
        page.locator("form.filters input[name=q]").fill("dino")
        page.get_by_role("button", name="Search").click()
        expect(items).to_have_count(2)
        page.locator("form.filters select[name=folder_id]").select_option(label="Halls")
        page.get_by_role("button", name="Search").click()
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text("Dinosaur hall")
        expect(page.locator("form.filters input[name=q]")).to_have_value("dino")  # the filters stay
        assert_accessible(page, state="filtered")

        page.get_by_role("link", name="Clear").click()
        expect(items).to_have_count(3)
        page.locator("form.filters select[name=tag]").select_option(label="kids")
        page.get_by_role("button", name="Search").click()
        expect(items).to_have_count(1)
        page.locator("form.filters input[name=q]").fill("gift")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_text("No generation matches")).to_be_visible()
        assert_accessible(page, state="nothing matches")

        # Deleting the folder asks first, then leaves the generation in no folder.
        page.goto(f"{server}/folders")
        row = page.locator("#folders .row").first
        expect(page.locator("#folders .row")).to_have_count(1)
        assert_accessible(page, state="one folder")
        row.get_by_text("Delete", exact=True).click()
        row.get_by_role("button", name="Yes, delete “Halls”").click()
        expect(page.get_by_text("No folders yet.")).to_be_visible()
        page.goto(f"{server}/generations?q=dinosaur+hall")
        expect(items).to_have_count(1)
    finally:
        context.close()
