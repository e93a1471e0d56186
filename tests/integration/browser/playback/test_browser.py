"""The web pages in a real headless Chromium against `voiceqr serve` on embedded defaults.

One platform process (SQLite, local storage, in-process worker, espeak-ng) serves the
module; each test drives a phone-sized browser context through it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    create_user,
    embedded_env,
    keep_screenshot,
    listen_half_way,
    serving,
)

pytestmark = pytest.mark.browser

EMAIL = "owner@example.test"
PASSWORD = "correct horse battery staple"
READY_TIMEOUT_MS = 30_000
UUID_PATH = re.compile(r"/generations/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voiceqr serve` on a fresh data directory with one account; its base URL."""
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, EMAIL, PASSWORD)
    with serving(env, port, data / "serve.log") as base:
        yield base


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811
    """A new phone-sized browsing context (no cookies)."""
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="module")
def owner(server: str) -> Iterator[httpx.Client]:
    """A JSON API client signed in as the owner."""
    with httpx.Client(base_url=server, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client


def wait_for_generation(owner: httpx.Client, generation_id: str, **expected: Any) -> dict[str, Any]:
    """Poll the API until every `expected` field matches (bounded); the last body."""
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    while True:
        body: dict[str, Any] = owner.get(f"/api/v1/generations/{generation_id}").json()
        if all(body.get(k) == v for k, v in expected.items()):
            return body
        assert body["status"] != "failed", body
        assert time.monotonic() < deadline, f"still {body} after waiting for {expected}"
        time.sleep(0.25)


def test_create_flow_on_a_phone(server: str, phone: Any) -> None:
    from playwright.sync_api import expect

    page = phone.new_page()

    # Visiting the site signed out shows the landing page, whose "Sign in" leads to the form.
    page.goto(f"{server}/")
    page.get_by_role("link", name="Sign in", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/signin"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    expect(page).to_have_url(f"{server}/generations/new")
    expect(page.get_by_role("heading", name="Make a spoken QR code")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    # The chosen voice offers a spoken sample that the server really serves as MP3.
    voices = page.locator("label.pick")
    assert voices.count() >= 2
    sample = page.request.get(server + page.locator("#chosen-sample").get_attribute("src"))
    assert sample.status == 200
    assert sample.headers["content-type"].startswith("audio/mpeg")

    # Pick the second voice, type a text (the counter follows) and submit.
    chosen = voices.nth(1)
    voice_name = chosen.locator(".voice-name").inner_text()
    chosen.locator(".voice-name").tap()
    expect(chosen.locator("input[type=radio]")).to_be_checked()
    text = "Welcome to the east wing. This painting was finished in 1889."
    page.locator("#text").fill(text)
    expect(page.locator("#count")).to_contain_text(f"{len(text)} / ")
    page.get_by_role("button", name="Make audio and QR code").tap()

    # The generation page reports the status live and ends at Ready with the audio.
    expect(page).to_have_url(UUID_PATH)
    status = page.locator("#status")
    expect(status).to_be_visible()
    first_status = status.inner_text().strip()
    assert first_status in ("Waiting for a worker…", "Making the audio…", "Ready"), first_status
    expect(status).to_have_text("Ready", timeout=READY_TIMEOUT_MS)
    expect(page.locator("#audio")).to_be_attached()
    expect(page.locator("#progress")).to_have_count(0)
    expect(page.locator("blockquote.transcript")).to_have_text(text)
    expect(page.get_by_text(f"Voice: {voice_name}")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page, state="ready")

    qr = page.get_by_role("img", name="QR code that opens the playback page")
    expect(qr).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=qr.element_handle(), timeout=10_000
    )
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] <= MOBILE["viewport"]["width"]

    # The link under the QR code opens the public playback page.
    link = page.locator(".qr a[href*='/p/']:not([target])")  # the address itself, same tab
    href = link.get_attribute("href")
    assert href is not None
    assert href.startswith(f"{server}/p/")
    link.tap()
    expect(page).to_have_url(href)
    expect(page.locator("#player")).to_be_attached()
    expect(page.locator(".transcript")).to_have_text(text)
    expect(page.get_by_text(f"Read by {voice_name}")).to_be_visible()


def test_playback_page_plays_and_counts_a_listen(
    server: str, phone: Any, owner: httpx.Client
) -> None:
    from playwright.sync_api import expect

    voice = owner.get("/api/v1/voices/").json()[0]
    text = "Scan me to hear this sentence read aloud."
    created = owner.post("/api/v1/generations/", json={"text": text, "voice_id": voice["id"]})
    assert created.status_code == 202, created.text
    generation = wait_for_generation(owner, created.json()["id"], status="completed")
    assert (generation["scans"], generation["listens"]) == (0, 0)

    page = phone.new_page()
    response = page.goto(generation["playback_url"])
    assert response is not None
    assert response.status == 200

    can_play = page.evaluate("() => document.createElement('audio').canPlayType('audio/mpeg')")
    if not can_play:
        pytest.fail(
            "this Chromium build cannot decode MP3 (canPlayType('audio/mpeg') is empty); "
            "the playback page cannot be checked for a duration here",
            pytrace=False,
        )

    # The audio element loads the MP3's metadata and knows how long it is.
    page.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " return p.error !== null || (p.readyState >= 1 && p.duration > 0); }",
        timeout=15_000,
    )
    media: dict[str, Any] = page.evaluate(
        "() => { const p = document.getElementById('player');"
        " return {error: p.error && p.error.code, duration: p.duration}; }"
    )
    assert media["error"] is None, f"the player reported MediaError code {media['error']}"
    assert 0 < media["duration"] < 60, media

    expect(page.locator(".transcript")).to_have_text(text)
    expect(page.locator(".transcript")).to_be_visible()
    expect(page.get_by_text(f"Read by {voice['name']}")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)

    # Opening the page counted a scan; starting playback counts one listen.
    assert wait_for_generation(owner, generation["id"], scans=1)["listens"] == 0
    played = page.evaluate(
        "async () => { const p = document.getElementById('player');"
        " p.muted = true; await p.play(); return !p.paused; }"
    )
    assert played
    page.wait_for_function(
        "() => document.getElementById('player').currentTime > 0", timeout=10_000
    )
    counted = wait_for_generation(owner, generation["id"], listens=1)
    assert counted["scans"] == 1

    # Pausing and playing again on the same page is still one listen.
    page.evaluate(
        "async () => { const p = document.getElementById('player'); p.pause(); await p.play(); }"
    )
    time.sleep(0.5)
    assert owner.get(f"/api/v1/generations/{generation['id']}").json()["listens"] == 1


