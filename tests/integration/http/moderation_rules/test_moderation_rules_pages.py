"""The admin pages of moderation automation: forms with CSRF that work without
JavaScript, a refused form shown again with its reason, and staff guards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.http_helpers import BROWSER, Agent, RunningApp
from voiceqr.domain.accounts.users import Role

pytestmark = pytest.mark.asyncio(loop_scope="module")

RULES_PAGE = "/admin/moderation/rules"
TERMS_PAGE = "/admin/moderation/terms"
HELD_PAGE = "/admin/moderation/held"


async def followed(agent: Agent, response: httpx.Response) -> httpx.Response:
    """The page a form's 303 leads to, as the browser opens it."""
    assert response.status_code == 303, response.text
    page = await agent.get(response.headers["location"], headers=BROWSER)
    assert page.status_code == 200, page.text
    return page


async def test_a_plain_user_opens_none_of_the_pages(carol: Agent) -> None:
    for page in (RULES_PAGE, TERMS_PAGE, HELD_PAGE, f"{RULES_PAGE}/x/dry-run"):
        response = await carol.get(page, headers=BROWSER)
        assert response.status_code == 403, page


async def test_an_admin_adds_a_rule_tries_it_and_turns_it_on(
    admin: Agent, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    rule = {
        "name": "scam-links",
        "kind": "listed_domains",
        "parameters": "domains = scam.example, fraud.example",
        "severity": "3",
        "reason_code": "spam",
        "reason": "a scam wave",
    }
    saved = await followed(admin, await admin.submit(RULES_PAGE, RULES_PAGE, rule))
    assert "The rule is saved." in saved.text
    assert "links to scam.example, fraud.example" in saved.text

    made = await alice.post(
        "/api/v1/generations",
        json={"text": "Pay at pay.scam.example today", "voice_id": voices[0]["id"]},
    )
    assert made.status_code == 202
    tried = await admin.get(f"{RULES_PAGE}/scam-links/dry-run?last=20", headers=BROWSER)
    assert tried.status_code == 200
    assert "Would have flagged 1 of the last" in tried.text
    assert "links to pay.scam.example" in tried.text

    switched = await followed(
        admin,
        await admin.submit(
            RULES_PAGE,
            f"{RULES_PAGE}/scam-links/switch",
            {"enabled": "on", "reason": "tried it"},
        ),
    )
    assert "The rule is on." in switched.text


async def test_a_bad_rule_form_comes_back_with_its_reason_and_what_was_typed(
    admin: Agent,
) -> None:
    form = {
        "name": "burst",
        "kind": "new_account_burst",
        "parameters": "account_age_hours = 24\ngenerations = 5\nwindow_minutes = -10",
        "severity": "2",
        "reason_code": "spam",
        "reason": "try",
    }
    refused = await admin.submit(RULES_PAGE, RULES_PAGE, form)
    assert refused.status_code == 422
    assert "window_minutes must be a whole number from 1" in refused.text
    assert "window_minutes = -10" in refused.text


async def test_a_moderator_edits_the_filter_entries_one_per_line(app: RunningApp) -> None:
    moderator = await app.new_user("mo@example.com", role=Role.MODERATOR)
    typed = "block domain spam bad.example\nallow term - claim your prize"
    saved = await followed(
        moderator,
        await moderator.submit(TERMS_PAGE, TERMS_PAGE, {"entries": typed, "reason": "scam wave"}),
    )
    assert "block domain spam bad.example" in saved.text
    assert "allow term - claim your prize" in saved.text
    refused = await moderator.submit(
        TERMS_PAGE, TERMS_PAGE, {"entries": "block nonsense", "reason": "oops"}
    )
    assert refused.status_code == 422
    assert "action kind reason text" in refused.text
    assert "block nonsense" in refused.text


async def test_a_moderator_approves_a_held_text_from_the_page(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    moderator = await app.new_user("mod2@example.com", role=Role.MODERATOR)
    asked = await alice.post(
        "/api/v1/generations",
        json={"text": "Double your bitcoin here", "voice_id": voices[0]["id"]},
    )
    generation_id = asked.json()["id"]
    page = await moderator.open_form(HELD_PAGE)
    assert "Double your bitcoin here" in page.text
    approved = await followed(
        moderator,
        await moderator.post_form(
            f"{HELD_PAGE}/{generation_id}",
            {"decision": "approve", "reason": "a real offer"},
            form=page,
        ),
    )
    assert "approved and queued" in approved.text
    assert "Double your bitcoin here" not in approved.text
