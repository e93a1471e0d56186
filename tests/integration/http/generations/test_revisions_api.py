"""Edit and regenerate (G3) and the admins' edit-and-requeue (F3) through the real app,
on SQLite and on PostgreSQL (in-process worker, local storage).

The speech provider is the only stand-in: it speaks a fake MP3 of the text, can be
held (to look at the page while a new version is being made) and refuses any text
with "REFUSE" in it for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from typer.testing import CliRunner

from tests.integration.failed_generations import make_generations
from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    audio_sources,
    running_app,
    wait_until_finished,
)
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.voices.voice import Voice
from voiceqr.entrypoints.cli import app as cli
from voiceqr.settings import Auth, Database, Settings, load

FIRST = "The east wing is closed today."
SECOND = "The east wing is open again."
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"


class HoldableSynth:
    provider = "espeak"
    max_text_length = 200

    def __init__(self) -> None:
        self.hold = False

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        # A plain flag: the test flips it from its own thread and event loop, where an
        # asyncio.Event of the app's loop cannot be set.
        while self.hold:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if "REFUSE" in text:
            raise SpeechError(
                "The speech service refused this text.",
                category=ErrorCategory.VALIDATION,
                code="text_refused",
                retryable=False,
            )
        return SpeechResult(audio_of(text, voice), characters_billed=len(text))


def audio_of(text: str, voice: Voice | str) -> bytes:
    name = voice if isinstance(voice, str) else voice.name
    return f"ID3\x04fake-mp3:{name}:{text}".encode()


@pytest_asyncio.fixture
async def env(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[RunningApp, HoldableSynth]]:
    settings = Settings(
        data_dir=str(tmp_path),
        database=Database(url=database_url),
        auth=Auth(sign_in_per_minute=10_000, emails_per_hour=10_000),
    )
    synth = HoldableSynth()
    async with running_app(settings, speech={"espeak": synth}) as running:
        platform = running.platform
        if not platform.embedded:  # the embedded platform seeds itself on start
            running.call(platform.voices.seed, platform.default_voices)
        yield running, synth


async def voices(app: RunningApp) -> list[dict[str, Any]]:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    listed: list[dict[str, Any]] = response.json()
    assert len(listed) >= 2
    return listed


async def made(agent: Agent, voice_id: str, text: str = FIRST) -> dict[str, Any]:
    response = await agent.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
    assert response.status_code == 202, response.text
    return await wait_until_finished(agent, response.json()["id"])


async def fetch(agent: Agent, url: str) -> bytes:
    response = await agent.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content


async def test_an_edit_plays_at_the_same_code_once_made_and_the_old_audio_meanwhile(
    env: tuple[RunningApp, HoldableSynth],
) -> None:
    app, synth = env
    owner = await app.new_user("owner@example.com")
    alex, bea = (await voices(app))[:2]
    first = await made(owner, alex["id"])
    assert first["status"] == "completed", first
    gid, code = first["id"], first["public_code"]
    qr_before = await fetch(owner, first["qr_svg_url"])
    old_audio = first["audio_url"]

    synth.hold = True
    try:
        edited = await owner.patch(
            f"/api/v1/generations/{gid}", json={"text": SECOND, "voice_id": bea["id"]}
        )
        assert edited.status_code == 202, edited.text
        body = edited.json()
        assert (body["id"], body["public_code"], body["revision"], body["live_revision"]) == (
            gid,
            code,
            2,
            1,
        )
        assert body["status"] in ("pending", "processing")
        assert (body["text"], body["voice_id"], body["audio_url"]) == (
            SECOND,
            bea["id"],
            old_audio,
        )
        # Meanwhile the printed code plays the first audio with its own text.
        page = await app.anonymous.get(f"/p/{code}")
        assert page.status_code == 200
        assert audio_sources(page.text) == [old_audio]
        assert FIRST in page.text
        assert SECOND not in page.text
        assert await fetch(app.anonymous, old_audio) == audio_of(FIRST, alex["name"])
        # A second edit while this one is made is refused.
        busy = await owner.patch(f"/api/v1/generations/{gid}", json={"text": "Third."})
        assert_problem(busy, 409, "generation_busy")
        listed = (await owner.get(f"/api/v1/generations/{gid}/revisions")).json()
        assert [(r["number"], r["live"]) for r in listed] == [(2, False), (1, True)]
        assert listed[0]["status"] in ("pending", "processing")
        assert listed[0]["audio_url"] is None
        owner_page = await owner.get(f"/generations/{gid}")
        assert "the current audio keeps playing" in owner_page.text
    finally:
        synth.hold = False

    done = await wait_until_finished(owner, gid)
    assert done["status"] == "completed", done
    assert (done["public_code"], done["revision"], done["live_revision"]) == (code, 2, 2)
    assert done["audio_url"] != old_audio
    assert await fetch(app.anonymous, done["audio_url"]) == audio_of(SECOND, bea["name"])
    page = await app.anonymous.get(f"/p/{code}")
    assert audio_sources(page.text) == [done["audio_url"]]
    assert SECOND in page.text
    assert f"Read by {bea['name']}" in page.text
    assert await fetch(owner, done["qr_svg_url"]) == qr_before  # the printed code still works

    listed = (await owner.get(f"/api/v1/generations/{gid}/revisions")).json()
    assert [(r["number"], r["text"], r["status"], r["live"]) for r in listed] == [
        (2, SECOND, "completed", True),
        (1, FIRST, "completed", False),
    ]
    assert [r["voice_name"] for r in listed] == [bea["name"], alex["name"]]
    assert listed[1]["audio_url"] == old_audio
    assert await fetch(owner, old_audio) == audio_of(FIRST, alex["name"])  # kept

    # Deleting removes the audio of every version.
    assert (await owner.delete(f"/api/v1/generations/{gid}")).status_code == 204
    for url in (old_audio, done["audio_url"]):
        assert (await app.anonymous.get(url)).status_code == 404


async def test_bad_edits_and_other_users_are_refused_and_nothing_is_written(
    env: tuple[RunningApp, HoldableSynth],
) -> None:
    app, _ = env
    owner = await app.new_user("owner@example.com")
    stranger = await app.new_user("stranger@example.com")
    alex = (await voices(app))[0]
    gid = (await made(owner, alex["id"]))["id"]
    url = f"/api/v1/generations/{gid}"

    assert_problem(await owner.patch(url, json={}), 422, "nothing_to_change")
    assert_problem(await owner.patch(url, json={"text": FIRST}), 422, "nothing_changed")
    assert_problem(await owner.patch(url, json={"text": "  "}), 422, "text_blank")
    assert_problem(await owner.patch(url, json={"text": "x" * 201}), 422, "text_too_long")
    assert_problem(await owner.patch(url, json={"voice_id": NO_SUCH_ID}), 422, "unknown_voice")
    assert_problem(await owner.patch(url, json={"voice_id": "not-a-uuid"}), 400)
    assert_problem(await owner.patch(url, json={"text": SECOND, "colour": "red"}), 400)
    assert_problem(
        await owner.patch(url, content=b"{", headers={"content-type": "application/json"}), 400
    )

    assert_problem(await stranger.patch(url, json={"text": SECOND}), 404, "generation_not_found")
    assert_problem(await stranger.get(f"{url}/revisions"), 404, "generation_not_found")
    assert_problem(
        await owner.patch(f"/api/v1/generations/{NO_SUCH_ID}", json={"text": SECOND}), 404
    )
    assert (await app.anonymous.patch(url, json={"text": SECOND})).status_code == 401

    after = (await owner.get(url)).json()
    assert (after["text"], after["revision"], after["status"]) == (FIRST, 1, "completed")
    listed = (await owner.get(f"{url}/revisions")).json()
    assert [r["number"] for r in listed] == [1]


async def test_the_edit_form_makes_a_new_version_and_explains_a_refusal(
    env: tuple[RunningApp, HoldableSynth],
) -> None:
    app, _ = env
    owner = await app.new_user("owner@example.com")
    stranger = await app.new_user("stranger@example.com")
    alex, bea = (await voices(app))[:2]
    gid = (await made(owner, alex["id"]))["id"]
    page, action = f"/generations/{gid}", f"/generations/{gid}/edit"

    form = await owner.open_form(page)
    assert 'id="edit-form"' in form.text
    assert "Versions" not in form.text  # one version: no list yet
    refused = await owner.post_form(action, {"text": " ", "voice_id": alex["id"]}, form=form)
    assert refused.status_code == 422
    assert "Type some text to speak." in refused.text
    assert "Save folder and tags" in refused.text  # the page is whole again
    refused = await owner.post_form(action, {"text": SECOND, "voice_id": "x"}, form=form)
    assert refused.status_code == 422
    assert SECOND in refused.text  # what was typed is kept

    done = await owner.post_form(action, {"text": SECOND, "voice_id": bea["id"]}, form=form)
    assert done.status_code == 303
    assert done.headers["location"] == page
    body = await wait_until_finished(owner, gid)
    assert (body["status"], body["text"], body["revision"]) == ("completed", SECOND, 2)
    shown = await owner.get(page)
    assert "Version 2" in shown.text
    assert "Playing at the QR code" in shown.text
    assert audio_sources(shown.text).count(body["audio_url"]) == 2  # the player and version 2

    # Another user's generation: not found, and nothing changes.
    theirs = await stranger.open_form("/generations/new")
    refused = await stranger.post_form(
        action, {"text": "Mine now", "voice_id": alex["id"]}, form=theirs
    )
    assert refused.status_code == 404
    assert (await owner.get(f"/api/v1/generations/{gid}")).json()["revision"] == 2


async def test_an_admin_corrects_a_failed_generation_and_requeues_it(
    env: tuple[RunningApp, HoldableSynth],
) -> None:
    app, _ = env
    owner = await app.new_user("owner@example.com")
    admin = await app.new_user("root@example.com", role=Role.ADMIN)
    alex = (await voices(app))[0]
    failed = await made(owner, alex["id"], text="Please REFUSE this.")
    assert failed["status"] == "failed", failed
    gid = failed["id"]
    url = f"/api/v1/admin/generations/{gid}"

    assert (await owner.patch(url, json={"text": SECOND})).status_code == 403
    assert_problem(await admin.patch(url, json={}), 422, "nothing_to_change")
    requeued = await admin.patch(url, json={"text": SECOND})
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["revision"] == 2
    done = await wait_until_finished(owner, gid)
    assert (done["status"], done["text"]) == ("completed", SECOND)
    # Only a failed generation: this one is made now.
    assert_problem(await admin.patch(url, json={"text": "Again."}), 409)
    history = (await admin.get(url)).json()["history"]
    assert [(a["outcome"], a["revision"]) for a in history] == [("failed", 1), ("completed", 2)]


def test_an_operator_edits_and_requeues_a_failed_generation_from_the_cli(tmp_path: Path) -> None:
    env = {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    failed, pending = make_generations(env)

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["generations", "edit", *args], env=env)
        return result.exit_code, result.output

    code, out = invoke(str(failed), "--text", "Hello again", "--voice", "not a voice")
    assert code == 2, out
    assert "No published voice" in out
    code, out = invoke(str(failed))
    assert code == 2, out
    assert "--text" in out
    code, out = invoke(str(pending), "--text", "Hello again")
    assert code == 4, out  # only a failed generation
    assert invoke(NO_SUCH_ID, "--text", "Hello again")[0] == 3

    code, out = invoke(str(failed), "--text", "Hello again")
    assert code == 0, out
    assert f"requeued {failed} as revision 2" in out

    async def stored() -> Any:
        database = SqlUnitOfWorkFactory(create_engine(load(env).database_url))
        try:
            async with database() as uow:
                return await uow.generations.get(failed), await uow.generation_revisions.list_for(
                    failed
                )
        finally:
            await database.dispose()

    generation, revisions = asyncio.run(stored())
    assert (generation.text, generation.revision, str(generation.status)) == (
        "Hello again",
        2,
        "pending",
    )
    assert [(r.number, r.text) for r in revisions] == [(2, "Hello again"), (1, "Hello")]
