"""What the browser tests share: `voiceqr serve` as a process, headless Chromium, the
phone and desktop devices, the accessibility check and the screenshots kept for review."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CHROMIUM, service_missing

VOICEQR = Path(sys.executable).parent / "voiceqr"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots of the pages are kept for reviewers in one place: `test-artifacts/screenshots/`
# at the repository root (git-ignored), or under the directory named by TEST_ARTIFACTS. Not
# a VOICEQR_ name: the settings refuse unknown VOICEQR_ variables, and the tests that build
# the platform in process read the environment they run in.
REPOSITORY = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60  # generous: a busy two-core CI box needs ~10 s just to import
MAIL_WAIT_S = 15


def create_user(
    env: dict[str, str],
    email: str,
    password: str,
    *,
    name: str = "Owner",
    admin: bool = False,
    role: str | None = None,
) -> None:
    """A verified account (an administrator with `admin`, or of another `role`), made
    with the operator CLI before the server starts."""
    created = subprocess.run(
        [str(VOICEQR), "users", "create", email, "--name", name, "--password-stdin"]
        + (["--admin"] if admin else [])
        + (["--role", role] if role else []),
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert created.returncode == 0, created.stderr


def embedded_env(data: Path, port: int) -> dict[str, str]:
    """The environment of a `voiceqr serve` on `port` with its own data directory: none of
    the caller's VOICEQR_ settings leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
    return env | {
        "VOICEQR_DATA_DIR": str(data),
        "VOICEQR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }


@contextlib.contextmanager
def serving(env: dict[str, str], port: int, log_path: Path) -> Iterator[str]:
    """`voiceqr serve --port PORT` until the block ends; yields its base URL once /healthz
    answers, and fails with the server's log if it dies or does not come up in time."""
    if not VOICEQR.exists():
        pytest.fail(f"the voiceqr console script is missing at {VOICEQR}", pytrace=False)
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VOICEQR), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"voiceqr serve exited early:\n{log_path.read_text()}", pytrace=False)
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"/healthz not up in {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for a test module (fails in CI, skips elsewhere, when missing)."""
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def embedded_server_with_user(
    data: Path, email: str, password: str, *, name: str = "Owner", admin: bool = False
) -> Iterator[str]:
    """`voiceqr serve` on a fresh embedded data directory with one verified account;
    yields its base URL. The usual body of a browser test module's `server` fixture."""
    from tests.conftest import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
    env |= {"VOICEQR_DATA_DIR": str(data), "VOICEQR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    create_user(env, email, password, name=name, admin=admin)
    with serving(env, port, data / "serve.log") as base:
        yield base


def sign_in(page: Any, server: str, email: str, password: str) -> None:
    """Sign in through the form; the page ends on the create page."""
    from playwright.sync_api import expect

    page.goto(f"{server}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server}/generations/new")


def main_nav(page: Any) -> Any:
    """The main navigation of a signed-in page, opened first where it is folded behind
    the Menu button (a phone)."""
    # The menu's script runs as the page is parsed: once the document is, the button
    # shows where the links are folded (before, a phone's links looked unfolded).
    page.wait_for_load_state("domcontentloaded")
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
        menu.click()
    return page.get_by_role("navigation", name="Main")


# A phone, for the pages that must fit one.
MOBILE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    ),
}


# A desktop, for the pages shown on both.
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
DEVICES: dict[str, dict[str, Any]] = {"phone": MOBILE, "desktop": DESKTOP}


def screenshots_directory() -> Path:
    """Where kept screenshots go: `$TEST_ARTIFACTS/screenshots`, by default under
    `test-artifacts/` at the repository root."""
    root = os.environ.get("TEST_ARTIFACTS") or REPOSITORY / "test-artifacts"
    return Path(root) / "screenshots"


def screenshot_path(page_name: str, device: str) -> Path:
    """The kept screenshot of `page_name` (landing, create...) on `device`."""
    return screenshots_directory() / f"{page_name}-{device}.png"