@pytest.mark.parametrize("code", ["doesNotExist123", "no"], ids=["unknown", "malformed"])
def test_unknown_code_shows_a_friendly_not_found_page(server: str, phone: Any, code: str) -> None:
    from playwright.sync_api import expect

    page = phone.new_page()
    response = page.goto(f"{server}/p/{code}")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("This code does not lead to any audio.")).to_be_visible()
    expect(page.get_by_role("link", name="Back to voiceqr")).to_be_visible()
    expect(page.locator("#player")).to_have_count(0)
    assert_fits_the_screen(page)
    assert_accessible(page)


def test_a_deleted_codes_page_says_its_audio_was_removed(
    server: str, phone: Any, owner: httpx.Client
) -> None:
    from playwright.sync_api import expect

    voice = owner.get("/api/v1/voices/").json()[0]
    created = owner.post(
        "/api/v1/generations/", json={"text": "Soon gone.", "voice_id": voice["id"]}
    )
    assert created.status_code == 202, created.text
    generation = wait_for_generation(owner, created.json()["id"], status="completed")
    assert owner.delete(f"/api/v1/generations/{generation['id']}").status_code == 204

    page = phone.new_page()
    response = page.goto(generation["playback_url"])
    assert response is not None
    assert response.status == 410
    expect(page.get_by_role("heading", name="This audio was removed")).to_be_visible()
    expect(page.locator("#player")).to_have_count(0)
    assert_fits_the_screen(page)
    assert_accessible(page)


def test_listening_half_way_reports_half_the_audio_heard(
    server: str, phone: Any, owner: httpx.Client
) -> None:
    from playwright.sync_api import expect

    voice = owner.get("/api/v1/voices/").json()[0]
    text = (
        "Welcome to the east wing of the museum. This painting was finished in 1889, "
        "a year before the painter died. Please do not touch the frame."
    )
    created = owner.post("/api/v1/generations/", json={"text": text, "voice_id": voice["id"]})
    assert created.status_code == 202, created.text
    generation = wait_for_generation(owner, created.json()["id"], status="completed")
    listen_through = f"/api/v1/generations/{generation['id']}/listen-through"
    assert owner.get(listen_through).json()["listens"] == 0

    page = phone.new_page()
    page.goto(generation["playback_url"])
    listen_half_way(page)

    body = _wait_for_listens(owner, listen_through, 1)
    assert 0.45 <= body["average_heard"] <= 0.6, body
    assert body["completion_rate"] == 0.0
    assert body["retention"][0] == 1.0
    assert body["retention"][-1] == 0.0
    assert [s["text"] for s in body["sentences"]] == [
        "Welcome to the east wing of the museum.",
        "This painting was finished in 1889, a year before the painter died.",
        "Please do not touch the frame.",
    ]
    assert body["sentences"][0]["heard"] == 1.0
    assert body["sentences"][-1]["heard"] == 0.0

    # Listening on to the end on the same page is the same listen, now completed.
    page.evaluate("async () => { await document.getElementById('player').play(); }")
    page.wait_for_function("() => document.getElementById('player').ended", timeout=30_000)
    deadline = time.monotonic() + 10
    while (body := owner.get(listen_through).json())["completion_rate"] < 1.0:
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert body["listens"] == 1
    assert body["average_heard"] == 1.0

    # The owner's page of it, on the phone: the totals and each sentence heard in full.
    phone.add_cookies(
        [{"name": "voiceqr_session", "value": owner.cookies["voiceqr_session"], "url": server}]
    )
    page.goto(f"{server}/generations/{generation['id']}")
    page.get_by_role("link", name="how far people listened").tap()
    expect(page.get_by_role("heading", name="How far people listened")).to_be_visible()
    expect(page.locator("#completion")).to_have_text("100%")
    expect(page.get_by_text("100% heard this sentence")).to_have_count(3)
    assert_fits_the_screen(page)
    assert_accessible(page)
    keep_screenshot(page, "listen-through", "phone")


def _wait_for_listens(owner: httpx.Client, url: str, listens: int) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        body: dict[str, Any] = owner.get(url).json()
        if body["listens"] == listens:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
