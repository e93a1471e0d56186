"""Content moderation on the real app (embedded: SQLite, the in-process worker): a
visitor reports a code with no account, a moderator quarantines it (451, the audio
not served), the owner appeals on the generation page, the moderator reverses it and
the code plays again; bad input is refused with nothing written; reports are rate
limited; plain users and support staff reach no moderation route."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from itertools import count

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    audio_sources,
    csrf_token,
    embedded_app,
    wait_until_finished,
)
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.mail.outbox import OutboxMessage

pytestmark = pytest.mark.asyncio(loop_scope="module")

ITEMS = "/api/v1/admin/moderation/items"


def mails(app: RunningApp, to: str) -> list[OutboxMessage]:
    async def read() -> list[OutboxMessage]:
        async with app.uow() as uow:
            return await uow.outbox.list(status=None, limit=100_000)

    return [m for m in app.call(read) if m.to == to]


_visitors = count()


def a_phone() -> dict[str, str]:
    """A different phone each time: reports are limited per visitor."""
    return {"User-Agent": f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) test/{next(_visitors)}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-moderation")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def moderator(app: RunningApp) -> Agent:
    return await app.new_user("mo@example.com", role=Role.MODERATOR)


async def a_code(owner: Agent, text: str = "Welcome to room 4") -> tuple[str, str]:
    """(generation id, public code) of a completed generation of `owner`."""
    voices = (await owner.get("/api/v1/voices")).json()
    made = await owner.post("/api/v1/generations", json={"text": text, "voice_id": voices[0]["id"]})
    assert made.status_code == 202, made.text
    generation_id = str(made.json()["id"])
    finished = await wait_until_finished(owner, generation_id)
    assert finished["status"] == "completed"
    return generation_id, str(finished["public_code"])


async def report(app: RunningApp, code: str, **body: str) -> int:
    response = await app.anonymous.post(
        f"/api/v1/playback/{code}/report",
        json={"reason": "violence", **body},
        headers=a_phone(),
    )
    return response.status_code


async def test_a_reported_code_is_quarantined_appealed_and_restored(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-q@example.com")
    generation_id, code = await a_code(owner)
    visitor = app.anonymous
    shown = await visitor.get(f"/p/{code}", headers=BROWSER)
    assert f'href="/p/{code}/report"' in shown.text
    (audio,) = audio_sources(shown.text)

    form = await visitor.open_form(f"/p/{code}/report")
    sent = await visitor.post_form(
        f"/p/{code}/report",
        {"reason": "violence", "note": "a threat", "email": "rea@example.com"},
        form=form,
        headers=a_phone(),
    )
    assert sent.status_code == 200, sent.text
    assert "Your report reached our moderators" in sent.text
    assert await report(app, code, note="same here") == 201

    items = (await moderator.get(ITEMS)).json()["items"]
    (item,) = [i for i in items if i["generation_id"] == generation_id]
    assert item["reports"] == 2
    queue = await moderator.get("/admin/moderation", headers=BROWSER)
    assert f'href="/admin/moderation/{generation_id}"' in queue.text

    decided = await moderator.post(
        f"{ITEMS}/{generation_id}",
        json={"kind": "quarantine", "reason": "A threat", "category": "violence"},
    )
    assert decided.status_code == 200, decided.text
    withheld = await visitor.get(f"/p/{code}", headers=BROWSER)
    assert withheld.status_code == 451
    assert "This audio is not available" in withheld.text
    assert "<audio" not in withheld.text
    assert (await visitor.get(audio)).status_code == 451
    assert (await visitor.post(f"/api/v1/playback/{code}/listen")).status_code == 451

    mine = await owner.open_form(f"/generations/{generation_id}")
    assert "withheld from the public" in mine.text
    appealed = await owner.post_form(
        f"/generations/{generation_id}/appeal", {"message": "It is a line of a play."}, form=mine
    )
    assert appealed.status_code == 303, appealed.text
    again = await owner.post_form(
        f"/generations/{generation_id}/appeal", {"message": "Again"}, form=mine
    )
    assert again.status_code == 409
    view = (await moderator.get(f"{ITEMS}/{generation_id}")).json()
    assert view["appealed"] is True
    assert view["appeals"] == ["It is a line of a play."]

    page = await moderator.open_form(f"/admin/moderation/{generation_id}")
    assert 'preload="none"' in page.text
    reversed_ = await moderator.post_form(
        f"/admin/moderation/{generation_id}/decide",
        {"kind": "reverse", "reason": "A quote from a play"},
        form=page,
    )
    assert reversed_.status_code == 303, reversed_.text
    assert (await visitor.get(f"/p/{code}", headers=BROWSER)).status_code == 200
    assert (await visitor.get(audio)).status_code == 200
    kinds = [
        d["kind"] for d in (await moderator.get(f"{ITEMS}/{generation_id}")).json()["decisions"]
    ]
    assert kinds == ["quarantine", "reverse"]


async def test_a_deleted_code_answers_gone(app: RunningApp, moderator: Agent) -> None:
    owner = await app.new_user("owner-d@example.com")
    generation_id, code = await a_code(owner, "Call me at home")
    deleted = await moderator.post(
        f"{ITEMS}/{generation_id}",
        json={"kind": "delete", "reason": "A private phone number", "category": "personal_data"},
    )
    assert deleted.status_code == 200, deleted.text
    gone = await app.anonymous.get(f"/p/{code}", headers=BROWSER)
    assert gone.status_code == 410
    assert "This audio was removed" in gone.text


async def test_bad_reports_and_decisions_are_refused_and_nothing_is_written(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-b@example.com")
    generation_id, code = await a_code(owner, "Nothing wrong here")
    assert await report(app, code, reason="rude") == 400
    assert await report(app, code, email="not an email") == 422
    assert await report(app, "nosuchcode9") == 404
    no_reason = await moderator.post(f"{ITEMS}/{generation_id}", json={"kind": "quarantine"})
    assert no_reason.status_code == 400
    blank = await moderator.post(
        f"{ITEMS}/{generation_id}", json={"kind": "quarantine", "reason": " "}
    )
    assert_problem(blank, 422, "reason_required")
    no_category = await moderator.post(
        f"{ITEMS}/{generation_id}", json={"kind": "quarantine", "reason": "bad"}
    )
    assert_problem(no_category, 422, "reason_code_required")
    not_allowed = await moderator.post(
        f"{ITEMS}/{generation_id}", json={"kind": "reverse", "reason": "nothing to reverse"}
    )
    assert not_allowed.status_code == 409
    view = (await moderator.get(f"{ITEMS}/{generation_id}")).json()
    assert (view["reports"], view["decisions"], view["state"]) == (0, [], "none")
    assert (await app.anonymous.get(f"/p/{code}", headers=BROWSER)).status_code == 200


async def test_reports_cannot_flood_the_queue(app: RunningApp) -> None:
    owner = await app.new_user("owner-r@example.com")
    _, code = await a_code(owner, "Flood me")
    same_phone = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) flooder"}
    statuses = [
        (
            await app.anonymous.post(
                f"/api/v1/playback/{code}/report", json={"reason": "spam"}, headers=same_phone
            )
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [201] * 5 + [429]
    refused = await app.anonymous.post(
        f"/api/v1/playback/{code}/report", json={"reason": "spam"}, headers=same_phone
    )
    assert refused.headers["retry-after"] == "3600"


async def test_a_plain_user_and_support_staff_reach_no_moderation_route(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-p@example.com")
    generation_id, _ = await a_code(owner, "Mine")
    helper = await app.new_user("help-m@example.com", role=Role.SUPPORT)
    decision = {"kind": "quarantine", "reason": "x", "category": "spam"}
    for who in (owner, helper):
        assert (await who.get(ITEMS)).status_code == 403
        assert (await who.get(f"{ITEMS}/{generation_id}")).status_code == 403
        assert (await who.post(f"{ITEMS}/{generation_id}", json=decision)).status_code == 403
        for page in ("/admin/moderation", f"/admin/moderation/{generation_id}"):
            assert (await who.get(page, headers=BROWSER)).status_code == 403
    assert (await app.anonymous.get(ITEMS)).status_code == 401
    view = (await moderator.get(f"{ITEMS}/{generation_id}")).json()
    assert view["decisions"] == []


async def test_the_transparency_page_counts_decisions_without_names(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-t@example.com")
    generation_id, code = await a_code(owner, "Spam spam spam")
    await moderator.post(
        f"{ITEMS}/{generation_id}",
        json={"kind": "quarantine", "reason": "Spam", "category": "spam"},
    )
    page = await app.anonymous.get("/transparency", headers=BROWSER)
    assert page.status_code == 200
    assert "Spam or scam" in page.text
    assert "owner-t@example.com" not in page.text
    assert code not in page.text


async def test_moderators_search_all_generations_and_hear_withheld_audio(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-s@example.com")
    generation_id, _ = await a_code(owner, "Secret garden tour at noon")
    found = await moderator.get(
        "/admin/moderation/generations?q=secret+gard&owner=OWNER-S", headers=BROWSER
    )
    assert found.status_code == 200
    assert f'href="/admin/moderation/{generation_id}"' in found.text
    assert 'preload="none"' in found.text
    (audio,) = audio_sources(found.text)
    bad = await moderator.get("/admin/moderation/generations?since=yesterday", headers=BROWSER)
    assert bad.status_code == 400
    await moderator.post(
        f"{ITEMS}/{generation_id}",
        json={"kind": "quarantine", "reason": "Checking", "category": "other"},
    )
    heard = await moderator.get(audio)
    assert heard.status_code == 200
    assert heard.headers["cache-control"] == "no-store"
    assert (await owner.get(audio)).status_code == 451
    assert (await app.anonymous.get(audio)).status_code == 451
    owner_id = (await owner.get("/api/v1/me")).json()["id"]
    assert f'href="/admin/users/{owner_id}"' in found.text
    assert (await moderator.get(f"/admin/users/{owner_id}", headers=BROWSER)).status_code == 200


async def test_a_ban_is_confirmed_with_its_counts_then_signs_the_owner_out_and_withholds_all(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-ban@example.com")
    first, first_code = await a_code(owner, "Threat one")
    _, second_code = await a_code(owner, "Threat two")
    page = await moderator.open_form(f"/admin/moderation/{first}")
    ban = {"kind": "ban_owner", "reason": "Repeated threats", "category": "violence"}
    confirm = await moderator.post_form(
        f"/admin/moderation/{first}/decide", {**ban, "sanction": "ban"}, form=page
    )
    assert confirm.status_code == 200, confirm.text
    assert 'id="ban-codes">2<' in confirm.text
    assert 'id="ban-sessions">1<' in confirm.text
    assert (await owner.get("/api/v1/me")).status_code == 200  # nothing done yet
    done = await moderator.post_form(
        f"/admin/moderation/{first}/decide",
        {**ban, "sanction": "ban", "confirmed": "yes"},
        form=confirm,
    )
    assert done.status_code == 303, done.text
    assert (await owner.get("/api/v1/me")).status_code == 401
    for code in (first_code, second_code):
        assert (await app.anonymous.get(f"/p/{code}", headers=BROWSER)).status_code == 451
    (decision,) = (await moderator.get(f"{ITEMS}/{first}")).json()["decisions"]
    assert (decision["sanction"], decision["codes_quarantined"]) == ("ban", 2)
    no_sanction = await moderator.post_form(f"/admin/moderation/{first}/decide", ban, form=page)
    assert no_sanction.status_code == 422

    # Signed out for good, the owner reads the decision and appeals from the mailed link.
    [told] = [m for m in mails(app, "owner-ban@example.com") if m.kind == "moderation_decision"]
    found = re.search(r"https?://[^/\s]+(/appeal/[\w.-]+)", told.text)
    assert found is not None, told.text
    visitor = app.anonymous
    appeal_page = await visitor.open_form(found.group(1))
    assert "Repeated threats" in appeal_page.text
    assert 'id="appeal-form"' in appeal_page.text
    empty = await visitor.post_form(found.group(1), {"message": " "}, form=appeal_page)
    assert empty.status_code == 422
    sent = await visitor.post_form(
        found.group(1), {"message": "I quoted a film."}, form=appeal_page
    )
    assert sent.status_code == 303, sent.text
    after = await visitor.get(found.group(1), headers=BROWSER)
    assert 'id="appeal-status"' in after.text
    assert 'id="appeal-form"' not in after.text  # once
    forged = await visitor.get(found.group(1)[:-3] + "xyz", headers=BROWSER)
    assert forged.status_code == 404
    item = (await moderator.get(f"{ITEMS}/{first}")).json()
    assert item["appeals"] == ["I quoted a film."]


async def test_moderators_claim_note_and_decide_ticked_items_at_once(
    app: RunningApp, moderator: Agent
) -> None:
    owner = await app.new_user("owner-bulk@example.com")
    first, first_code = await a_code(owner, "Bulk one")
    second, second_code = await a_code(owner, "Bulk two")
    for code in (first_code, second_code):
        assert await report(app, code, reason="spam") == 201
    page = await moderator.open_form(f"/admin/moderation/{first}")
    claimed = await moderator.post_form(f"/admin/moderation/{first}/claim", {}, form=page)
    assert claimed.status_code == 303
    noted = await moderator.post_form(
        f"/admin/moderation/{first}/note", {"note": "Same sender as last week"}, form=page
    )
    assert noted.status_code == 303
    empty = await moderator.post_form(f"/admin/moderation/{first}/note", {"note": ""}, form=page)
    assert empty.status_code == 422
    view = (await moderator.get(f"{ITEMS}/{first}")).json()
    assert view["claimed"] is True
    assert view["notes"] == ["Same sender as last week"]

    queue = await moderator.open_form("/admin/moderation")
    refused = await moderator.post_form(
        "/admin/moderation/bulk", {"ids": first, "kind": "quarantine", "reason": ""}, form=queue
    )
    assert refused.status_code == 422
    bulk = await moderator.post(
        "/admin/moderation/bulk",
        data={
            "ids": [first, second],
            "kind": "dismiss",
            "reason": "Not spam",
            "_csrf_token": csrf_token(queue.text),
        },
        headers=BROWSER,
    )
    assert bulk.status_code == 303, bulk.text
    assert "2+decided" in bulk.headers["location"]
    for generation_id in (first, second):
        state = (await moderator.get(f"{ITEMS}/{generation_id}")).json()
        assert state["decisions"][0]["kind"] == "dismiss"


async def test_the_report_form_explains_a_missing_category_and_the_rate_limit(
    app: RunningApp,
) -> None:
    owner = await app.new_user("owner-form@example.com")
    _, code = await a_code(owner, "Form me")
    visitor = app.anonymous
    form = await visitor.open_form(f"/p/{code}/report")
    phone = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) form-flooder"}
    missing = await visitor.post_form(f"/p/{code}/report", {"note": "hm"}, form=form, headers=phone)
    assert missing.status_code == 422
    assert "Choose a reason" in missing.text
    statuses = [
        (
            await visitor.post_form(
                f"/p/{code}/report", {"reason": "other"}, form=form, headers=phone
            )
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    limited = await visitor.post_form(
        f"/p/{code}/report", {"reason": "other"}, form=form, headers=phone
    )
    assert limited.headers["retry-after"] == "3600"
    assert "Too many attempts" in limited.text
