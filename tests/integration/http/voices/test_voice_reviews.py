"""Ratings and reviews of voices over HTTP: only people who made audio with a voice rate
it, one review each that they alone can edit, listed by first name; moderators hide one
with a reason and it leaves the listing and the average."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http.conftest import TRANSCRIPT
from tests.integration.http_helpers import Agent, RunningApp, assert_problem, wait_until_finished
from voiceqr.domain.accounts.users import Role

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def moderator(app: RunningApp) -> Agent:
    return await app.new_user("moderator@example.com", role=Role.MODERATOR)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(voices: list[dict[str, Any]]) -> str:
    """The voice Alice's completed generation (`spoken`) was made with."""
    return str(voices[0]["id"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bob_spoken(bob: Agent, voice_id: str) -> dict[str, Any]:
    response = await bob.post(
        "/api/v1/generations", json={"text": TRANSCRIPT, "voice_id": voice_id}
    )
    assert response.status_code == 202, response.text
    done = await wait_until_finished(bob, response.json()["id"])
    assert done["status"] == "completed", done
    return done


def review_url(voice_id: str) -> str:
    return f"/api/v1/voices/{voice_id}/review"


async def test_visitors_must_sign_in_to_read_or_write_reviews(
    app: RunningApp, voice_id: str
) -> None:
    visitor = app.anonymous
    assert_problem(await visitor.get(review_url(voice_id)), 401)
    assert_problem(await visitor.request("PUT", review_url(voice_id), json={"rating": 5}), 401)
    assert_problem(await visitor.get(f"/api/v1/voices/{voice_id}/reviews"), 401)


async def test_rating_a_voice_without_having_made_audio_with_it_is_refused(
    carol: Agent, voice_id: str
) -> None:
    body = assert_problem(
        await carol.request("PUT", review_url(voice_id), json={"rating": 5, "text": "Great"}),
        403,
        "voice_not_used",
    )
    assert "made audio with it" in body["detail"]
    assert_problem(await carol.get(review_url(voice_id)), 404, "review_not_found")


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "five", None])
async def test_a_rating_outside_one_to_five_whole_stars_is_a_bad_request(
    alice: Agent, spoken: dict[str, Any], voice_id: str, rating: object
) -> None:
    response = await alice.request("PUT", review_url(voice_id), json={"rating": rating})
    assert_problem(response, 400, "malformed_request")


async def test_review_words_over_the_limit_or_unknown_fields_are_refused(
    alice: Agent, spoken: dict[str, Any], voice_id: str, voices: list[dict[str, Any]]
) -> None:
    too_long = await alice.request(
        "PUT", review_url(voice_id), json={"rating": 4, "text": "a" * 1001}
    )
    assert "1,000" in assert_problem(too_long, 422, "review_too_long")["detail"]
    assert_problem(
        await alice.request("PUT", review_url(voice_id), json={"rating": 4, "stars": 4}), 400
    )
    assert_problem(
        await alice.request("PUT", review_url(voice_id), json={"rating": 4, "text": "a\x00b"}),
        422,
        "control_characters",
    )
    unknown = "00000000-0000-7000-8000-000000000000"
    assert_problem(
        await alice.request("PUT", review_url(unknown), json={"rating": 4}), 404, "voice_not_found"
    )


async def test_writing_a_review_then_writing_again_edits_it(
    alice: Agent, spoken: dict[str, Any], voice_id: str
) -> None:
    first = await alice.request(
        "PUT", review_url(voice_id), json={"rating": 2, "text": "  A bit fast.  "}
    )
    assert first.status_code in (200, 201), first.text  # 201 unless an earlier test wrote one
    second = await alice.request(
        "PUT", review_url(voice_id), json={"rating": 5, "text": "Lovely on a second listen."}
    )
    assert second.status_code == 200, second.text

    mine = (await alice.get(review_url(voice_id))).json()
    assert mine["id"] == first.json()["id"] == second.json()["id"]
    assert (mine["rating"], mine["text"]) == (5, "Lovely on a second listen.")
    assert mine["reviewer"] == "Alice"
    assert mine["created_at"] == first.json()["created_at"]
    assert mine["updated_at"] >= mine["created_at"]
    assert mine["hidden"] is False


async def test_another_persons_review_is_never_changed_by_writing_ones_own(
    alice: Agent, bob: Agent, spoken: dict[str, Any], bob_spoken: dict[str, Any], voice_id: str
) -> None:
    await alice.request("PUT", review_url(voice_id), json={"rating": 5, "text": "Alice's"})
    alices = (await alice.get(review_url(voice_id))).json()

    written = await bob.request("PUT", review_url(voice_id), json={"rating": 1, "text": "Bob's"})
    assert written.status_code in (200, 201), written.text
    again = await bob.request("PUT", review_url(voice_id), json={"rating": 2, "text": "Bob's 2"})

    assert again.json()["id"] != alices["id"]
    assert (await alice.get(review_url(voice_id))).json() == alices
    # No endpoint writes a review by its id except staff's hiding, which Bob cannot use.
    assert_problem(
        await bob.request(
            "PUT",
            f"/api/v1/voices/{voice_id}/reviews/{alices['id']}/hidden",
            json={"hidden": True, "reason": "I disagree"},
        ),
        403,
    )
    assert (await alice.get(review_url(voice_id))).json() == alices


