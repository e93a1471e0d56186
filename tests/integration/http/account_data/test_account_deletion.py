"""Deleting an account over HTTP: administrators confirm on a page (or the API) that
lists what goes, a plain user or support cannot; the owner asks from the profile and
may keep the account during the grace period. After the job, the printed codes answer
410, the audio files are gone and no row names the account."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.integration.account_rows import rows_naming
from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    wait_until_finished,
)
from voiceqr.domain.accounts.users import Role

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _made(agent: Agent, voices: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    made = []
    for n in range(count):
        response = await agent.post(
            "/api/v1/generations", json={"text": f"Gallery room {n}", "voice_id": voices[0]["id"]}
        )
        assert response.status_code == 202, response.text
        made.append(await wait_until_finished(agent, response.json()["id"]))
    return made


async def _gone(app: RunningApp, user_id: UUID, *, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while app.call(app.platform.account_deletions.pending, user_id) is not None:
        assert time.monotonic() < deadline, "the deletion job did not finish"
        await asyncio.sleep(0.05)


def _media_files(app: RunningApp) -> set[Path]:
    root = app.platform.settings.data_path / "media" / "audio"
    return set(root.rglob("*.mp3"))


@pytest.mark.parametrize("role", [Role.USER, Role.SUPPORT, Role.MODERATOR])
async def test_only_an_administrator_reaches_the_deletion_page_and_api(
    app: RunningApp, role: Role, bob: Agent
) -> None:
    assert bob.user is not None
    agent = await app.new_user(f"{role}-deleter@example.com", role=role)
    page = await agent.get(f"/admin/users/{bob.user.id}/delete")
    assert page.status_code == 403
    response = await agent.post(
        f"/api/v1/admin/users/{bob.user.id}/deletion",
        json={"email": bob.user.email, "reason": "no"},
    )
    assert response.status_code == 403
    assert app.call(app.platform.account_deletions.pending, bob.user.id) is None


async def test_the_api_refuses_a_wrong_email_an_empty_reason_and_an_unknown_account(
    app: RunningApp, admin: Agent, bob: Agent
) -> None:
    assert bob.user is not None
    url = f"/api/v1/admin/users/{bob.user.id}/deletion"
    assert_problem(
        await admin.post(url, json={"email": "bob@example.org", "reason": "spam"}),
        422,
        "email_mismatch",
    )
    assert_problem(
        await admin.post(url, json={"email": bob.user.email, "reason": " "}),
        422,
        "reason_required",
    )
    assert_problem(
        await admin.post(
            "/api/v1/admin/users/00000000-0000-7000-8000-000000000000/deletion",
            json={"email": bob.user.email, "reason": "spam"},
        ),
        404,
    )
    assert (await admin.post(url, json={"reason": "spam"})).status_code in (400, 422)
    assert app.call(app.platform.account_deletions.pending, bob.user.id) is None


async def test_an_administrator_deletes_an_account_from_its_confirmation_page(
    app: RunningApp, admin: Agent, voices: list[dict[str, Any]]
) -> None:
    dora = await app.new_user("dora@example.com")
    assert dora.user is not None
    before = _media_files(app)
    made = await _made(dora, voices, 2)
    files = _media_files(app) - before
    assert len(files) == 2
    for generation in made:
        assert (await app.anonymous.get(f"/p/{generation['public_code']}")).status_code == 200
    page_url = f"/admin/users/{dora.user.id}/delete"

    confirm = await admin.open_form(page_url)
    assert 'id="count-generations">2<' in confirm.text
    assert 'id="count-audio">2<' in confirm.text
    refused = await admin.post_form(
        page_url, {"email": "someone@example.com", "reason": "asked by mail"}, form=confirm
    )
    assert refused.status_code == 422
    assert "Type the account" in refused.text
    assert app.call(app.platform.account_deletions.pending, dora.user.id) is None

    done = await admin.post_form(
        page_url, {"email": "dora@example.com", "reason": "asked by mail"}, form=confirm
    )
    assert done.status_code == 200, done.text
    assert "being deleted" in done.text
    await _gone(app, dora.user.id)

    for generation in made:
        gone = await app.anonymous.get(f"/p/{generation['public_code']}")
        assert gone.status_code == 410
        assert "removed by its owner" in gone.text
    assert not any(f.exists() for f in files)
    ids = [UUID(g["id"]) for g in made]
    assert app.call(rows_naming, app.uow.engine, dora.user.id, ids) == {}
    audit = await admin.get("/api/v1/admin/audit", params={"action": "account.delete"})
    (entry,) = [e for e in audit.json()["items"] if e["target_id"] == str(dora.user.id)]
    assert entry["details"] == {"reason": "asked by mail"}
    assert "dora@example.com" not in str(entry)


async def test_the_owner_asks_from_the_profile_and_keeps_the_account(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    emma = await app.new_user("emma@example.com")
    assert emma.user is not None
    (made,) = await _made(emma, voices, 1)
    profile = await emma.open_form("/profile")
    assert "Delete my account" in profile.text

    unticked = await emma.post_form("/profile/delete", {}, form=profile)
    assert unticked.status_code == 400
    asked = await emma.post_form("/profile/delete", {"confirm": "on"}, form=profile)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/profile?done=deletion")

    state = await emma.get("/api/v1/me/deletion")
    assert state.status_code == 200
    assert state.json()["status"] == "scheduled"
    again = await app.sign_in("emma@example.com")
    banner = await again.open_form("/profile")
    assert 'id="deletion-banner"' in banner.text
    assert "Keep my account" in banner.text

    kept = await again.post_form("/profile/keep", {}, form=banner)
    assert kept.status_code == 303
    assert (await emma.get("/api/v1/me/deletion")).status_code == 404
    assert (await app.anonymous.get(f"/p/{made['public_code']}")).status_code == 200


async def test_every_signed_in_page_says_when_the_account_goes_and_offers_to_keep_it(
    app: RunningApp,
) -> None:
    flo = await app.new_user("flo@example.com")
    plain = await flo.open_form("/generations")
    assert 'id="deletion-banner"' not in plain.text
    assert (await flo.post("/api/v1/me/deletion")).status_code == 202
    due = (await flo.get("/api/v1/me/deletion")).json()["due_at"][:10]

    for url in (
        "/generations",
        "/generations/new",
        "/voices",
        "/analytics",
        "/security",
        "/support",
    ):
        page = await flo.open_form(url)
        assert 'id="deletion-banner"' in page.text, url
        assert f"will be deleted on {due}" in page.text, url
        assert 'action="/profile/keep"' in page.text, url
    assert 'id="deletion-banner"' not in (await app.anonymous.get("/signin", headers=BROWSER)).text

    kept = await flo.post_form("/profile/keep", {}, form=await flo.open_form("/voices"))
    assert kept.status_code == 303
    assert 'id="deletion-banner"' not in (await flo.open_form("/generations")).text


async def test_the_owner_needs_a_recent_password_and_another_user_cannot_keep_it(
    app: RunningApp, carol: Agent
) -> None:
    fred = await app.new_user("fred@example.com")
    assert fred.user is not None
    assert (await fred.post("/api/v1/me/deletion")).status_code == 202
    assert_problem(await fred.post("/api/v1/me/deletion"), 409, "deletion_exists")
    assert_problem(await carol.delete("/api/v1/me/deletion"), 404, "deletion_not_found")
    assert (await fred.get("/api/v1/me/deletion")).status_code == 200
    assert (await fred.delete("/api/v1/me/deletion")).status_code == 204
    assert (await app.anonymous.post("/api/v1/me/deletion")).status_code == 401