def keep_screenshot(page: Any, page_name: str, device: str) -> Path:
    """A full-page PNG of the page as it is now, kept for reviewers as
    `<page_name>-<device>.png`; the path is printed (pytest -s, or a failure's report)."""
    path = screenshot_path(page_name, device)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def assert_screenshot_kept(page_name: str, device: str) -> None:
    """The screenshot of `page_name` on `device` is there and is a real picture of the
    page: a PNG as wide as the device's screen, and taller than a blank strip."""
    from PIL import Image

    path = screenshot_path(page_name, device)
    assert path.is_file(), f"no screenshot of the {page_name} page on a {device} at {path}"
    settings = DEVICES[device]
    scale = settings.get("device_scale_factor", 1)
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path} is a {image.format}"
        assert image.width == settings["viewport"]["width"] * scale, (path, image.size)
        assert image.height >= 200 * scale, (path, image.size)
        # A page, not a blank: more than a handful of colours.
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 8, f"{path} is nearly blank"


def assert_fits_the_screen(page: Any) -> None:
    """Nothing is wider than the phone's layout viewport.

    `innerWidth` will not do: a mobile browser zooms out to fit overflowing content,
    so it grows with the overflow; `clientWidth` stays at the device width.
    """
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert client == MOBILE["viewport"]["width"], f"layout viewport is {client}px"
    assert scroll <= client, f"{page.url} is {scroll}px wide on a {client}px screen"


def assert_accessible(
    page: Any, *, state: str = "", not_ours: Mapping[str, str] | None = None
) -> None:
    """axe-core finds no accessibility violation on the page as it is now; otherwise the
    test fails with axe's report of each rule broken and the elements that break it.

    The rules are axe's default set: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its
    best practices (landmarks, heading order, one main heading). `state` names what the
    page shows, for the report (a form with an error, a removed code...). `not_ours`
    turns off rules that only a third-party viewer's markup breaks, each with the reason
    (axe rule id -> why it cannot be fixed here); our own pages pass none.
    """
    from axe_playwright_python.sync_playwright import Axe

    if not_ours:
        off = {rule: {"enabled": False} for rule in not_ours}
        results = Axe().run(page, options={"resultTypes": ["violations"], "rules": off})
    else:
        results = Axe().run(page)
    if results.violations_count:
        where = f"{page.url} ({state})" if state else page.url
        pytest.fail(f"{where}\n{results.generate_report()}")


def listen_half_way(page: Any) -> None:
    """Play the code's audio from the start and pause once half of it was heard (the
    page reports what the listen heard on pause)."""
    page.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " return p.error !== null || (p.readyState >= 1 && p.duration > 0); }",
        timeout=15_000,
    )
    page.evaluate(
        "async () => { const p = document.getElementById('player');"
        " p.muted = true; await p.play(); }"
    )
    page.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " if (p.currentTime >= p.duration / 2) { p.pause(); return true; } return false; }",
        polling=10,
        timeout=30_000,
    )


def open_mail(page: Any, server: str, *, to: str, subject: str) -> str:
    """Open the newest mail to `to` with `subject` in the development mailbox; the URL of
    the link in its text (polls: the sweeper or the page itself delivers queued mail)."""
    deadline = time.monotonic() + MAIL_WAIT_S
    while True:
        page.goto(f"{server}/dev/mailbox")
        rows = page.locator("li.row").filter(has=page.locator(".mail-to", has_text=to))
        message = rows.get_by_role("link", name=subject)
        if message.count():
            break
        assert time.monotonic() < deadline, f"no mail '{subject}' to {to}:\n{page.content()}"
        time.sleep(0.3)
    message.first.click()
    page.get_by_role("heading", name=subject).wait_for()
    link = page.locator(".mail-text a").first
    href = link.get_attribute("href")
    assert href is not None
    assert href.startswith(server), href
    link.click()
    return str(href)
