"""The gallery page `/voices`: visitors browse, filters and sorts narrow and order the
cards, bad values come back as a 400 in words, stars are each person's own, staff see
unpublished voices marked; and a voice's page, where those who used it rate it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    audio_sources,
    wait_until_finished,
)
from voiceqr.entrypoints.http.voices import gallery_pages

pytestmark = pytest.mark.asyncio(loop_scope="module")


def card_of(html: str, voice_id: str) -> str:
    """The card of one voice in a page (empty when the page has none)."""
    start = html.find(f'id="voice-{voice_id}"')
    return "" if start < 0 else html[start : html.index("</article>", start)]


def card_names(html: str) -> list[str]:
    return re.findall(r'class="voice-name"><a href="/voices/[0-9a-f-]{36}">([^<]+)</a>', html)


async def gallery(agent: Agent, **query: str) -> str:
    response = await agent.get(f"/voices?{urlencode(query)}", headers=BROWSER)
    assert response.status_code == 200, response.text
    return response.text


async def star_form(agent: Agent, voice_id: str, *, starred: bool) -> None:
    response = await agent.submit(
        "/voices",
        f"/voices/{voice_id}/favorite",
        {"starred": "1" if starred else "", "next": "/voices?sort=recommended"},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/voices?sort=recommended#voice-{voice_id}"


async def test_visitors_browse_every_published_voice_with_its_samples_and_no_star(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    html = await gallery(app.anonymous)

    assert f"{len(voices)} voices" in html
    for voice in voices:
        card = card_of(html, voice["id"])
        assert voice["name"] in card
        assert f'href="/generations/new?voice_id={voice["id"]}"' in card
        assert f'name="voice_ids" value="{voice["id"]}" form="compare-form"' in card
    assert audio_sources(html) == [s["url"] for v in voices for s in v["samples"]]
    assert 'preload="none"' in html
    assert f'aria-label="{voices[0]["name"]}: ' in html  # each player names its voice
    assert "star-form" not in html
    assert "Sign in</a> to star" in html


async def test_filters_and_search_narrow_the_results_and_stay_in_the_form(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    html = await gallery(alice, gender="female")
    women = {v["name"] for v in voices if v["type"] == "female"}
    assert women
    assert set(card_names(html)) == women
    assert '<option value="female" selected>' in html
    assert "Filters (1 active)" in html

    html = await gallery(alice, gender="male", accent="British (RP)")
    assert card_names(html) == [
        v["name"] for v in voices if v["type"] == "male" and v["accent"] == "British (RP)"
    ]
    assert "Filters (2 active)" in html

    html = await gallery(alice, q="received pronunciation")
    assert set(card_names(html)) == {
        v["name"] for v in voices if "received pronunciation" in v["description"].lower()
    }
    assert 'value="received pronunciation"' in html


async def test_sorting_by_name_orders_the_cards_alphabetically(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    html = await gallery(alice, sort="name")
    assert card_names(html) == sorted((v["name"] for v in voices), key=str.casefold)
    assert '<option value="name" selected>' in html


async def test_recommended_for_a_content_type_puts_matching_voices_first(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    html = await gallery(alice, **{"for": "children"})
    names = card_names(html)
    suited = [v["name"] for v in voices if "children" in v["use_cases"]]
    assert suited
    assert names[: len(suited)] == suited


async def test_nothing_matching_says_so_with_a_way_back(alice: Agent) -> None:
    html = await gallery(alice, q="no voice has this in its name")
    assert "0 voices" in html
    assert 'No voice matches: <a href="/voices">clear the filters</a>' in html


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"sort": "loudest"}, "Sort by recommended, popular, newest or name."),
        ({"gender": "robot"}, "There is no gender “robot” in the gallery"),
        ({"for": "opera"}, "Pick the kind of content from the list."),
        ({"q": "a" * 201}, "Search for at most 200 characters."),
    ],
)
async def test_a_value_the_gallery_does_not_know_is_a_400_in_words(
    alice: Agent, query: dict[str, str], words: str
) -> None:
    response = await alice.get(f"/voices?{urlencode(query)}", headers=BROWSER)
    assert response.status_code == 400
    assert words in response.text
    assert "voice-card" not in response.text


async def test_a_star_posted_by_the_form_is_kept_and_is_the_starrers_own(
    alice: Agent, bob: Agent, voices: list[dict[str, Any]]
) -> None:
    last = voices[-1]["id"]
    await star_form(alice, last, starred=True)

    html = await gallery(alice)
    assert 'aria-pressed="true"' in card_of(html, last)
    assert card_names(html)[0] == voices[-1]["name"]  # favorites first when recommended
    assert html.count('aria-pressed="true"') == 1
    bobs = await gallery(bob)
    assert 'aria-pressed="false"' in card_of(bobs, last)
    assert 'aria-pressed="true"' not in bobs

    await star_form(alice, last, starred=False)
    assert 'aria-pressed="false"' in card_of(await gallery(alice), last)


async def test_a_star_for_an_unknown_voice_is_not_found(alice: Agent) -> None:
    unknown = "00000000-0000-7000-8000-000000000000"
    response = await alice.submit("/voices", f"/voices/{unknown}/favorite", {"starred": "1"})
    assert response.status_code == 404


async def test_staff_see_unpublished_voices_marked_and_users_do_not(
    admin: Agent, alice: Agent, unpublished_voice: dict[str, Any]
) -> None:
    card = card_of(await gallery(admin), unpublished_voice["id"])
    assert "Draft voice" in card
    assert '<span class="badge unpublished">Unpublished</span>' in card
    assert card_of(await gallery(alice), unpublished_voice["id"]) == ""
    page = await alice.get(f"/voices/{unpublished_voice['id']}", headers=BROWSER)
    assert page.status_code == 404


async def test_cards_show_uses_listens_and_ratings(
    alice: Agent, spoken: dict[str, Any], voices: list[dict[str, Any]]
) -> None:
    html = await gallery(alice)
    used = card_of(html, spoken["voice_id"])
    assert re.search(r"used [1-9]\d* times? · \d+ listens?", used), used
    assert "used 0 times · 0 listens" in card_of(html, voices[-1]["id"])
    assert "No ratings yet" in card_of(html, voices[-1]["id"])


async def test_the_compare_page_ticks_the_voices_ticked_in_the_gallery(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    picked = [v["id"] for v in voices[:3]]
    query = urlencode([("voice_ids", i) for i in picked])
    page = await alice.get(f"/voices/compare?{query}", headers=BROWSER)
    assert page.status_code == 200
    for voice_id in picked:
        assert f'value="{voice_id}" checked' in page.text
    assert f'value="{voices[3]["id"]}" checked' not in page.text


# --- a voice's page: its reviews, and rating it --------------------------------------


async def test_visitors_see_a_voice_and_are_asked_to_sign_in_for_reviews(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    page = await app.anonymous.get(f"/voices/{voices[0]['id']}", headers=BROWSER)
    assert page.status_code == 200
    assert f'<h1 id="name-{voices[0]["id"]}"' in page.text
    assert "Sign in</a> to read the reviews" in page.text
    assert 'action="/voices/' not in page.text


async def test_rating_without_having_made_audio_is_refused_in_words(
    carol: Agent, voices: list[dict[str, Any]]
) -> None:
    voice_id = voices[0]["id"]
    response = await carol.submit(
        f"/voices/{voice_id}", f"/voices/{voice_id}/review", {"rating": "5", "text": "Great"}
    )
    assert response.status_code == 403
    assert "You can rate a voice once you have made audio with it." in response.text
    assert "Great</textarea>" in response.text  # what was typed is kept
    assert (await carol.get(f"/api/v1/voices/{voice_id}/review")).status_code == 404


async def test_a_user_who_made_audio_rates_then_edits_their_review(
    alice: Agent, bob: Agent, spoken: dict[str, Any]
) -> None:
    voice_id = spoken["voice_id"]
    page = f"/voices/{voice_id}"
    bad = await alice.submit(page, f"{page}/review", {"rating": "9", "text": "Too many"})
    assert bad.status_code == 400
    assert "Pick 1 to 5 stars." in bad.text

    sent = await alice.submit(page, f"{page}/review", {"rating": "4", "text": "Calm and clear."})
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"{page}?saved=1#your-review"
    shown = (await alice.get(f"{page}?saved=1", headers=BROWSER)).text
    assert "Your review is saved." in shown
    assert "Calm and clear." in shown
    assert "4.0 out of 5 (1 rating)" in shown

    edited = await alice.submit(page, f"{page}/review", {"rating": "2", "text": "Too slow."})
    assert edited.status_code == 303
    shown = (await alice.get(page, headers=BROWSER)).text
    assert 'value="2" checked' in shown
    assert "Too slow.</textarea>" in shown
    assert "Calm and clear." not in shown
    assert "2.0 out of 5 (1 rating)" in shown
    # Others read it on the voice's page, with the author's first name only.
    assert "Too slow." in (await bob.get(page, headers=BROWSER)).text
    assert "alice@example.com" not in (await bob.get(page, headers=BROWSER)).text


async def test_an_altered_reviews_cursor_is_refused_in_words(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    page = await alice.get(f"/voices/{voices[0]['id']}?after=not-ours", headers=BROWSER)
    assert page.status_code == 422
    assert "This cursor is not one we gave out" in page.text


async def test_a_text_brought_from_the_create_page_recommends_voices_for_it(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    text = "Once upon a time a teddy and a dragon went to sleep."
    html = await gallery(alice, pick="1", text=text)
    assert "Choose a voice for your audio" in html
    assert "Guess from my text" in html
    assert f'name="text" value="{text}"' in html
    assert 'name="pick" value="1"' in html
    suited = [v["name"] for v in voices if "children" in v["use_cases"]]
    assert suited
    assert card_names(html)[: len(suited)] == suited


async def test_visitors_are_sent_to_sign_in_to_star_or_rate(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    visitor = Agent(app.anonymous.client)
    voice_id = voices[0]["id"]
    for action, data in (("favorite", {"starred": "1"}), ("review", {"rating": "5"})):
        # A visitor has no star or review form: a token from the sign-in form gets past CSRF.
        response = await visitor.submit("/signin", f"/voices/{voice_id}/{action}", data)
        assert response.status_code in (302, 303), response.text
        assert response.headers["location"].startswith("/signin")


async def test_another_users_review_is_never_changed_by_the_form(
    alice: Agent, bob: Agent, spoken: dict[str, Any]
) -> None:
    voice_id = spoken["voice_id"]
    page = f"/voices/{voice_id}"
    assert (await alice.submit(page, f"{page}/review", {"rating": "5"})).status_code == 303
    refused = await bob.submit(page, f"{page}/review", {"rating": "1", "text": "Mine now"})
    assert refused.status_code == 403
    own = await alice.get(f"/api/v1/voices/{voice_id}/review")
    assert own.json()["rating"] == 5


async def test_reviews_come_a_page_at_a_time_newest_first(
    monkeypatch: pytest.MonkeyPatch, alice: Agent, bob: Agent, spoken: dict[str, Any]
) -> None:
    voice_id = spoken["voice_id"]
    page = f"/voices/{voice_id}"
    assert (
        await alice.submit(page, f"{page}/review", {"rating": "5", "text": "First"})
    ).status_code == 303
    made = await bob.post("/api/v1/generations", json={"text": "Hello.", "voice_id": voice_id})
    assert made.status_code == 202, made.text
    assert (await wait_until_finished(bob, made.json()["id"]))["status"] == "completed"
    sent = await bob.submit(page, f"{page}/review", {"rating": "3", "text": "Second"})
    assert sent.status_code == 303, sent.text
    monkeypatch.setattr(gallery_pages, "REVIEWS_PER_PAGE", 1)

    newest = (await alice.get(page, headers=BROWSER)).text
    reviews = newest[newest.index('class="review-list"') :]
    assert "Second" in reviews
    assert "First" not in reviews
    older = re.search(r'href="(/voices/[^"]+\?after=[^"#]+)#reviews">Older reviews', newest)
    assert older, newest
    rest = (await alice.get(older.group(1).replace("&amp;", "&"), headers=BROWSER)).text
    assert "First" in rest[rest.index('class="review-list"') :]
    assert "Newest reviews" in rest


async def test_staff_hide_a_review_with_a_reason_and_show_it_again(
    admin: Agent, alice: Agent, bob: Agent, spoken: dict[str, Any]
) -> None:
    page = f"/voices/{spoken['voice_id']}"
    sent = await alice.submit(page, f"{page}/review", {"rating": "1", "text": "Buy pills here."})
    assert sent.status_code == 303, sent.text
    review_id = (await alice.get(f"/api/v1/voices/{spoken['voice_id']}/review")).json()["id"]
    hiding = f"{page}/reviews/{review_id}/hidden"
    assert f'action="{hiding}"' in (await admin.get(page, headers=BROWSER)).text
    assert "/hidden" not in (await alice.get(page, headers=BROWSER)).text

    refused = await alice.submit(page, hiding, {"hidden": "1", "reason": "mine"})
    assert refused.status_code == 403
    blank = await admin.submit(page, hiding, {"hidden": "1", "reason": " "})
    assert (blank.status_code, "Say why" in blank.text) == (422, True)
    assert "Buy pills here." in (await bob.get(page, headers=BROWSER)).text

    hidden = await admin.submit(page, hiding, {"hidden": "1", "reason": "Spam"})
    assert (hidden.status_code, "The review is hidden." in hidden.text) == (200, True)
    assert "Hidden because: Spam" in hidden.text
    assert "Buy pills here." not in (await bob.get(page, headers=BROWSER)).text

    shown = await admin.submit(page, hiding, {"hidden": "0", "reason": "Appeal upheld"})
    assert (shown.status_code, "The review is shown again." in shown.text) == (200, True)
    assert "Buy pills here." in (await bob.get(page, headers=BROWSER)).text
