"""The user's own data leaving, in a real headless Chromium on a phone: the profile's
"Download my data" and "Delete my account" sections, the grace period's banner and
"Keep my account", and an administrator deleting the account from its confirmation
page, after which its printed code answers 410 with a page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    create_user,
    embedded_env,
    serving,
    sign_in,
)

pytestmark = pytest.mark.browser

ADMIN = "root@example.test"
OWNER = "owner@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.conftest import free_port

    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, ADMIN, PASSWORD, name="Root", admin=True)
    create_user(env, OWNER, PASSWORD, name="Owner")
    with serving(env, port, data / "serve.log") as base:
        yield base


def _signed_in(browser: Any, server: str, email: str) -> tuple[Any, Any]:  # noqa: F811
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server, email, PASSWORD)
    return context, page


def _completed_generation(page: Any, server: str) -> dict[str, Any]:
    voice_id = page.request.get(f"{server}/api/v1/voices").json()[0]["id"]
    response = page.request.post(
        f"{server}/api/v1/generations", data={"text": "The west wing", "voice_id": voice_id}
    )
    assert response.status == 202, response.text()
    deadline = time.monotonic() + 60
    while True:
        generation: dict[str, Any] = page.request.get(
            f"{server}/api/v1/generations/{response.json()['id']}"
        ).json()
        if generation["status"] == "completed":
            return generation
        assert time.monotonic() < deadline, generation
        time.sleep(0.2)


def test_a_user_asks_keeps_and_an_admin_deletes_the_account_then_its_code_is_gone(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    owner_context, page = _signed_in(browser, server, OWNER)
    try:
        generation = _completed_generation(page, server)
        owner_id = page.request.get(f"{server}/api/v1/me").json()["id"]

        page.goto(f"{server}/profile")
        expect(page.get_by_role("heading", name="Download my data")).to_be_visible()
        expect(page.get_by_text("You have not asked for an archive yet.")).to_be_visible()
        expect(page.get_by_role("heading", name="Delete my account")).to_be_visible()
        assert_accessible(page, state="profile with its data sections")

        page.get_by_role("button", name="Download my data").click()
        expect(page.get_by_text("Your archive is being made.")).to_be_visible()

        page.get_by_label("I understand that my account and everything I made").check()
        page.get_by_role("button", name="Delete my account").click()
        banner = page.locator("#deletion-banner")
        expect(banner).to_contain_text("Your account will be deleted on")
        assert_accessible(page, state="deletion asked, grace period running")
    finally:
        owner_context.close()

    # Signing in during the grace period lands on the banner, with "Keep my account".
    owner_context = browser.new_context(**MOBILE)
    owner_context.set_default_timeout(15_000)
    try:
        page = owner_context.new_page()
        page.goto(f"{server}/signin")
        page.get_by_label("Email").fill(OWNER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server}/profile#delete-account")
        banner = page.locator("#deletion-banner")
        banner.get_by_role("button", name="Keep my account").click()
        expect(page.get_by_text("Your account is kept")).to_be_visible()
        expect(page.locator("#deletion-banner")).to_have_count(0)
    finally:
        owner_context.close()

    admin_context, admin = _signed_in(browser, server, ADMIN)
    try:
        admin.goto(f"{server}/admin/users/{owner_id}/delete")
        expect(admin.locator("#count-generations")).to_have_text("1")
        assert_accessible(admin, state="the deletion's confirmation page")
        admin.get_by_label("Type the account's email address to confirm").fill("wrong@x.test")
        admin.get_by_label("Reason (kept in the audit log)").fill("asked by mail")
        admin.get_by_role("button", name="Delete this account for good").click()
        expect(admin.locator("#error")).to_contain_text("Type the account's email")
        admin.get_by_label("Type the account's email address to confirm").fill(OWNER)
        admin.get_by_role("button", name="Delete this account for good").click()
        expect(admin.get_by_role("heading", name="The account is being deleted")).to_be_visible()

        code_page = f"{server}/p/{generation['public_code']}"
        deadline = time.monotonic() + 30
        while (status := admin.goto(code_page).status) != 410:
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        expect(
            admin.get_by_role("heading", name="This audio was removed by its owner")
        ).to_be_visible()
        assert_accessible(admin, state="the code of a deleted account")
    finally:
        admin_context.close()
