"""Failed generations on the real app: the owner's view, the failure mail and the admins'
recovery API, on the embedded platform (SQLite, local storage, in-process worker).

The speech provider and the audio store are the only stand-ins: a synthesizer that
answers with a quota error when told to, and local storage whose writes fail when
told to. Retries are made fast (1 s backoff, a 0.2 s sweeper) and the budget small (2).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    running_app,
    wait_until_finished,
)
from voiceqr.adapters.storage.local import LocalAudioStorage
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError, StorageError
from voiceqr.domain.voices.voice import Voice
from voiceqr.settings import Auth, Jobs, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"
TEXT = "The east wing is closed today; the tour starts in the west hall."


class FailingSynth:
    """Speaks (fake MP3) until `quota_exceeded` is set, then fails like a spent quota."""

    provider = "espeak"
    max_text_length = 5000

    def __init__(self) -> None:
        self.quota_exceeded = False

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        if self.quota_exceeded:
            raise SpeechError(
                "The speech service has no characters left this month.",
                category=ErrorCategory.QUOTA,
                code="quota_exceeded",
                retryable=False,
                detail="HTTP 401 {'status': 'quota_exceeded'}",
            )
        return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))


class FlakyStorage(LocalAudioStorage):
    """Local storage whose next `fail_puts` writes raise StorageError."""

    fail_puts = 0

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.fail_puts:
            self.fail_puts -= 1
            raise StorageError("The audio could not be saved.", detail="disk full (test)")
        await super().put(key, data, content_type)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[RunningApp, FailingSynth, FlakyStorage]]:
    data = tmp_path_factory.mktemp("voiceqr-failures")
    settings = Settings(
        data_dir=str(data),
        auth=Auth(sign_in_per_minute=10_000, emails_per_hour=10_000),
        jobs=Jobs(max_attempts=2, retry_base_seconds=0.0, sweep_interval_seconds=0.2),
    )
    synth = FailingSynth()
    storage = FlakyStorage(Path(data) / "media", url_prefix="/media")
    async with running_app(settings, speech={"espeak": synth}, storage=storage) as app:
        yield app, synth, storage


@pytest.fixture
def app(env: tuple[RunningApp, FailingSynth, FlakyStorage]) -> RunningApp:
    return env[0]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(env: tuple[RunningApp, FailingSynth, FlakyStorage]) -> Agent:
    return await env[0].new_user("root@example.com", role=Role.ADMIN)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(env: tuple[RunningApp, FailingSynth, FlakyStorage]) -> str:
    response = await env[0].anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    return str(response.json()[0]["id"])


async def make(agent: Agent, voice_id: str) -> str:
    response = await agent.post("/api/v1/generations", json={"text": TEXT, "voice_id": voice_id})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def failure_mails(app: RunningApp, to: str) -> list[OutboxMessage]:
    async def read() -> list[OutboxMessage]:
        async with app.uow() as uow:
            return await uow.outbox.list(status=None, limit=10_000)

    return [m for m in app.call(read) if m.to == to and m.kind == "generation_failed"]


async def wait_for_retry(admin: Agent, generation_id: str) -> dict[str, Any]:
    """Poll until the first attempt failed and the next one is scheduled."""
    deadline = time.monotonic() + 20
    while True:
        response = await admin.get(f"/api/v1/admin/generations/{generation_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if [a["outcome"] for a in body["history"]] == ["retry_scheduled"]:
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.05)


async def test_a_quota_error_fails_at_once_and_mails_the_owner_once(
    env: tuple[RunningApp, FailingSynth, FlakyStorage], admin: Agent, voice_id: str
) -> None:
    app, synth, _ = env
    owner = await app.new_user("quota@example.com")
    synth.quota_exceeded = True
    try:
        generation_id = await make(owner, voice_id)
        body = await wait_until_finished(owner, generation_id)
    finally:
        synth.quota_exceeded = False

    assert body["status"] == "failed"
    assert body["attempts"] == 1
    assert body["error"]["category"] == "quota"
    assert body["error"]["code"] == "quota_exceeded"
    assert "no characters left" in body["error"]["message"]
    assert "HTTP 401" not in str(body)  # the detail is for admins

    attempts = await owner.get(f"/api/v1/generations/{generation_id}/attempts")
    assert attempts.status_code == 200, attempts.text
    [attempt] = attempts.json()
    assert attempt["outcome"] == "failed"
    assert attempt["error"]["code"] == "quota_exceeded"
    assert "detail" not in attempt

    page = await owner.get(f"/generations/{generation_id}", headers={"Accept": "text/html"})
    assert "What to do:" in page.text
    assert "Try again later" in page.text
    history = await owner.get("/generations", headers={"Accept": "text/html"})
    assert "Failed" in history.text
    assert body["playback_url"] not in history.text  # nothing to play: no link to it

    await asyncio.sleep(0.5)  # a few sweeps: nothing more is sent
    [mail] = failure_mails(app, "quota@example.com")
    assert f"/generations/{generation_id}" in mail.text
    assert "HTTP 401" not in mail.text


async def test_a_generation_retried_and_failing_again_mails_its_owner_once(
    env: tuple[RunningApp, FailingSynth, FlakyStorage], admin: Agent, voice_id: str
) -> None:
    app, synth, _ = env
    owner = await app.new_user("twelve@example.com")
    synth.quota_exceeded = True
    try:
        generation_id = await make(owner, voice_id)
        assert (await wait_until_finished(owner, generation_id))["status"] == "failed"
        for _ in range(3):  # the admin tries again; the quota is still spent
            retried = await admin.post(f"/api/v1/admin/generations/{generation_id}/retry")
            assert retried.status_code == 200, retried.text
            assert (await wait_until_finished(owner, generation_id))["status"] == "failed"
    finally:
        synth.quota_exceeded = False

    history = (await admin.get(f"/api/v1/admin/generations/{generation_id}")).json()["history"]
    assert [a["outcome"] for a in history] == ["failed"] * 4
    await asyncio.sleep(0.5)  # a few sweeps: nothing more is sent
    assert len(failure_mails(app, "twelve@example.com")) == 1


async def test_storage_failing_on_write_is_retried_then_fails_with_category_storage(
    env: tuple[RunningApp, FailingSynth, FlakyStorage], admin: Agent, voice_id: str
) -> None:
    app, _, storage = env
    owner = await app.new_user("disk@example.com")
    storage.fail_puts = 2  # both attempts of the budget

    generation_id = await make(owner, voice_id)
    body = await wait_until_finished(owner, generation_id)

    assert body["status"] == "failed"
    assert body["attempts"] == 2
    assert body["error"]["category"] == "storage"
    detail = (await admin.get(f"/api/v1/admin/generations/{generation_id}")).json()
    assert [a["outcome"] for a in detail["history"]] == ["retry_scheduled", "failed"]
    assert all("disk full (test)" in a["detail"] for a in detail["history"])
    assert "disk full (test)" in detail["error_detail"]
    assert len(failure_mails(app, "disk@example.com")) == 1

    # The admin list filters by category; a retry with a working disk completes.
    listed = await admin.get("/api/v1/admin/generations", params={"category": "storage"})
    assert listed.status_code == 200, listed.text
    assert [g["id"] for g in listed.json()["items"]] == [generation_id]
    # "every status", as the page offers it; a status nobody offers is refused in words.
    owner_id = (await owner.get("/api/v1/me")).json()["id"]
    every = await admin.get(
        "/api/v1/admin/generations", params={"status": "any", "owner": owner_id}
    )
    assert [g["id"] for g in every.json()["items"]] == [generation_id]
    unknown = await admin.get("/api/v1/admin/generations", params={"status": "exploded"})
    assert unknown.status_code in (400, 422)
    assert "any, pending" in unknown.json()["detail"]
    retried = await admin.post(f"/api/v1/admin/generations/{generation_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] in ("pending", "processing", "completed")
    body = await wait_until_finished(owner, generation_id)
    assert body["status"] == "completed"
    assert body["error"] is None
    history = (await admin.get(f"/api/v1/admin/generations/{generation_id}")).json()["history"]
    assert [a["number"] for a in history] == [1, 2, 3]
    assert history[-1]["outcome"] == "completed"

    assert_problem(
        await admin.post(f"/api/v1/admin/generations/{generation_id}/retry"),
        409,
        "illegal_transition",
    )


async def test_admins_cancel_waiting_work_and_retry_many(
    env: tuple[RunningApp, FailingSynth, FlakyStorage], admin: Agent, voice_id: str
) -> None:
    app, synth, storage = env
    owner = await app.new_user("many@example.com")
    synth.quota_exceeded = True
    try:
        failed = [await make(owner, voice_id) for _ in range(2)]
        for generation_id in failed:
            await wait_until_finished(owner, generation_id)
    finally:
        synth.quota_exceeded = False

    storage.fail_puts = 1  # the next one waits 1 s for its second attempt
    waiting = await make(owner, voice_id)
    assert (await wait_for_retry(admin, waiting))["generation"]["status"] == "pending"
    cancelled = await admin.post(f"/api/v1/admin/generations/{waiting}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["error"]["code"] == "cancelled_by_admin"
    assert cancelled.json()["error"]["category"] == "system"
    assert_problem(await admin.post(f"/api/v1/admin/generations/{waiting}/cancel"), 409)

    report = await admin.post(
        "/api/v1/admin/generations/retry", json={"ids": [*failed, waiting, NO_SUCH_ID]}
    )
    assert report.status_code == 200, report.text
    assert sorted(report.json()["retried"]) == sorted([*failed, waiting])
    assert [s["code"] for s in report.json()["skipped"]] == ["generation_not_found"]
    for generation_id in [*failed, waiting]:
        assert (await wait_until_finished(owner, generation_id))["status"] == "completed"


async def test_other_users_and_keys_without_the_admin_scope_are_refused(
    env: tuple[RunningApp, FailingSynth, FlakyStorage], admin: Agent, voice_id: str
) -> None:
    app, _, _ = env
    owner = await app.new_user("mine@example.com")
    stranger = await app.new_user("stranger@example.com")
    generation_id = await make(owner, voice_id)
    await wait_until_finished(owner, generation_id)

    assert_problem(await stranger.get(f"/api/v1/generations/{generation_id}/attempts"), 404)
    assert_problem(await stranger.get(f"/api/v1/generations/{generation_id}"), 404)
    for method, url in (
        ("GET", "/api/v1/admin/generations"),
        ("GET", f"/api/v1/admin/generations/{generation_id}"),
        ("POST", f"/api/v1/admin/generations/{generation_id}/retry"),
        ("POST", f"/api/v1/admin/generations/{generation_id}/cancel"),
    ):
        assert (await owner.request(method, url)).status_code == 403, url
        assert (await app.anonymous.request(method, url)).status_code == 401, url

    def bearer(key: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {key['key']}"}

    read_key = (
        await admin.post("/api/v1/me/api-keys", json={"name": "ro", "scopes": ["read"]})
    ).json()
    admin_key = (
        await admin.post("/api/v1/me/api-keys", json={"name": "ops", "scopes": ["admin"]})
    ).json()
    assert_problem(
        await app.anonymous.get("/api/v1/admin/generations", headers=bearer(read_key)),
        403,
        "api_key_scope_missing",
    )
    listed = await app.anonymous.get("/api/v1/admin/generations", headers=bearer(admin_key))
    assert listed.status_code == 200, listed.text