async def test_reviews_are_listed_newest_first_by_first_name_never_email(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    spoken: dict[str, Any],
    bob_spoken: dict[str, Any],
    voice_id: str,
) -> None:
    await alice.request("PUT", review_url(voice_id), json={"rating": 4, "text": "Alice's"})
    await bob.request("PUT", review_url(voice_id), json={"rating": 2, "text": "Bob's"})

    listed = await carol.get(f"/api/v1/voices/{voice_id}/reviews")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert {item["reviewer"] for item in items} >= {"Alice", "Bob"}
    assert "@example.com" not in listed.text
    stamps = [item["created_at"] for item in items]
    assert stamps == sorted(stamps, reverse=True)
    assert all(item["hidden_reason"] is None for item in items)

    page = (await carol.get(f"/api/v1/voices/{voice_id}/reviews", params={"limit": 1})).json()
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    rest = await carol.get(
        f"/api/v1/voices/{voice_id}/reviews", params={"limit": 1, "cursor": page["next_cursor"]}
    )
    assert rest.json()["items"][0]["id"] != page["items"][0]["id"]
    assert_problem(
        await carol.get(f"/api/v1/voices/{voice_id}/reviews", params={"cursor": "nope"}),
        422,
        "invalid_cursor",
    )
    assert_problem(await carol.get(f"/api/v1/voices/{voice_id}/reviews", params={"limit": 0}), 400)


async def test_a_moderator_hides_a_review_and_it_leaves_the_listing_and_the_average(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    moderator: Agent,
    spoken: dict[str, Any],
    bob_spoken: dict[str, Any],
    voice_id: str,
) -> None:
    await alice.request("PUT", review_url(voice_id), json={"rating": 5, "text": "Alice's"})
    await bob.request("PUT", review_url(voice_id), json={"rating": 1, "text": "Rude words"})
    bobs = (await bob.get(review_url(voice_id))).json()
    before = (await carol.get(f"/api/v1/voices/{voice_id}/engagement")).json()
    assert (before["rating_average"], before["rating_count"]) == (3.0, 2)

    hiding = f"/api/v1/voices/{voice_id}/reviews/{bobs['id']}/hidden"
    assert_problem(
        await moderator.request("PUT", hiding, json={"hidden": True, "reason": " "}), 422
    )
    hidden = await moderator.request("PUT", hiding, json={"hidden": True, "reason": "Insults"})
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    assert hidden.json()["hidden_reason"] == "Insults"

    listed = (await carol.get(f"/api/v1/voices/{voice_id}/reviews")).json()["items"]
    assert bobs["id"] not in [item["id"] for item in listed]
    after = (await carol.get(f"/api/v1/voices/{voice_id}/engagement")).json()
    assert (after["rating_average"], after["rating_count"]) == (5.0, 1)
    seen_by_staff = (await moderator.get(f"/api/v1/voices/{voice_id}/reviews")).json()["items"]
    assert [i["hidden"] for i in seen_by_staff if i["id"] == bobs["id"]] == [True]
    # The author still reads their own, marked hidden, without the moderator's note.
    own = (await bob.get(review_url(voice_id))).json()
    assert (own["hidden"], own["hidden_reason"]) == (True, None)

    shown = await moderator.request("PUT", hiding, json={"hidden": False, "reason": "Appealed"})
    assert shown.json()["hidden"] is False
    listed = (await carol.get(f"/api/v1/voices/{voice_id}/reviews")).json()["items"]
    assert bobs["id"] in [item["id"] for item in listed]


async def test_hiding_a_review_needs_the_right_voice_and_is_audited(
    admin: Agent,
    moderator: Agent,
    alice: Agent,
    spoken: dict[str, Any],
    voice_id: str,
    voices: list[dict[str, Any]],
) -> None:
    await alice.request("PUT", review_url(voice_id), json={"rating": 4})
    alices = (await alice.get(review_url(voice_id))).json()
    other_voice = voices[1]["id"]
    assert_problem(
        await moderator.request(
            "PUT",
            f"/api/v1/voices/{other_voice}/reviews/{alices['id']}/hidden",
            json={"hidden": True, "reason": "Spam"},
        ),
        404,
        "review_not_found",
    )
    hidden = await moderator.request(
        "PUT",
        f"/api/v1/voices/{voice_id}/reviews/{alices['id']}/hidden",
        json={"hidden": True, "reason": "Checking the audit"},
    )
    assert hidden.status_code == 200, hidden.text
    log = await admin.get("/api/v1/admin/audit", params={"action": "voice_review"})
    assert log.status_code == 200, log.text
    assert any(
        entry["target_id"] == alices["id"] and entry["actor"] == "moderator@example.com"
        for entry in log.json()["items"]
    ), log.json()
    await moderator.request(
        "PUT",
        f"/api/v1/voices/{voice_id}/reviews/{alices['id']}/hidden",
        json={"hidden": False, "reason": "Done checking"},
    )
