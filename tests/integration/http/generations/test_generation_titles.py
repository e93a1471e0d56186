"""Titles of generations, long texts on the create form, and the History page's words and
date filter, through the real embedded app (SQLite, local storage, espeak, in-process
worker)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    ESPEAK_MAX_CHARS,
    Agent,
    RunningApp,
    Visitor,
    assert_problem,
    embedded_app,
    is_html,
    wait_until_finished,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOUR = "Welcome to the east wing. The paintings here were made between 1890 and 1910."
TOUR_TITLE = "Welcome to the east wing. The paintings here were made…"
# A disguised entry of the shipped English list (block).
BLOCKED_TITLE = "k i l l   y o u r s e l f"
KOLKATA = "Asia%2FKolkata"  # as browser_zone.js writes the cookie


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-titles")) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    return str((await app.anonymous.get("/api/v1/voices")).json()[0]["id"])


async def made(agent: Agent, voice_id: str, text: str, **extra: Any) -> dict[str, Any]:
    body = {"text": text, "voice_id": voice_id, **extra}
    response = await agent.post("/api/v1/generations", json=body)
    assert response.status_code == 202, response.text
    return await wait_until_finished(agent, str(response.json()["id"]))


# --- the API ---------------------------------------------------------------------------------


async def test_a_generation_asked_for_with_a_title_carries_it(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("titled@example.com")
    done = await made(agent, voice_id, TOUR, title="  East   wing ")
    assert (done["title"], done["titled"]) == ("East wing", True)


async def test_without_a_title_the_first_words_of_the_text_are_its_title(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("untitled@example.com")
    done = await made(agent, voice_id, TOUR)
    assert (done["title"], done["titled"]) == (TOUR_TITLE, False)


@pytest.mark.parametrize(
    ("title", "status", "code"),
    [
        ("t" * 101, 422, "title_too_long"),
        ("line\nbreak", 422, "control_characters"),
        (42, 400, None),
    ],
    ids=["too-long", "two-lines", "not-text"],
)
async def test_a_bad_title_is_refused_and_nothing_is_made(
    app: RunningApp, voice_id: str, title: object, status: int, code: str | None
) -> None:
    agent = await app.new_user(f"bad-title-{status}-{code}-{type(title).__name__}@example.com")
    assert agent.user is not None
    response = await agent.post(
        "/api/v1/generations", json={"text": TOUR, "voice_id": voice_id, "title": title}
    )
    assert_problem(response, status, code)
    assert app.count_generations(agent.user.id) == 0


async def test_a_title_alone_renames_without_making_the_audio_again(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("renamer@example.com")
    done = await made(agent, voice_id, TOUR)

    response = await agent.patch(f"/api/v1/generations/{done['id']}", json={"title": "Wing"})

    assert response.status_code == 202, response.text
    renamed = response.json()
    assert (renamed["title"], renamed["revision"], renamed["status"]) == ("Wing", 1, "completed")
    assert renamed["audio_url"] == done["audio_url"]
    back = await agent.patch(f"/api/v1/generations/{done['id']}", json={"title": None})
    assert (back.json()["title"], back.json()["titled"]) == (TOUR_TITLE, False)


async def test_renaming_a_title_too_long_or_someone_elses_generation_is_refused(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("rename-owner@example.com")
    other = await app.new_user("rename-other@example.com")
    done = await made(owner, voice_id, TOUR, title="Mine")
    url = f"/api/v1/generations/{done['id']}"

    assert_problem(await owner.patch(url, json={"title": "x" * 101}), 422, "title_too_long")
    assert_problem(await other.patch(url, json={"title": "Theirs"}), 404, "generation_not_found")
    assert (await owner.get(url)).json()["title"] == "Mine"


async def test_a_title_with_blocked_words_is_refused_and_nothing_is_made(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("blocked-title@example.com")
    assert agent.user is not None

    refused = assert_problem(
        await agent.post(
            "/api/v1/generations",
            json={"text": TOUR, "voice_id": voice_id, "title": BLOCKED_TITLE},
        ),
        422,
        "text_not_allowed",
    )
    assert "list" not in refused["detail"].lower()
    form = await agent.submit(
        "/generations/new",
        "/generations",
        {"text": TOUR, "voice_id": voice_id, "title": BLOCKED_TITLE},
    )
    assert form.status_code == 422
    assert is_html(form)
    assert "This title cannot be used" in form.text
    assert app.count_generations(agent.user.id) == 0


async def test_renaming_to_a_title_with_blocked_words_is_refused_and_the_title_kept(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("blocked-rename@example.com")
    done = await made(agent, voice_id, TOUR, title="East wing")
    url = f"/api/v1/generations/{done['id']}"

    assert_problem(await agent.patch(url, json={"title": BLOCKED_TITLE}), 422, "text_not_allowed")
    assert_problem(
        await agent.patch(url, json={"text": "The west wing.", "title": BLOCKED_TITLE}),
        422,
        "text_not_allowed",
    )
    page = f"/generations/{done['id']}"
    form = await agent.submit(page, f"{page}/title", {"title": BLOCKED_TITLE})
    assert form.status_code == 422
    assert 'id="title-error"' in form.text
    # A title the filter would hold shows at once on an existing code: refused as well.
    held = await agent.patch(url, json={"title": "Crypto giveaway"})
    assert_problem(held, 422, "title_needs_review")
    assert "review" in held.json()["detail"]

    kept = (await agent.get(url)).json()
    assert (kept["title"], kept["text"], kept["revision"]) == ("East wing", TOUR, 1)


async def test_history_search_finds_a_generation_by_its_title(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("title-search@example.com")
    done = await made(agent, voice_id, TOUR, title="Lighthouse")
    await made(agent, voice_id, "Nothing to see here.")

    found = await agent.get("/api/v1/generations", params={"q": "lightho"})
    assert [g["id"] for g in found.json()["items"]] == [done["id"]]
    history = await agent.get("/generations", params={"q": "lighthouse"}, headers=BROWSER)
    assert 'class="history-title">Lighthouse</a>' in history.text
    assert "Nothing to see here." not in history.text


async def test_the_archive_names_files_after_the_title_and_lists_it(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("titled-zip@example.com")
    await made(agent, voice_id, TOUR, title="Salle d'été")

    response = await agent.get("/api/v1/generations/export.zip")

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    audio = [n for n in archive.namelist() if n.startswith("audio/")]
    assert len(audio) == 1
    assert re.fullmatch(r"audio/\d{8}-\d{6}-salle-d-ete-[A-Za-z0-9_-]+\.mp3", audio[0])
    assert "Salle d'été" in archive.read("index.csv").decode()


# --- the pages -------------------------------------------------------------------------------


async def test_the_title_names_the_generation_page_and_its_history_line(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("titled-pages@example.com")
    done = await made(agent, voice_id, TOUR, title="East wing")

    page = await agent.get(f"/generations/{done['id']}", headers=BROWSER)
    assert "<title>East wing · voiceqr</title>" in page.text
    assert '<h1 id="title">East wing</h1>' in page.text
    assert re.search(r'Made <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>', page.text)

    history = await agent.get("/generations", headers=BROWSER)
    assert 'class="history-title">East wing</a>' in history.text
    assert '<span class="status status-completed">Ready</span>' in history.text
    assert "0 scans · 0 listens" in history.text


async def test_the_generation_page_shows_when_it_was_made_in_the_readers_time_zone(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("tokyo@example.com")
    done = await made(agent, voice_id, TOUR)
    response = await agent.patch("/api/v1/me/preferences", json={"time_zone": "Asia/Tokyo"})
    assert response.status_code == 200, response.text

    page = await agent.get(f"/generations/{done['id']}", headers=BROWSER)

    made_at = datetime.fromisoformat(str(done["created_at"])).astimezone(UTC)
    tokyo = (made_at + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
    assert f"{tokyo} Asia/Tokyo</time>" in page.text


async def test_without_a_profile_zone_the_generation_page_uses_the_browsers_zone(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("kolkata@example.com")
    assert agent.token is not None
    done = await made(agent, voice_id, TOUR)
    browser = Visitor(agent.client, cookies={"voiceqr_session": agent.token, "voiceqr_tz": KOLKATA})

    page = await browser.get(f"/generations/{done['id']}", headers=BROWSER)

    made_at = datetime.fromisoformat(str(done["created_at"])).astimezone(UTC)
    kolkata = (made_at + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M")
    assert "Made <time datetime=" in page.text
    assert f"{kolkata} Asia/Kolkata</time>" in page.text


async def test_the_rename_form_renames_and_explains_a_title_too_long(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("rename-form@example.com")
    done = await made(agent, voice_id, TOUR)
    page = f"/generations/{done['id']}"

    response = await agent.submit(page, f"{page}/title", {"title": "Room 4"})
    assert (response.status_code, response.headers["location"]) == (303, page)
    assert '<h1 id="title">Room 4</h1>' in (await agent.get(page, headers=BROWSER)).text

    refused = await agent.submit(page, f"{page}/title", {"title": "y" * 120})
    assert refused.status_code == 422
    assert is_html(refused)
    assert 'id="title-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "y" * 120 in refused.text  # what was typed is kept to be shortened
    assert (await agent.get(f"/api/v1/generations/{done['id']}")).json()["title"] == "Room 4"


async def test_a_text_too_long_is_kept_whole_and_the_form_says_how_much_to_remove(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("long-paste@example.com")
    assert agent.user is not None
    pasted = "word " * (ESPEAK_MAX_CHARS // 5) + "and a little more"
    over = len(pasted.strip()) - ESPEAK_MAX_CHARS

    response = await agent.submit(
        "/generations/new", "/generations", {"text": pasted, "voice_id": voice_id, "title": "Long"}
    )

    assert response.status_code == 422
    assert f"remove {over} to make it fit" in response.text
    assert f"remove {over} characters." in response.text  # the counter says it too
    assert f">{pasted}</textarea>" in response.text  # kept whole, not cut to the limit
    assert 'value="Long"' in response.text
    assert "maxlength" not in response.text.split('id="text"')[1].split(">")[0]
    assert app.count_generations(agent.user.id) == 0


async def test_the_history_date_filter_takes_plain_days_both_ends_included(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("dates@example.com")
    await made(agent, voice_id, TOUR, title="Today's")
    today = datetime.now(UTC).date()

    def shown(page: str) -> bool:
        return 'class="history-title">Today&#39;s</a>' in page

    same_day = {"created_from": today.isoformat(), "created_to": today.isoformat()}
    assert shown((await agent.get("/generations", params=same_day, headers=BROWSER)).text)
    tomorrow = {"created_from": (today + timedelta(days=1)).isoformat()}
    later = await agent.get("/generations", params=tomorrow, headers=BROWSER)
    assert not shown(later.text)
    assert f'value="{tomorrow["created_from"]}"' in later.text  # the filter stays on the page
    ignored = await agent.get("/generations", params={"created_to": "not a day"}, headers=BROWSER)
    assert shown(ignored.text)
    backwards = {"created_from": today.isoformat(), "created_to": str(date(2000, 1, 1))}
    wrong = await agent.get("/generations", params=backwards, headers=BROWSER)
    assert 'id="search-error"' in wrong.text


async def test_acting_on_every_match_keeps_to_the_days_of_the_filter(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("dates-batch@example.com")
    done = await made(agent, voice_id, TOUR)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    history = await agent.open_form("/generations")

    response = await agent.post_form(
        "/generations/batch",
        {
            "action": "tag",
            "tags": "later",
            "everything": "1",
            "filter_created_from": tomorrow,
        },
        form=history,
    )

    assert response.status_code == 303
    assert "count=0" in response.headers["location"]
    assert f"created_from={tomorrow}" in response.headers["location"]
    assert (await agent.get(f"/api/v1/generations/{done['id']}")).json()["tags"] == []
