"""The staff voice pages on the real app (embedded platform): /admin/voices lists every
voice with playable samples; a voice is added and edited with a form, gets samples from
the upload form (which works without scripts) or by speaking, is published, and deleted
after a confirmation. Others are sent away."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration import audio_files
from tests.integration.http_helpers import (
    BROWSER,
    CSRF_FIELD,
    Agent,
    RunningApp,
    audio_sources,
    csrf_token,
    fetch_audio,
    is_html,
    looks_like_mp3,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

VOICE_URL = re.compile(r"^/admin/voices/([0-9a-f-]{36})\?done=created$")


async def create_voice(admin: Agent, name: str) -> str:
    form = await admin.open_form("/admin/voices/new")
    response = await admin.post_form(
        "/admin/voices/new",
        {"name": name, "provider": "espeak", "provider_voice_id": "en-us", "priority": "3"},
        form=form,
    )
    assert response.status_code == 303, response.text
    match = VOICE_URL.match(response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def upload(admin: Agent, voice_id: str, *files: tuple[str, bytes]) -> httpx.Response:
    form = await admin.open_form(f"/admin/voices/{voice_id}")
    return await admin.post(
        f"/admin/voices/{voice_id}/samples",
        data={CSRF_FIELD: csrf_token(form.text)},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        headers=BROWSER,
    )


def stored_files(app: RunningApp, voice_id: str) -> list[str]:
    folder = app.platform.settings.data_path / "media" / "samples" / voice_id
    return sorted(p.name for p in folder.glob("*.mp3")) if folder.exists() else []


async def test_the_list_shows_every_voice_with_its_samples_playable(
    app: RunningApp, admin: Agent
) -> None:
    page = await admin.get("/admin/voices", headers=BROWSER)
    assert page.status_code == 200
    assert is_html(page)
    voices = (await admin.get("/api/v1/voices")).json()
    for voice in voices:
        assert f'data-id="{voice["id"]}"' in page.text
    sources = audio_sources(page.text)
    assert len(sources) == sum(len(v["samples"]) for v in voices) > 0
    assert looks_like_mp3(await fetch_audio(app.anonymous, sources[0]))
    assert 'preload="none"' in page.text
    assert 'aria-live="polite"' in page.text


async def test_a_voice_is_added_given_samples_published_and_shown_in_the_list(
    app: RunningApp, admin: Agent
) -> None:
    voice_id = await create_voice(admin, "Page voice")
    refused = await upload(admin, voice_id)  # the form sent with no file chosen
    assert refused.status_code == 422
    assert "Choose at least one audio file" in refused.text

    done = await upload(
        admin, voice_id, ("Calm.wav", audio_files.wav(2.0)), ("b.mp3", audio_files.mp3(1.5))
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/admin/voices/{voice_id}?done=uploaded"
    page = await admin.get(done.headers["location"], headers=BROWSER)
    assert "Samples added." in page.text
    sources = audio_sources(page.text)
    assert len(sources) == 2
    for source in sources:
        assert looks_like_mp3(await fetch_audio(app.anonymous, source))
    assert len(stored_files(app, voice_id)) == 2

    spoken = await admin.post_form(
        f"/admin/voices/{voice_id}/samples/spoken",
        {"text": "Hello from the gallery page.", "label": "Hello"},
        form=page,
    )
    assert spoken.status_code == 303, spoken.text
    published = await admin.post_form(f"/admin/voices/{voice_id}/publish", {}, form=page)
    assert published.headers["location"] == f"/admin/voices/{voice_id}?done=published"
    shown = (await admin.get(f"/api/v1/voices/{voice_id}")).json()
    assert shown["published"] is True
    assert [s["label"] for s in shown["samples"]] == ["Calm", "b", "Hello"]
    listing = await admin.get("/admin/voices", headers=BROWSER)
    assert "Page voice" in listing.text


async def test_bad_files_are_refused_on_the_page_and_nothing_is_stored(
    app: RunningApp, admin: Agent
) -> None:
    voice_id = await create_voice(admin, "Refusing voice")
    for name, data, says in (
        ("notes.mp3", audio_files.TEXT_AS_MP3, "not an MP3, WAV or Ogg"),
        ("long.wav", audio_files.ten_minutes_of_silence(), "more than 60 seconds"),
        ("empty.mp3", b"", "is empty"),
    ):
        response = await upload(admin, voice_id, ("fine.wav", audio_files.wav()), (name, data))
        assert response.status_code == 422, (name, response.status_code)
        assert says in response.text
        assert 'role="alert"' in response.text
    assert stored_files(app, voice_id) == []


async def test_samples_are_moved_and_deleted_without_scripts(app: RunningApp, admin: Agent) -> None:
    voice_id = await create_voice(admin, "Ordered voice")
    await upload(admin, voice_id, ("one.wav", audio_files.wav()), ("two.wav", audio_files.wav()))
    one, two = (await admin.get(f"/api/v1/voices/{voice_id}")).json()["samples"]
    one_id = one["url"].rsplit("/", 1)[-1].removesuffix(".mp3")
    two_id = two["url"].rsplit("/", 1)[-1].removesuffix(".mp3")
    page = await admin.open_form(f"/admin/voices/{voice_id}")

    moved = await admin.post_form(
        f"/admin/voices/{voice_id}/samples/{two_id}/move", {"direction": "up"}, form=page
    )
    assert moved.status_code == 303, moved.text
    labels = [s["label"] for s in (await admin.get(f"/api/v1/voices/{voice_id}")).json()["samples"]]
    assert labels == ["two", "one"]
    deleted = await admin.post_form(
        f"/admin/voices/{voice_id}/samples/{one_id}/delete", {}, form=page
    )
    assert deleted.status_code == 303
    assert stored_files(app, voice_id) == [f"{two_id}.mp3"]


async def test_a_refused_form_keeps_what_was_typed(admin: Agent) -> None:
    form = await admin.open_form("/admin/voices/new")
    response = await admin.post_form(
        "/admin/voices/new",
        {"name": "  ", "provider": "espeak", "provider_voice_id": "en-us", "description": "Kept"},
        form=form,
    )
    assert response.status_code == 422
    assert "A voice needs a name." in response.text
    assert ">Kept</textarea>" in response.text


async def test_bulk_unpublish_and_delete_with_a_confirmation(app: RunningApp, admin: Agent) -> None:
    first, second = await create_voice(admin, "Bulk one"), await create_voice(admin, "Bulk two")
    listing = await admin.open_form("/admin/voices")
    nothing = await admin.post_form("/admin/voices/bulk", {"action": "delete"}, form=listing)
    assert nothing.status_code == 422
    assert "Tick the voices" in nothing.text

    response = await admin.post(
        "/admin/voices/bulk",
        data={CSRF_FIELD: csrf_token(listing.text), "action": "delete", "ids": [first, second]},
        headers=BROWSER,
    )
    assert response.status_code == 303, response.text
    for voice_id in (first, second):
        assert (await admin.get(f"/api/v1/voices/{voice_id}")).status_code == 404

    third = await create_voice(admin, "Confirmed")
    confirm = await admin.open_form(f"/admin/voices/{third}/delete")
    assert "Delete Confirmed?" in confirm.text
    gone = await admin.post_form(f"/admin/voices/{third}/delete", {}, form=confirm)
    assert gone.headers["location"] == "/admin/voices?done=deleted"
    assert (await admin.get(f"/api/v1/voices/{third}")).status_code == 404


async def test_plain_users_get_403_and_visitors_are_sent_to_sign_in(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    voice_id = await create_voice(admin, "Guarded")
    pages = (
        "/admin/voices",
        "/admin/voices/new",
        f"/admin/voices/{voice_id}",
        f"/admin/voices/{voice_id}/delete",
    )
    for url in pages:
        signed_out = await app.anonymous.get(url, headers=BROWSER)
        assert signed_out.status_code in (302, 303, 307), url
        assert signed_out.headers["location"].startswith("/signin")
        assert (await alice.get(url, headers=BROWSER)).status_code == 403, url

    form = await alice.open_form("/generations/new")
    for action in (f"/admin/voices/{voice_id}/delete", f"/admin/voices/{voice_id}/publish"):
        assert (await alice.post_form(action, {}, form=form)).status_code == 403
    sneaky = await alice.post(
        f"/admin/voices/{voice_id}/samples",
        data={CSRF_FIELD: csrf_token(form.text)},
        files=[("files", ("a.wav", audio_files.wav(), "audio/wav"))],
        headers=BROWSER,
    )
    assert sneaky.status_code == 403
    assert (await admin.get(f"/api/v1/voices/{voice_id}")).status_code == 200
    assert stored_files(app, voice_id) == []


async def test_a_form_without_its_csrf_token_is_refused(app: RunningApp, admin: Agent) -> None:
    voice_id = await create_voice(admin, "Forged")
    response = await admin.post(
        f"/admin/voices/{voice_id}/samples",
        files=[("files", ("a.wav", audio_files.wav(), "audio/wav"))],
        headers=BROWSER,
    )
    assert response.status_code == 403
    assert stored_files(app, voice_id) == []


async def test_the_page_script_and_styles_are_served_by_the_app(app: RunningApp) -> None:
    for asset in ("/static/voices_admin.js", "/static/voices_admin.css"):
        response = await app.anonymous.get(asset)
        assert response.status_code == 200, asset
    script = (await app.anonymous.get("/static/voices_admin.js")).text
    assert "dataTransfer" in script
    assert "ArrowUp" in script
