"""The admins' recovery pages (F3) on the real app: /admin/generations lists failed
generations with filters and retries the ticked ones; /admin/generations/{id} shows the
attempts with their technical detail and retries, cancels, or edits and requeues.

Embedded platform (SQLite, in-process worker); the speech provider fails the texts it
is told to, with the category it is told, and a technical detail with markup in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    CSRF_FIELD,
    Agent,
    RunningApp,
    csrf_token,
    due_tomorrow,
    is_html,
    running_app,
    wait_until_finished,
)
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice
from voiceqr.settings import Auth, Jobs, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

DETAIL = 'HTTP 401 {"status": "quota_exceeded"} <b>raw provider body</b>'
DETAIL_ESCAPED = "&lt;b&gt;raw provider body&lt;/b&gt;"
AUDIT = "/api/v1/admin/audit"


class BrokenSynth:
    """Speaks every text except those in `broken`, which fail (not retryable) with the
    category given there and a technical detail."""

    provider = "espeak"
    max_text_length = 5000

    def __init__(self) -> None:
        self.broken: dict[str, ErrorCategory] = {}

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        category = self.broken.get(text)
        if category is not None:
            raise SpeechError(
                f"The speech service refused this ({category}).",
                category=category,
                code=f"{category}_refused",
                retryable=False,
                detail=DETAIL,
            )
        return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[RunningApp, BrokenSynth]]:
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("voiceqr-admin-pages")),
        auth=Auth(sign_in_per_minute=10_000, emails_per_hour=10_000),
        jobs=Jobs(max_attempts=2, retry_base_seconds=0.0, sweep_interval_seconds=0.2),
    )
    synth = BrokenSynth()
    async with running_app(settings, speech={"espeak": synth}) as app:
        yield app, synth


@pytest.fixture
def app(env: tuple[RunningApp, BrokenSynth]) -> RunningApp:
    return env[0]


@pytest.fixture
def synth(env: tuple[RunningApp, BrokenSynth]) -> BrokenSynth:
    return env[1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(env: tuple[RunningApp, BrokenSynth]) -> Agent:
    return await env[0].new_user("root@example.com", role=Role.ADMIN)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(env: tuple[RunningApp, BrokenSynth]) -> str:
    response = await env[0].anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    return str(response.json()[0]["id"])


async def failed(
    agent: Agent,
    synth: BrokenSynth,
    voice_id: str,
    text: str,
    category: ErrorCategory = ErrorCategory.QUOTA,
) -> str:
    """A generation of `agent` that failed for good with `category`."""
    synth.broken[text] = category
    response = await agent.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
    assert response.status_code == 202, response.text
    generation_id = str(response.json()["id"])
    assert (await wait_until_finished(agent, generation_id))["status"] == "failed"
    return generation_id


def waiting(app: RunningApp, owner: Agent, voice_id: str, text: str) -> str:
    assert owner.user is not None
    generation = due_tomorrow(owner.user.id, UUID(voice_id), text)
    app.insert_generation(generation)
    return str(generation.id)


async def generation(agent: Agent, generation_id: str) -> dict[str, Any]:
    response = await agent.get(f"/api/v1/generations/{generation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def audited(admin: Agent, action: str, generation_id: str) -> list[dict[str, Any]]:
    response = await admin.get(AUDIT, params={"action": action, "limit": 200})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["target_id"] == generation_id]


async def post_form(
    agent: Agent, action: str, data: dict[str, Any], *, form: httpx.Response
) -> httpx.Response:
    """Post like the browser, multi-valued fields (ticked boxes) included."""
    fields = {**data, CSRF_FIELD: csrf_token(form.text)}
    return await agent.post(action, data=fields, headers=BROWSER)


def detail_url(generation_id: str) -> str:
    return f"/admin/generations/{generation_id}"


async def test_the_list_shows_failed_generations_and_filters_them(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("listed@example.com")
    quota = await failed(owner, synth, voice_id, "Listed: the quota ran out.")
    provider = await failed(
        owner, synth, voice_id, "Listed: the provider refused.", ErrorCategory.PROVIDER
    )

    page = await admin.get("/admin/generations", headers=BROWSER)
    assert page.status_code == 200, page.text
    assert is_html(page)
    assert page.headers["cache-control"] == "no-store"
    for generation_id in (quota, provider):
        assert f'href="{detail_url(generation_id)}"' in page.text
        assert f'name="ids" value="{generation_id}"' in page.text
    assert "listed@example.com" in page.text
    assert "<code>quota_refused</code>" in page.text
    assert "The speech service refused this (quota)." in page.text
    assert "Retry selected" in page.text
    assert page.text.index(provider) < page.text.index(quota)  # newest change first
    assert DETAIL_ESCAPED not in page.text  # the technical detail is on the detail page

    only_quota = await admin.get("/admin/generations?category=quota", headers=BROWSER)
    assert quota in only_quota.text
    assert provider not in only_quota.text
    completed = await admin.get("/admin/generations?status=completed", headers=BROWSER)
    assert completed.status_code == 200
    assert quota not in completed.text
    nothing = await admin.get("/admin/generations?category=authentication", headers=BROWSER)
    assert 'id="empty"' in nothing.text
    assert "Retry selected" not in nothing.text

    bad = await admin.get("/admin/generations?status=exploded", headers=BROWSER)
    assert bad.status_code == 400
    assert "Pick a status from the list" in bad.text

    dashboard = await admin.get("/admin", headers=BROWSER)
    assert 'href="/admin/generations?status=failed"' in dashboard.text


async def test_the_detail_page_shows_the_technical_detail_to_admins_only(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("detail@example.com")
    generation_id = await failed(owner, synth, voice_id, "Detail: the quota ran out.")

    page = await admin.get(detail_url(generation_id), headers=BROWSER)
    assert page.status_code == 200, page.text
    assert DETAIL_ESCAPED in page.text
    assert "<b>raw provider body</b>" not in page.text
    assert 'data-number="1"' in page.text  # the attempt history
    assert "detail@example.com" in page.text
    assert 'id="retry-form"' in page.text
    assert 'id="edit-form"' in page.text
    assert 'id="cancel-form"' not in page.text  # a failed one cannot be cancelled

    owners_page = await owner.get(f"/generations/{generation_id}", headers=BROWSER)
    assert owners_page.status_code == 200
    assert "raw provider body" not in owners_page.text
    attempts = await owner.get(f"/api/v1/generations/{generation_id}/attempts")
    assert "raw provider body" not in attempts.text

    missing = await admin.get(detail_url(str(uuid7())), headers=BROWSER)
    assert missing.status_code == 404


async def test_others_are_sent_away_and_cannot_act(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("victim@example.com")
    generation_id = await failed(owner, synth, voice_id, "Others: the quota ran out.")
    pending = waiting(app, owner, voice_id, "Others: waiting until tomorrow.")

    signed_out = await app.anonymous.get("/admin/generations", headers=BROWSER)
    assert signed_out.status_code in (302, 303, 307)
    assert signed_out.headers["location"].startswith("/signin")
    nosy = await app.new_user("nosy-admin-pages@example.com")
    for url in ("/admin/generations", detail_url(generation_id)):
        assert (await nosy.get(url, headers=BROWSER)).status_code == 403, url

    form = await nosy.open_form("/generations/new")  # any page of theirs with a form
    for action, data in (
        (f"{detail_url(generation_id)}/retry", {}),
        (f"{detail_url(pending)}/cancel", {}),
        (f"{detail_url(generation_id)}/edit", {"text": "Hijacked.", "voice_id": voice_id}),
        ("/admin/generations/retry", {"ids": [generation_id]}),
    ):
        response = await post_form(nosy, action, data, form=form)
        assert response.status_code == 403, (action, response.text)
    assert owner.user is not None
    assert (await generation(owner, generation_id))["status"] == "failed"
    assert (await generation(owner, generation_id))["text"] == "Others: the quota ran out."
    assert (await generation(owner, pending))["status"] == "pending"
    for action in ("generation.retry", "generation.edit"):
        assert await audited(admin, action, generation_id) == []
    assert await audited(admin, "generation.cancel", pending) == []


async def test_retry_one_from_its_page(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("retry-one@example.com")
    text = "Retry one: the quota ran out."
    generation_id = await failed(owner, synth, voice_id, text)
    del synth.broken[text]  # the quota is back

    form = await admin.open_form(detail_url(generation_id))
    response = await post_form(admin, f"{detail_url(generation_id)}/retry", {}, form=form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{detail_url(generation_id)}?done=retried"
    assert (await wait_until_finished(owner, generation_id))["status"] == "completed"
    back = await admin.get(response.headers["location"], headers=BROWSER)
    assert 'id="notice"' in back.text
    assert 'data-number="2"' in back.text  # the retry's attempt
    [entry] = await audited(admin, "generation.retry", generation_id)
    assert entry["actor"] == "root@example.com"
    assert entry["ip"]

    # Completed now: a second retry is refused on the page, and nothing is written.
    again = await post_form(admin, f"{detail_url(generation_id)}/retry", {}, form=form)
    assert again.status_code == 409
    assert 'role="alert" id="error"' in again.text
    assert "completed" in again.text
    assert len(await audited(admin, "generation.retry", generation_id)) == 1


async def test_retry_selected_requeues_the_ticked_ones(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("retry-many@example.com")
    texts = ["Retry many: first.", "Retry many: second.", "Retry many: left alone."]
    first, second, untouched = [await failed(owner, synth, voice_id, t) for t in texts]
    del synth.broken[texts[0]], synth.broken[texts[1]]

    form = await admin.open_form("/admin/generations?status=failed&category=quota")
    response = await post_form(
        admin,
        "/admin/generations/retry",
        {"ids": [first, second], "status": "failed", "category": "quota"},
        form=form,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/admin/generations?status=failed&category=quota")
    assert "retried=2" in location
    for generation_id in (first, second):
        assert (await wait_until_finished(owner, generation_id))["status"] == "completed"
        assert len(await audited(admin, "generation.retry", generation_id)) == 1
    assert (await generation(owner, untouched))["status"] == "failed"
    assert await audited(admin, "generation.retry", untouched) == []
    back = await admin.get(location, headers=BROWSER)
    assert "Requeued 2 generations." in back.text

    # Completed ones are skipped and said so; nothing ticked or a mangled id: refused.
    skipped = await post_form(admin, "/admin/generations/retry", {"ids": [first]}, form=form)
    assert skipped.headers["location"] == "/admin/generations?status=failed&retried=0&skipped=1"
    notice = await admin.get(skipped.headers["location"], headers=BROWSER)
    assert "1 could not be retried" in notice.text
    for data in ({}, {"ids": ["not-an-id"]}):
        refused = await post_form(admin, "/admin/generations/retry", data, form=form)
        assert refused.status_code == 422
        assert "Tick the generations to retry first." in refused.text
    assert len(await audited(admin, "generation.retry", first)) == 1


async def test_cancel_asks_first_then_stops_the_generation(
    app: RunningApp, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("cancel@example.com")
    pending = waiting(app, owner, voice_id, "Cancel: waiting until tomorrow.")

    form = await admin.open_form(detail_url(pending))
    assert '<details class="danger" id="cancel">' in form.text
    assert "Yes, cancel it" in form.text
    assert 'id="retry-form"' not in form.text

    response = await post_form(admin, f"{detail_url(pending)}/cancel", {}, form=form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{detail_url(pending)}?done=cancelled"
    body = await generation(owner, pending)
    assert body["status"] == "failed"
    assert body["error"]["code"] == "cancelled_by_admin"
    [entry] = await audited(admin, "generation.cancel", pending)
    assert entry["actor"] == "root@example.com"

    again = await post_form(admin, f"{detail_url(pending)}/cancel", {}, form=form)
    assert again.status_code == 409
    assert 'id="error"' in again.text
    assert len(await audited(admin, "generation.cancel", pending)) == 1


async def test_edit_and_requeue_makes_a_new_version(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    owner = await app.new_user("edit@example.com")
    text = "Edit: a typo the provider refuses."
    generation_id = await failed(owner, synth, voice_id, text)
    edit = f"{detail_url(generation_id)}/edit"
    form = await admin.open_form(detail_url(generation_id))
    assert f">{text}</textarea>" in form.text  # prefilled
    assert f'<option value="{voice_id}" selected>' in form.text

    for data, message in (
        ({"text": "Edit: typed <i>words</i>.", "voice_id": "garbage"}, "Pick a voice."),
        ({"text": text, "voice_id": voice_id}, "Change the text or pick another voice"),
        ({"text": "   ", "voice_id": voice_id}, ""),
    ):
        refused = await post_form(admin, edit, data, form=form)
        assert refused.status_code == 422, (data, refused.text)
        assert 'id="error"' in refused.text
        assert message in refused.text
    typed = await post_form(
        admin, edit, {"text": "Edit: typed <i>words</i>.", "voice_id": "garbage"}, form=form
    )
    assert ">Edit: typed &lt;i&gt;words&lt;/i&gt;.</textarea>" in typed.text  # kept
    body = await generation(owner, generation_id)
    assert (body["status"], body["revision"], body["text"]) == ("failed", 1, text)
    assert await audited(admin, "generation.edit", generation_id) == []

    corrected = "Edit: the corrected text."
    response = await post_form(admin, edit, {"text": corrected, "voice_id": voice_id}, form=form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{detail_url(generation_id)}?done=edited"
    body = await wait_until_finished(owner, generation_id)
    assert (body["status"], body["revision"], body["text"]) == ("completed", 2, corrected)
    [entry] = await audited(admin, "generation.edit", generation_id)
    assert entry["details"]["revision"] == 2
    page = await admin.get(response.headers["location"], headers=BROWSER)
    assert "Saved as a new version" in page.text
    assert 'id="revisions"' in page.text
    assert text in page.text  # both versions
    assert corrected in page.text

    # Completed now: no retry or edit forms, and an edit is refused.
    assert 'id="edit-form"' not in page.text
    late = await post_form(
        admin, edit, {"text": "Edit: too late.", "voice_id": voice_id}, form=form
    )
    assert late.status_code == 409
    assert "Only a failed generation can be edited" in late.text


async def test_one_accounts_generations_from_its_page(
    app: RunningApp, synth: BrokenSynth, admin: Agent, voice_id: str
) -> None:
    mine = await app.new_user("owner-filter@example.com")
    theirs = await app.new_user("someone-else@example.com")
    assert mine.user is not None
    kept = await failed(mine, synth, voice_id, "Owner filter: mine.")
    other = await failed(theirs, synth, voice_id, "Owner filter: theirs.")
    person = await admin.get(f"/admin/users/{mine.user.id}", headers=BROWSER)
    link = f"/admin/generations?status=any&amp;owner={mine.user.id}"
    assert link in person.text
    page = await admin.get(link.replace("&amp;", "&"), headers=BROWSER)
    assert kept in page.text
    assert other not in page.text
    assert 'id="owner-filter"' in page.text
    api = await admin.get(
        "/api/v1/admin/generations", params={"owner": str(mine.user.id), "status": "failed"}
    )
    assert [g["id"] for g in api.json()["items"]] == [kept]
    bad = await admin.get("/admin/generations?owner=nobody", headers=BROWSER)
    assert bad.status_code == 400
