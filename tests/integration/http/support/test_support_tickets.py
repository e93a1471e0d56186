"""Support tickets on the real app (embedded: SQLite, the in-process worker): a user
opens one from a failed generation and it carries the error; staff reply (mailed) and
note (never shown, never mailed), change and retry; nobody reaches another's ticket,
and plain users never reach the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    embedded_app,
    wait_until_finished,
)
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.voices.voice import Voice

pytestmark = pytest.mark.asyncio(loop_scope="module")

TICKETS = "/api/v1/support/tickets"
QUEUE = "/api/v1/admin/support/tickets"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


FAILS = "Room 4 of the museum"


class QuotaGoneForOneText:
    """Speaks (the gallery's samples too) except `FAILS`: its quota is used up, for good."""

    provider = "espeak"
    max_text_length = 5000

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        if text == FAILS:
            raise SpeechError(
                "The speech quota is used up.",
                category=ErrorCategory.QUOTA,
                code="quota_exceeded",
                retryable=False,
            )
        return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(
        tmp_path_factory.mktemp("voiceqr-support"), speech={"espeak": QuotaGoneForOneText()}
    ) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(app: RunningApp) -> Agent:
    return await app.new_user("help@example.com", role=Role.SUPPORT)


def mails(app: RunningApp, to: str) -> list[OutboxMessage]:
    async def read() -> list[OutboxMessage]:
        async with app.uow() as uow:
            return await uow.outbox.list(status=None, limit=10_000)

    return [m for m in app.call(read) if m.to == to and m.kind == "ticket_reply"]


async def failed_generation(user: Agent) -> str:
    voices = (await user.get("/api/v1/voices")).json()
    response = await user.post(
        "/api/v1/generations", json={"text": FAILS, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    generation_id = str(response.json()["id"])
    assert (await wait_until_finished(user, generation_id))["status"] == "failed"
    return generation_id


async def open_ticket(user: Agent, subject: str = "Help", **extra: Any) -> str:
    response = await user.post(TICKETS, json={"subject": subject, "message": "Hi", **extra})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_user_opens_a_ticket_from_a_failed_generation_and_it_carries_the_error(
    app: RunningApp, agent: Agent
) -> None:
    user = await app.new_user("failing@example.com")
    generation_id = await failed_generation(user)
    page = await user.open_form(f"/generations/{generation_id}")
    assert f'href="/support/new?generation={generation_id}"' in page.text

    form = await user.open_form(f"/support/new?generation={generation_id}")
    assert "could not be made" in form.text
    opened = await user.post_form(
        "/support/new",
        {"subject": "No audio", "message": "It failed twice.", "generation_id": generation_id},
        form=form,
        headers={"User-Agent": PHONE},
    )
    assert opened.status_code == 303, opened.text
    ticket_url = opened.headers["location"].split("?")[0]
    shown = await user.get(ticket_url, headers=BROWSER)
    assert shown.status_code == 200
    assert "It failed twice." in shown.text
    tid = ticket_url.rsplit("/", 1)[1]

    mine = (await user.get(f"{TICKETS}/{tid}")).json()
    assert (mine["generation_id"], mine["error_category"], mine["error_code"]) == (
        generation_id,
        "quota",
        "quota_exceeded",
    )
    staff_view = (await agent.get(f"{QUEUE}/{tid}")).json()
    assert staff_view["browser"] == "Chrome on Android"
    assert staff_view["voice_name"]
    assert staff_view["requester_email"] == "failing@example.com"
    queue_page = await agent.get("/admin/support?generation=yes", headers=BROWSER)
    assert queue_page.status_code == 200
    assert f'href="/admin/support/{tid}"' in queue_page.text


async def test_a_staff_reply_is_mailed_and_an_internal_note_is_neither_shown_nor_mailed(
    app: RunningApp, agent: Agent
) -> None:
    user = await app.new_user("asker@example.com")
    tid = await open_ticket(user, "Where is my code?")
    page = await agent.open_form(f"/admin/support/{tid}")
    noted = await agent.post_form(
        f"/admin/support/{tid}/note", {"message": "Staff eyes only"}, form=page
    )
    assert noted.status_code == 303, noted.text
    assert mails(app, "asker@example.com") == []
    replied = await agent.post_form(
        f"/admin/support/{tid}/reply", {"message": "It is in your history."}, form=page
    )
    assert replied.status_code == 303, replied.text

    [mail] = mails(app, "asker@example.com")
    assert mail.subject == "Re: Where is my code?"
    assert "It is in your history." in mail.text
    assert f"/support/{tid}" in mail.text
    for response in (
        await user.get(f"/support/{tid}", headers=BROWSER),
        await user.get(f"{TICKETS}/{tid}"),
    ):
        assert "It is in your history." in response.text
        assert "Staff eyes only" not in response.text
    assert (await user.get(f"{TICKETS}/{tid}")).json()["status"] == "waiting"
    staff_view = (await agent.get(f"{QUEUE}/{tid}")).json()
    assert [m["internal"] for m in staff_view["messages"]] == [False, True, False]
    assert staff_view["seconds_to_first_reply"] is not None

    answered = await user.post(f"{TICKETS}/{tid}/messages", json={"message": "Found it!"})
    assert answered.status_code == 201
    assert answered.json()["status"] == "open"


async def test_the_help_page_lists_the_users_tickets_newest_first_with_a_new_ticket_form(
    app: RunningApp, agent: Agent
) -> None:
    user = await app.new_user("lister@example.com")
    empty = await user.get("/support", headers=BROWSER)
    assert "You have not opened a ticket yet." in empty.text
    assert 'action="/support/new"' in empty.text
    assert "/admin/support" not in empty.text
    older = await open_ticket(user, "Older question")
    newer = await open_ticket(user, "Newer question")
    listed = await user.get("/support", headers=BROWSER)
    assert listed.text.index(newer) < listed.text.index(older)
    assert [t["id"] for t in (await user.get(TICKETS)).json()["items"]] == [newer, older]
    assert 'href="/admin/support"' in (await agent.get("/support", headers=BROWSER)).text


async def test_another_users_ticket_is_not_found(app: RunningApp) -> None:
    owner = await app.new_user("owner-t@example.com")
    stranger = await app.new_user("stranger-t@example.com")
    tid = await open_ticket(owner, "Private matter")
    assert (await stranger.get(f"{TICKETS}/{tid}")).status_code == 404
    assert (await stranger.get(f"/support/{tid}", headers=BROWSER)).status_code == 404
    reply = await stranger.post(f"{TICKETS}/{tid}/messages", json={"message": "hi"})
    assert_problem(reply, 404, "ticket_not_found")
    assert "Private matter" not in (await stranger.get(TICKETS)).text
    generation = await failed_generation(owner)
    stolen = await stranger.post(
        TICKETS, json={"subject": "x", "message": "y", "generation_id": generation}
    )
    assert stolen.status_code == 404


@pytest.mark.parametrize(
    ("role", "status"), [(Role.USER, 403), (Role.MODERATOR, 403), (Role.SUPPORT, 200)]
)
async def test_only_support_and_admins_reach_the_queue(
    app: RunningApp, role: Role, status: int
) -> None:
    someone = await app.new_user(f"{role}-queue@example.com", role=role)
    assert (await someone.get(QUEUE)).status_code == status
    assert (await someone.get("/admin/support", headers=BROWSER)).status_code == status
    tid = await open_ticket(someone, "Mine")
    assert (await someone.get(f"/admin/support/{tid}", headers=BROWSER)).status_code == status
    change = await someone.patch(f"{QUEUE}/{tid}", json={"priority": "high", "reason": "x"})
    assert change.status_code == status


async def test_bad_input_is_refused_with_what_was_wrong(app: RunningApp, agent: Agent) -> None:
    user = await app.new_user("typo@example.com")
    form = await user.open_form("/support/new")
    refused = await user.post_form(
        "/support/new", {"subject": "  ", "message": "text kept"}, form=form
    )
    assert refused.status_code == 422
    assert "text kept" in refused.text
    assert (await user.get(TICKETS)).json()["items"] == []
    assert (await user.post(TICKETS, json={"subject": "x"})).status_code == 400
    assert (await user.post(TICKETS, json={"subject": "x", "message": " "})).status_code == 422
    bad_filter = await agent.get(QUEUE, params={"status": "lost"})
    assert_problem(bad_filter, 422, "unknown_filter")
    tid = await open_ticket(user)
    no_reason = await agent.patch(f"{QUEUE}/{tid}", json={"priority": "high", "reason": ""})
    assert_problem(no_reason, 422, "reason_required")
    closed = await agent.post(f"{QUEUE}/{tid}/close", json={"reason": "duplicate"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    too_late = await user.post(f"{TICKETS}/{tid}/messages", json={"message": "wait"})
    assert_problem(too_late, 409, "ticket_closed")
    page = await user.get(f"/support/{tid}", headers=BROWSER)
    assert "This ticket is closed" in page.text


async def test_staff_retry_the_generation_from_its_ticket_in_one_step(
    app: RunningApp, agent: Agent
) -> None:
    user = await app.new_user("retry-t@example.com")
    generation_id = await failed_generation(user)
    tid = await open_ticket(user, "Retry please", generation_id=generation_id)
    page = await agent.open_form(f"/admin/support/{tid}")
    assert 'id="retry-form"' in page.text
    retried = await agent.post_form(
        f"/admin/support/{tid}/retry", {"reason": "quota topped up"}, form=page
    )
    assert retried.status_code == 303, retried.text
    audit = await app.new_user("auditor-t@example.com", role=Role.ADMIN)
    log = (await audit.get("/api/v1/admin/audit", params={"limit": 200})).json()["items"]
    actions = {(e["action"], e["target_id"]) for e in log if e["actor"] == "help@example.com"}
    assert ("generation.retry", generation_id) in actions
    assert ("ticket.retry_generation", tid) in actions
    staff_view = (await agent.get(f"{QUEUE}/{tid}")).json()
    assert any(m["internal"] and "quota topped up" in m["body"] for m in staff_view["messages"])
    no_generation = await open_ticket(user, "Plain")
    refused = await agent.post(f"{QUEUE}/{no_generation}/retry-generation", json={"reason": "x"})
    assert_problem(refused, 409, "no_generation")


async def test_staff_change_a_ticket_on_its_page_with_a_reason_and_close_it_apart(
    app: RunningApp, agent: Agent
) -> None:
    user = await app.new_user("changes@example.com")
    tid = await open_ticket(user, "Change me")
    canned = await agent.get(f"/admin/support/{tid}?canned=0", headers=BROWSER)
    assert "We tried your generation again" in canned.text
    page = await agent.open_form(f"/admin/support/{tid}")
    fields = {"status": "resolved", "priority": "urgent", "assignee_email": "help@example.com"}
    refused = await agent.post_form(f"/admin/support/{tid}/change", fields, form=page)
    assert refused.status_code == 422
    assert "Give a reason" in refused.text
    assert (await agent.get(f"{QUEUE}/{tid}")).json()["status"] == "open"
    changed = await agent.post_form(
        f"/admin/support/{tid}/change", {**fields, "reason": "Paying customer"}, form=page
    )
    assert changed.status_code == 303, changed.text
    after = (await agent.get(f"{QUEUE}/{tid}")).json()
    assert (after["status"], after["priority"], after["assignee_email"]) == (
        "resolved",
        "urgent",
        "help@example.com",
    )
    assert after["seconds_to_resolution"] is not None
    mine = await agent.get("/admin/support?assignee=me&status=resolved", headers=BROWSER)
    assert f'href="/admin/support/{tid}"' in mine.text
    unknown = await agent.get("/admin/support?status=lost", headers=BROWSER)
    assert unknown.status_code == 400
    assert "Pick the status" in unknown.text

    page = await agent.open_form(f"/admin/support/{tid}")
    assert "Closing is final" in page.text
    closed = await agent.post_form(f"/admin/support/{tid}/close", {"reason": "done"}, form=page)
    assert closed.status_code == 303
    shown = await agent.get(f"/admin/support/{tid}", headers=BROWSER)
    assert "This ticket is closed" in shown.text
    assert 'id="reply-form"' not in shown.text
    again = await agent.patch(f"{QUEUE}/{tid}", json={"priority": "low", "reason": "x"})
    assert_problem(again, 409, "ticket_closed")
