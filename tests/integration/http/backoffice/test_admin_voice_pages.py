"""The staff voice pages on the real app (embedded platform): /admin/voices lists every
voice with playable samples, uses and metadata; a voice is added and edited with a form
(accent, use cases, tags, categories), gets samples from the upload form (which works
without scripts) or by speaking, is published only when it can be heard and spoken, and
deleted after a confirmation that says how many generations use it. Ticked voices are
published, tagged or deleted all or none; voices move up and down without scripts.
Others are sent away, from every page and every form."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

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
    due_tomorrow,
    fetch_audio,
    is_html,
    looks_like_mp3,
)
from voiceqr.domain.voices.voice import USE_CASES

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


async def test_publishing_a_voice_nobody_can_hear_or_speak_is_refused_in_words(
    admin: Agent,
) -> None:
    voice_id = await create_voice(admin, "Unready voice")
    page = await admin.open_form(f"/admin/voices/{voice_id}")

    silent = await admin.post_form(f"/admin/voices/{voice_id}/publish", {}, form=page)

    assert silent.status_code == 422
    assert 'role="alert"' in silent.text
    assert "Cannot publish Unready voice: it has no sample. Nothing was changed." in silent.text

    await upload(admin, voice_id, ("a.wav", audio_files.wav()))
    renamed = await admin.patch(
        f"/api/v1/voices/{voice_id}", json={"provider_voice_id": "xx-nowhere"}
    )
    assert renamed.status_code == 200, renamed.text
    unknown = await admin.post_form(f"/admin/voices/{voice_id}/publish", {}, form=page)
    assert unknown.status_code == 422
    assert "espeak does not know the voice id" in unknown.text
    assert "xx-nowhere" in unknown.text
    assert (await voice_json(admin, voice_id))["published"] is False


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


async def bulk(admin: Agent, action: str, ids: list[str], tag: str = "") -> httpx.Response:
    listing = await admin.open_form("/admin/voices")
    return await admin.post(
        "/admin/voices/bulk",
        data={CSRF_FIELD: csrf_token(listing.text), "action": action, "ids": ids, "tag": tag},
        headers=BROWSER,
    )


async def voice_json(admin: Agent, voice_id: str) -> dict[str, Any]:
    response = await admin.get(f"/api/v1/voices/{voice_id}")
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


async def test_bulk_delete_with_a_confirmation(app: RunningApp, admin: Agent) -> None:
    first, second = await create_voice(admin, "Bulk one"), await create_voice(admin, "Bulk two")
    listing = await admin.open_form("/admin/voices")
    nothing = await admin.post_form("/admin/voices/bulk", {"action": "delete"}, form=listing)
    assert nothing.status_code == 422
    assert "Tick the voices" in nothing.text

    response = await bulk(admin, "delete", [first, second])
    assert response.status_code == 303, response.text
    notice = await admin.get(response.headers["location"], headers=BROWSER)
    assert "Deleted 2 voices." in notice.text
    for voice_id in (first, second):
        assert (await admin.get(f"/api/v1/voices/{voice_id}")).status_code == 404

    third = await create_voice(admin, "Confirmed")
    confirm = await admin.open_form(f"/admin/voices/{third}/delete")
    assert "Delete Confirmed?" in confirm.text
    assert "No generation uses this voice." in confirm.text
    gone = await admin.post_form(f"/admin/voices/{third}/delete", {}, form=confirm)
    assert gone.headers["location"] == "/admin/voices?done=deleted"
    assert (await admin.get(f"/api/v1/voices/{third}")).status_code == 404


async def test_a_refused_bulk_publish_names_the_voice_and_changes_nothing(
    app: RunningApp, admin: Agent
) -> None:
    silent = await create_voice(admin, "Silent Sue")
    heard = await create_voice(admin, "Heard Hal")
    await upload(admin, heard, ("a.wav", audio_files.wav()))

    refused = await bulk(admin, "publish", [heard, silent])

    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert "Cannot publish Silent Sue: it has no sample" in refused.text
    assert "Nothing was changed." in refused.text
    assert f'value="{silent}" form="bulk" checked' in refused.text  # still ticked
    assert (await voice_json(admin, heard))["published"] is False

    published = await bulk(admin, "publish", [heard])
    assert published.headers["location"] == "/admin/voices?done=bulk_publish&n=1"
    assert (await voice_json(admin, heard))["published"] is True


async def test_ticked_voices_are_tagged_and_untagged(admin: Agent) -> None:
    ids = [await create_voice(admin, "Tagged one"), await create_voice(admin, "Tagged two")]

    tagged = await bulk(admin, "tag", ids, tag="  Winter   Sale ")
    assert tagged.status_code == 303, tagged.text
    page = await admin.get(tagged.headers["location"], headers=BROWSER)
    assert "Tag added to 2 voices." in page.text
    assert "tags: winter sale" in page.text
    for voice_id in ids:
        assert (await voice_json(admin, voice_id))["tags"] == ["winter sale"]

    blank = await bulk(admin, "tag", ids, tag=" ")
    assert blank.status_code == 422
    assert "A tag cannot be blank." in blank.text

    untagged = await bulk(admin, "untag", ids[:1], tag="WINTER SALE")
    assert untagged.status_code == 303
    assert (await voice_json(admin, ids[0]))["tags"] == []
    assert (await voice_json(admin, ids[1]))["tags"] == ["winter sale"]


async def test_deleting_a_voice_in_use_unpublishes_it_and_says_so(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    voice_id = await create_voice(admin, "Busy page voice")
    assert alice.user is not None
    for text in ("One", "Two"):
        app.insert_generation(due_tomorrow(alice.user.id, UUID(voice_id), text))

    confirm = await admin.open_form(f"/admin/voices/{voice_id}/delete")
    assert "2 generations use this voice" in confirm.text
    assert "unpublished, not deleted" in confirm.text
    kept = await admin.post_form(f"/admin/voices/{voice_id}/delete", {}, form=confirm)

    assert kept.headers["location"] == f"/admin/voices/{voice_id}?done=kept&uses=2"
    page = await admin.get(kept.headers["location"], headers=BROWSER)
    assert "Not deleted: 2 generations used this voice, so it was unpublished instead" in page.text
    assert (await voice_json(admin, voice_id))["published"] is False
    assert "2 generations" in page.text

    in_bulk = await bulk(admin, "delete", [voice_id, await create_voice(admin, "Idle")])
    assert in_bulk.headers["location"] == "/admin/voices?done=bulk_kept&n=1&kept=1"
    listing = await admin.get(in_bulk.headers["location"], headers=BROWSER)
    assert "Deleted 1 voice; 1 voice unpublished instead" in listing.text
    assert (await admin.get(f"/api/v1/voices/{voice_id}")).status_code == 200


async def test_the_voice_form_edits_every_field_of_the_catalogue(admin: Agent) -> None:
    form = await admin.open_form("/admin/voices/new")
    for use_case in USE_CASES:
        assert f'name="use_cases" value="{use_case}"' in form.text
    created = await admin.post(
        "/admin/voices/new",
        data={
            CSRF_FIELD: csrf_token(form.text),
            "name": "Metadata voice",
            "provider": "espeak",
            "provider_voice_id": "en-gb",
            "type": "female",
            "language": "English",
            "region": "Scotland",
            "accent": "Scottish",
            "age": "young",
            "style": "warm",
            "use_cases": ["museum-guide", "narration"],
            "tags": "Calm, calm ,  Museum Night,",
            "categories": "Heritage",
            "priority": "7",
        },
        headers=BROWSER,
    )
    assert created.status_code == 303, created.text
    voice_id = VOICE_URL.match(created.headers["location"]).group(1)  # type: ignore[union-attr]
    shown = await voice_json(admin, voice_id)
    assert {k: shown[k] for k in ("accent", "region", "use_cases", "tags", "categories")} == {
        "accent": "Scottish",
        "region": "Scotland",
        "use_cases": ["museum-guide", "narration"],
        "tags": ["calm", "museum night"],
        "categories": ["heritage"],
    }
    page = await admin.open_form(f"/admin/voices/{voice_id}")
    assert 'value="calm, museum night"' in page.text
    assert 'value="museum-guide" checked' in page.text
    assert 'value="advertising" checked' not in page.text
    assert 'value="Scottish"' in page.text

    saved = await admin.post(
        f"/admin/voices/{voice_id}",
        data={
            CSRF_FIELD: csrf_token(page.text),
            **{k: shown[k] for k in ("name", "provider", "provider_voice_id", "language")},
            "accent": "Glaswegian",
            "use_cases": ["children"],
            "tags": "",
            "categories": "heritage, Nature",
            "priority": "7",
        },
        headers=BROWSER,
    )
    assert saved.headers["location"] == f"/admin/voices/{voice_id}?done=saved"
    again = await voice_json(admin, voice_id)
    assert (again["accent"], again["use_cases"], again["tags"], again["categories"]) == (
        "Glaswegian",
        ["children"],
        [],
        ["heritage", "nature"],
    )
    assert again["region"] == ""  # left empty in the form: cleared

    unknown = await admin.post(
        f"/admin/voices/{voice_id}",
        data={
            CSRF_FIELD: csrf_token(page.text),
            "name": "Metadata voice",
            "provider": "espeak",
            "provider_voice_id": "en-gb",
            "use_cases": ["lullabies"],
        },
        headers=BROWSER,
    )
    assert unknown.status_code == 422
    assert "Unknown use case" in unknown.text
    assert (await voice_json(admin, voice_id))["use_cases"] == ["children"]


async def test_the_voice_page_shows_who_made_and_changed_it_in_their_time_zone(
    admin: Agent,
) -> None:
    assert admin.user is not None
    zoned = await admin.patch("/api/v1/me/preferences", json={"time_zone": "Asia/Kolkata"})
    assert zoned.status_code == 200, zoned.text
    voice_id = await create_voice(admin, "Historied voice")
    shown = await voice_json(admin, voice_id)

    page = await admin.get(f"/admin/voices/{voice_id}", headers=BROWSER)

    created = datetime.fromisoformat(shown["created_at"]).astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"{created:%Y-%m-%d %H:%M} Asia/Kolkata by {admin.user.name}" in page.text
    assert f"({admin.user.id})" in page.text
    assert "0 generations · 0 listens" in page.text
    await admin.patch("/api/v1/me/preferences", json={"time_zone": None})


async def test_voices_move_up_and_down_without_scripts(admin: Agent) -> None:
    await create_voice(admin, "Mover")
    listing = await admin.open_form("/admin/voices")
    order = [v["id"] for v in (await admin.get("/api/v1/voices")).json()]
    second = order[1]

    moved = await admin.post_form(f"/admin/voices/{second}/move", {"direction": "up"}, form=listing)

    assert moved.headers["location"] == "/admin/voices?done=voice_moved"
    after = [v["id"] for v in (await admin.get("/api/v1/voices")).json()]
    assert after == [second, order[0], *order[2:]]
    at_the_top = await admin.post_form(
        f"/admin/voices/{second}/move", {"direction": "up"}, form=listing
    )
    assert at_the_top.status_code == 303
    assert [v["id"] for v in (await admin.get("/api/v1/voices")).json()] == after


async def test_bad_bulk_and_move_forms_are_refused_in_words(admin: Agent) -> None:
    voice_id = await create_voice(admin, "Steady")
    before = await voice_json(admin, voice_id)

    forged = await bulk(admin, "publish", ["not-a-voice"])
    assert forged.status_code == 400
    assert "Tick voices from the list." in forged.text
    unknown = await bulk(admin, "rename", [voice_id])
    assert unknown.status_code == 422
    assert "Pick what to do with the ticked voices." in unknown.text
    listing = await admin.open_form("/admin/voices")
    sideways = await admin.post_form(
        f"/admin/voices/{voice_id}/move", {"direction": "sideways"}, form=listing
    )
    assert sideways.status_code == 422
    assert "Move it up or down." in sideways.text
    assert await voice_json(admin, voice_id) == before


async def test_plain_users_get_403_and_visitors_are_sent_to_sign_in(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    voice_id = await create_voice(admin, "Guarded")
    await upload(admin, voice_id, ("a.wav", audio_files.wav()))
    sample_id = (await voice_json(admin, voice_id))["samples"][0]["id"]
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

    actions = {
        "/admin/voices/bulk": {"action": "delete", "ids": voice_id},
        "/admin/voices/new": {"name": "Sneaky", "provider_voice_id": "en"},
        f"/admin/voices/{voice_id}": {"name": "Renamed", "provider_voice_id": "en"},
        f"/admin/voices/{voice_id}/move": {"direction": "up"},
        f"/admin/voices/{voice_id}/publish": {},
        f"/admin/voices/{voice_id}/unpublish": {},
        f"/admin/voices/{voice_id}/delete": {},
        f"/admin/voices/{voice_id}/samples/spoken": {"text": "Hello"},
        f"/admin/voices/{voice_id}/samples/{sample_id}/move": {"direction": "down"},
        f"/admin/voices/{voice_id}/samples/{sample_id}/delete": {},
    }
    anonymous = app.anonymous
    form = await alice.open_form("/generations/new")
    visitor_form = await anonymous.open_form("/signin")
    for action, data in actions.items():
        assert (await alice.post_form(action, data, form=form)).status_code == 403, action
        signed_out = await anonymous.post_form(action, data, form=visitor_form)
        assert signed_out.status_code in (302, 303, 307, 401), action
        assert signed_out.headers.get("location", "/signin").startswith("/signin"), action
    sneaky = await alice.post(
        f"/admin/voices/{voice_id}/samples",
        data={CSRF_FIELD: csrf_token(form.text)},
        files=[("files", ("a.wav", audio_files.wav(), "audio/wav"))],
        headers=BROWSER,
    )
    assert sneaky.status_code == 403
    after = await voice_json(admin, voice_id)
    assert (after["name"], len(after["samples"]), after["published"]) == ("Guarded", 1, False)
    assert len(stored_files(app, voice_id)) == 1
    assert "Sneaky" not in (await admin.get("/admin/voices", headers=BROWSER)).text


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
