"""The moderation automation API on the real app: who may reach it, bad input, the dry
run that writes nothing, and a held generation that is made only once approved."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from tests.integration.http_helpers import Agent, RunningApp, wait_until_finished
from voiceqr.adapters.database.moderation import moderation_flags as flag_table
from voiceqr.adapters.database.operations import audit_events
from voiceqr.domain.accounts.users import Role

pytestmark = pytest.mark.asyncio(loop_scope="module")

RULES = "/api/v1/admin/moderation/rules"
TERMS = "/api/v1/admin/moderation/terms"
HELD = "/api/v1/admin/moderation/held"
SAME_TEXT = {
    "name": "same-text",
    "kind": "same_text",
    "parameters": {"accounts": 2, "window_hours": 1},
    "severity": 2,
    "reason_code": "spam",
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def moderator(app: RunningApp) -> Agent:
    return await app.new_user("mo@example.com", role=Role.MODERATOR)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def support(app: RunningApp) -> Agent:
    return await app.new_user("sue@example.com", role=Role.SUPPORT)


def rows(app: RunningApp, table: Any) -> int:
    async def count() -> int:
        async with app.uow.engine.connect() as connection:
            return int(
                (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            )

    return app.call(count)


async def test_users_and_support_reach_neither_rules_nor_terms(
    alice: Agent, support: Agent
) -> None:
    for agent in (alice, support):
        for path in (RULES, TERMS, HELD):
            assert (await agent.get(path)).status_code == 403
        put_rules = await agent.put(RULES, json={"reason": "x", "rules": [SAME_TEXT]})
        put_terms = await agent.put(TERMS, json={"reason": "x", "terms": []})
        assert (put_rules.status_code, put_terms.status_code) == (403, 403)
        assert (await agent.post(f"{RULES}/same-text/dry-run")).status_code == 403


async def test_moderators_edit_terms_but_only_admins_edit_rules(
    moderator: Agent, admin: Agent
) -> None:
    assert (await moderator.get(RULES)).status_code == 403
    saved = await moderator.put(
        TERMS,
        json={
            "reason": "a scam wave",
            "terms": [
                {"kind": "domain", "text": "scam.example", "action": "block", "reason_code": "spam"}
            ],
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["terms"] == [
        {"kind": "domain", "text": "scam.example", "action": "block", "reason_code": "spam"}
    ]
    assert (await admin.get(RULES)).status_code == 200


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({**SAME_TEXT, "kind": "moon_phase"}, "unknown_rule_kind"),
        ({**SAME_TEXT, "parameters": {"accounts": 2, "window_hours": -3}}, "bad_rule_parameter"),
        ({**SAME_TEXT, "severity": 0}, "bad_severity"),
    ],
)
async def test_a_bad_rule_is_a_422_and_changes_nothing(
    admin: Agent, rule: dict[str, Any], code: str
) -> None:
    before = (await admin.get(RULES)).json()
    refused = await admin.put(RULES, json={"reason": "try", "rules": [rule]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code
    assert (await admin.get(RULES)).json() == before


async def test_a_bad_term_is_a_422(moderator: Agent) -> None:
    refused = await moderator.put(
        TERMS,
        json={
            "reason": "x",
            "terms": [{"kind": "domain", "text": "not a domain", "action": "block"}],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "bad_domain"


async def test_a_dry_run_lists_what_a_rule_would_flag_and_writes_nothing(
    app: RunningApp, admin: Agent, alice: Agent, bob: Agent, voices: list[dict[str, Any]]
) -> None:
    saved = await admin.put(RULES, json={"reason": "try it first", "rules": [SAME_TEXT]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["rules"][0]["enabled"] is False
    for agent in (alice, bob):
        made = await agent.post(
            "/api/v1/generations",
            json={"text": "Cheap watches at the door!", "voice_id": voices[0]["id"]},
        )
        assert made.status_code == 202, made.text
    before = (rows(app, flag_table), rows(app, audit_events))
    tried = await admin.post(f"{RULES}/same-text/dry-run?last=50")
    assert tried.status_code == 200, tried.text
    body = tried.json()
    assert body["would_flag_count"] == 1
    assert [hit["text"] for hit in body["would_flag"]] == ["Cheap watches at the door!"]
    assert (rows(app, flag_table), rows(app, audit_events)) == before
    assert (await admin.post(f"{RULES}/no-such-rule/dry-run")).status_code == 404
    assert (await admin.post(f"{RULES}/same-text/dry-run?last=0")).status_code == 400


async def test_a_held_generation_is_made_only_once_a_moderator_approves_it(
    alice: Agent, moderator: Agent, voices: list[dict[str, Any]]
) -> None:
    asked = await alice.post(
        "/api/v1/generations",
        json={"text": "Send bitcoin to win a prize", "voice_id": voices[0]["id"]},
    )
    assert asked.status_code == 202, asked.text
    generation_id = asked.json()["id"]
    await asyncio.sleep(0.5)  # a queued job would be picked up by the in-process worker
    waiting = (await alice.get(f"/api/v1/generations/{generation_id}")).json()
    assert (waiting["status"], waiting["attempts"], waiting["audio_url"]) == (
        "pending_review",
        0,
        None,
    )
    page = await alice.get(f"/generations/{generation_id}", headers={"accept": "text/html"})
    assert "Pending review" in page.text
    held = (await moderator.get(HELD)).json()["items"]
    assert generation_id in [item["generation_id"] for item in held]

    no_reason = await moderator.post(f"{HELD}/{generation_id}/approve", json={"reason": " "})
    assert no_reason.status_code == 422
    approved = await moderator.post(
        f"{HELD}/{generation_id}/approve", json={"reason": "a real charity raffle"}
    )
    assert approved.status_code == 200, approved.text
    done = await wait_until_finished(alice, generation_id)
    assert done["status"] == "completed"
    again = await moderator.post(f"{HELD}/{generation_id}/reject", json={"reason": "late"})
    assert again.status_code == 409
