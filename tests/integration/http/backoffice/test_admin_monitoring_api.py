"""Failure monitoring and the audit log on the real app (F4, F6, O11): the admin API,
the /admin page, the owner's failure-mail setting, and the audit entries written by
admin actions over HTTP. Embedded platform (SQLite, in-process worker); the speech
provider fails with a spent quota when told to."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    is_html,
    running_app,
    wait_until_finished,
)
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.voices.voice import Voice
from voiceqr.settings import Auth, Jobs, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

STATS = "/api/v1/admin/failures/stats"
AUDIT = "/api/v1/admin/audit"
PREFERENCES = "/api/v1/me/preferences"


class QuotaSynth:
    """Speaks the gallery's samples at start-up, then fails every request with a spent
    quota (not retryable): one attempt, one failure."""

    provider = "espeak"
    max_text_length = 5000
    spent = False

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        if not self.spent:
            return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))
        raise SpeechError(
            "The speech service has no characters left this month.",
            category=ErrorCategory.QUOTA,
            code="quota_exceeded",
            retryable=False,
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("voiceqr-monitoring")),
        auth=Auth(sign_in_per_minute=10_000, emails_per_hour=10_000),
        jobs=Jobs(max_attempts=2, retry_base_seconds=0.0, sweep_interval_seconds=0.2),
    )
    synth = QuotaSynth()
    async with running_app(settings, speech={"espeak": synth}) as app:
        synth.spent = True  # the default gallery is seeded
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app: RunningApp) -> Agent:
    return await app.new_user("root@example.com", role=Role.ADMIN)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    return str(response.json()[0]["id"])


async def failed_generation(agent: Agent, voice_id: str) -> str:
    response = await agent.post(
        "/api/v1/generations", json={"text": "The west hall is open.", "voice_id": voice_id}
    )
    assert response.status_code == 202, response.text
    generation_id = str(response.json()["id"])
    body = await wait_until_finished(agent, generation_id)
    assert body["status"] == "failed"
    return generation_id


def failure_mails(app: RunningApp, to: str) -> list[OutboxMessage]:
    async def read() -> list[OutboxMessage]:
        async with app.uow() as uow:
            return await uow.outbox.list(status=None, limit=10_000)

    return [m for m in app.call(read) if m.to == to and m.kind == "generation_failed"]


# --- F4: the owner's failure-mail setting ---------------------------------------------------


async def test_by_default_an_owner_gets_one_mail_per_final_failure(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("default@example.com")
    assert (await owner.get(PREFERENCES)).json()["email_generation_failed"] is True

    await failed_generation(owner, voice_id)
    await asyncio.sleep(0.5)  # a few sweeps: nothing more is sent

    assert len(failure_mails(app, "default@example.com")) == 1


async def test_an_owner_who_opted_out_gets_no_mail_but_the_page_still_explains(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("quiet@example.com")
    response = await owner.patch(PREFERENCES, json={"email_generation_failed": False})
    assert response.status_code == 200, response.text
    assert response.json()["email_generation_failed"] is False

    generation_id = await failed_generation(owner, voice_id)
    await asyncio.sleep(0.5)

    assert failure_mails(app, "quiet@example.com") == []
    page = await owner.get(f"/generations/{generation_id}", headers=BROWSER)
    assert "What to do:" in page.text


async def test_the_setting_must_be_a_boolean(app: RunningApp) -> None:
    owner = await app.new_user("typo@example.com")
    response = await owner.patch(PREFERENCES, json={"email_generation_failed": "no"})
    assert_problem(response, 400)
    assert (await owner.get(PREFERENCES)).json()["email_generation_failed"] is True


async def test_the_profile_form_turns_the_mail_off_and_on(app: RunningApp) -> None:
    owner = await app.new_user("form@example.com")
    page = await owner.open_form("/profile")
    assert 'name="generation_failed_mail" value="each" checked' in page.text

    response = await owner.post_form(
        "/profile/notifications", {"generation_failed_mail": "off"}, form=page
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/profile?done=notifications")
    assert (await owner.get(PREFERENCES)).json()["email_generation_failed"] is False
    page = await owner.open_form("/profile?done=notifications")
    assert "Your notification settings are saved." in page.text
    assert 'name="generation_failed_mail" value="off" checked' in page.text

    response = await owner.post_form(
        "/profile/notifications", {"generation_failed_mail": "each"}, form=page
    )
    assert response.status_code == 303
    assert (await owner.get(PREFERENCES)).json()["email_generation_failed"] is True


# --- F6: failure statistics ----------------------------------------------------------------


async def test_admins_see_failures_by_category_and_the_current_rate(
    app: RunningApp, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("stats@example.com")
    await failed_generation(owner, voice_id)

    response = await admin.get(STATS)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["window"], body["bucket"]) == ("24h", "hour")
    assert len(body["buckets"]) == 25
    assert body["failed"] >= 1
    assert body["categories"][0] == "quota"
    assert body["buckets"][-1]["by_category"]["quota"] >= 1
    current = body["current"]
    assert current["window_minutes"] == 15
    assert (current["threshold"], current["min_attempts"]) == (0.2, 20)
    assert current["failed"] == current["finished"] >= 1
    assert current["over_threshold"] is False  # fewer than 20 attempts

    week = (await admin.get(STATS, params={"window": "7d"})).json()
    assert (week["bucket"], len(week["buckets"])) == ("day", 8)
    assert_problem(await admin.get(STATS, params={"window": "30d"}), 400)


async def test_the_admin_api_is_for_admins_only(app: RunningApp) -> None:
    user = await app.new_user("curious@example.com")
    for path in (STATS, AUDIT):
        assert_problem(await app.anonymous.get(path), 401)
        assert_problem(await user.get(path), 403)


# --- O11: the audit log ----------------------------------------------------------------------


async def test_an_admin_retry_over_http_is_in_the_audit_log(
    app: RunningApp, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("audited@example.com")
    generation_id = await failed_generation(owner, voice_id)

    retried = await admin.post(
        f"/api/v1/admin/generations/{generation_id}/retry",
        headers={"X-Forwarded-For": "203.0.113.50"},  # from an untrusted peer: ignored
    )
    assert retried.status_code == 200, retried.text

    response = await admin.get(AUDIT, params={"action": "generation.retry"})
    assert response.status_code == 200, response.text
    [entry] = [e for e in response.json()["items"] if e["target_id"] == generation_id]
    assert entry["actor"] == "root@example.com"
    assert entry["actor_id"] == str(admin.user.id if admin.user else "")
    assert entry["target_type"] == "generation"
    assert entry["details"]["failure"] == "quota/quota_exceeded"
    assert entry["ip"] not in ("", "203.0.113.50")
    await wait_until_finished(owner, generation_id)  # the retry fails again: quota


async def test_voice_changes_are_audited_and_the_log_pages_and_filters(
    app: RunningApp, admin: Agent
) -> None:
    created = await admin.post(
        "/api/v1/voices", json={"name": "Nora", "provider_voice_id": "en-gb", "published": False}
    )
    assert created.status_code == 201, created.text
    voice = created.json()["id"]
    assert (await admin.patch(f"/api/v1/voices/{voice}", json={"priority": 5})).status_code == 200
    removed = await admin.delete(f"/api/v1/voices/{voice}")
    assert (removed.status_code, removed.json()["outcome"]) == (200, "deleted")

    first = (await admin.get(AUDIT, params={"action": "voice", "limit": 2})).json()
    assert [e["action"] for e in first["items"]] == ["voice.delete", "voice.update"]
    assert first["next_cursor"]
    rest = (
        await admin.get(
            AUDIT, params={"action": "voice", "limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [e["action"] for e in rest["items"]] == ["voice.create"]
    assert rest["next_cursor"] is None
    assert rest["items"][0]["details"] == {"name": "Nora", "published": False}

    mine = (await admin.get(AUDIT, params={"actor": "root@example.com"})).json()["items"]
    assert {e["actor"] for e in mine} == {"root@example.com"}
    assert (await admin.get(AUDIT, params={"actor": "nobody@example.com"})).json()["items"] == []
    assert_problem(
        await admin.get(AUDIT, params={"action": "voice.%"}), 422, "invalid_audit_action"
    )
    assert_problem(await admin.get(AUDIT, params={"cursor": "garbage"}), 422, "invalid_cursor")
    assert_problem(await admin.get(AUDIT, params={"limit": 0}), 400)


# --- the /admin page -----------------------------------------------------------------------


async def test_the_admin_page_shows_rate_chart_failures_and_audit(
    app: RunningApp, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("page@example.com")
    generation_id = await failed_generation(owner, voice_id)
    await admin.post(f"/api/v1/admin/generations/{generation_id}/cancel")  # 409: already failed

    page = await admin.get("/admin", headers=BROWSER)
    assert page.status_code == 200, page.text
    assert is_html(page)
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert "Failure rate now" in text
    assert 'class="seg cat-quota"' in text  # a bar of the chart
    assert f'href="/admin/generations/{generation_id}"' in text  # its recovery page
    assert 'href="/admin/generations?status=failed"' in text
    assert "<code>generation.retry</code>" in text or "<code>voice.create</code>" in text
    # The chart needs no script: the only one is the phone's menu, on every signed-in page.
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/menu.js">']
    assert "[&#39;" not in text
    assert "{&#39;" not in text
    assert 'href="/admin"' in text  # the nav link admins get

    week = await admin.get("/admin", params={"window": "7d"}, headers=BROWSER)
    assert week.status_code == 200
    assert 'aria-current="page">Last 7 days' in week.text
    filtered = await admin.get("/admin", params={"action": "user.lock"}, headers=BROWSER)
    assert "No admin action matches these filters." in filtered.text
    bad = await admin.get("/admin", params={"action": "%%"}, headers=BROWSER)
    assert bad.status_code == 200
    assert 'role="alert"' in bad.text


async def test_the_admin_page_sends_others_away(app: RunningApp) -> None:
    response = await app.anonymous.get("/admin", headers=BROWSER)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/signin")
    user = await app.new_user("nosy@example.com")
    response = await user.get("/admin", headers=BROWSER)
    assert response.status_code == 403
    assert "/admin" not in (await user.get("/profile", headers=BROWSER)).text
