"""The owner's dashboard in a real headless Chromium on a phone: a scan of the code's
QR address shows up with its device, a listen half way through shows as about half
heard, and every panel fits the screen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    listen_half_way,
    main_nav,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "owner@example.test"
PASSWORD = "correct horse battery staple"
TEXT = "Hall 3: the whale. It is the largest animal that ever lived, and it still sings."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_server_with_user(
        tmp_path_factory.mktemp("voiceqr-data"), EMAIL, PASSWORD
    ) as base:
        yield base


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def _made(server: str) -> dict[str, Any]:
    """A completed generation of the owner, made through the API."""
    with httpx.Client(base_url=server, timeout=10) as owner:
        assert owner.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        voice = owner.get("/api/v1/voices/").json()[0]
        created = owner.post(
            "/api/v1/generations/", json={"text": TEXT, "voice_id": voice["id"]}
        ).json()
        deadline = time.monotonic() + 30
        while (body := owner.get(f"/api/v1/generations/{created['id']}").json())["status"] != (
            "completed"
        ):
            assert body["status"] != "failed", body
            assert time.monotonic() < deadline, body
            time.sleep(0.25)
        return dict(body)


def test_a_scan_from_a_phone_shows_on_the_owners_dashboard(server: str, phone: Any) -> None:
    from playwright.sync_api import expect

    generation = _made(server)
    visitor = phone.browser.new_context(**MOBILE)
    try:
        page = visitor.new_page()
        assert page.goto(generation["playback_url"] + "?s=q").status == 200
        listen_half_way(page)
    finally:
        visitor.close()

    page = phone.new_page()
    sign_in(page, server, EMAIL, PASSWORD)
    main_nav(page).get_by_role("link", name="Analytics").tap()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    scans = page.locator(".totals div", has_text="Scans").locator("dd")
    deadline = time.monotonic() + 10
    while scans.inner_text() != "1":  # scans are stored at least every second
        assert time.monotonic() < deadline, "the scan did not show"
        time.sleep(0.3)
        page.reload()
    expect(page.get_by_role("table", name="Devices")).to_contain_text("mobile")
    expect(page.get_by_role("table", name="Sources")).to_contain_text("QR code")
    expect(page.get_by_text("0 bots left out")).to_be_visible()
    # The listen heard about half of the audio.
    heard = page.locator(".totals div", has_text="Average listen-through").locator("dd")
    deadline = time.monotonic() + 10
    while heard.inner_text() == "\N{EN DASH}":  # none yet
        assert time.monotonic() < deadline, "the listen-through did not show"
        time.sleep(0.3)
        page.reload()
    assert 45 <= int(heard.inner_text().rstrip("%")) <= 60, heard.inner_text()
    assert_fits_the_screen(page)
    assert_accessible(page)

    exported = page.request.get(
        server + (page.locator("a.export").first.get_attribute("href") or "")
    )
    assert exported.status == 200
    assert exported.headers["content-type"].startswith("text/csv")

    page.goto(f"{server}/generations/{generation['id']}/analytics")
    expect(
        page.get_by_role("heading", name=f"Analytics of {generation['public_code']}")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="How far people listened")).to_be_visible()
    expect(page.get_by_role("table", name="Sentence by sentence")).to_contain_text(
        "Hall 3: the whale."
    )
    assert_fits_the_screen(page)
    assert_accessible(page)
