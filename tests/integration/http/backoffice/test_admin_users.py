"""People in the backoffice on the real app: /admin/users finds accounts by a prefix
of the email or name, filters and pages them; a user's page and its API act on the
account with a required reason, each action in the audit log; support cannot change
roles, and a plain user reaches none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.integration.http_helpers import Agent, RunningApp, embedded_app
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")

USERS = "/api/v1/admin/users"
AUDIT = "/api/v1/admin/audit"
WHY = "the user asked by phone"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-people")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def support(app: RunningApp) -> Agent:
    return await app.new_user("agent@support.example", role=Role.SUPPORT)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app: RunningApp) -> Agent:
    return await app.new_user("boss@support.example", role=Role.ADMIN)


def audit_of(app: RunningApp, user_id: str) -> list[tuple[str, str, object]]:
    async def read() -> list[tuple[str, str, object]]:
        async with app.uow() as uow:
            events = await uow.audit.list_for_target("user", user_id, limit=100)
        # Staff actions only: not the creation of the account by the test.
        return [(e.action, e.actor, e.details.get("reason")) for e in events if e.actor != "cli"]

    return app.call(read)


async def test_a_plain_user_reaches_no_people_page_nor_api(app: RunningApp) -> None:
    plain = await app.new_user("plain-people@example.com")
    target = app.create_user("target-people@example.com")
    for url in (
        USERS,
        f"{USERS}/{target.id}",
        "/admin/users",
        f"/admin/users/{target.id}",
    ):
        assert (await plain.get(url)).status_code == 403, url
    response = await plain.post(f"{USERS}/{target.id}/actions/lock", json={"reason": WHY})
    assert response.status_code == 403
    form = await plain.post(f"/admin/users/{target.id}/actions/lock", data={"reason": WHY})
    assert form.status_code == 403
    assert (await app.anonymous.get(USERS)).status_code == 401
    assert audit_of(app, str(target.id)) == []


async def test_search_is_a_case_insensitive_prefix_of_email_or_name_with_filters_and_pages(
    app: RunningApp, support: Agent
) -> None:
    for email in ("Quinn.one@people.example", "quinn.two@people.example", "qx@people.example"):
        app.create_user(email)
    found = (await support.get(USERS, params={"q": "QUINN", "sort": "email"})).json()
    assert [u["email"] for u in found["items"]] == [
        "quinn.one@people.example",
        "quinn.two@people.example",
    ]
    by_name = (await support.get(USERS, params={"q": "quinn.t"})).json()
    assert [u["name"] for u in by_name["items"]] == ["Quinn.Two"]
    first = (await support.get(USERS, params={"q": "q", "limit": 2, "sort": "name"})).json()
    assert first["next_cursor"]
    rest = await support.get(
        USERS, params={"q": "q", "limit": 2, "sort": "name", "cursor": first["next_cursor"]}
    )
    names = [u["name"] for u in first["items"] + rest.json()["items"]]
    assert names == ["Quinn.One", "Quinn.Two", "Qx"]
    assert rest.json()["next_cursor"] is None
    staff_only = (await support.get(USERS, params={"role": "support"})).json()
    assert [u["email"] for u in staff_only["items"]] == ["agent@support.example"]
    assert (await support.get(USERS, params={"verified": "maybe"})).status_code == 422
    assert (await support.get(USERS, params={"cursor": "not-ours"})).status_code == 422
    assert (await support.get(USERS, params={"signed_up_from": "yesterday"})).status_code == 422
    page = await support.get("/admin/users", params={"q": "quinn"})
    assert page.status_code == 200
    assert "quinn.one@people.example" in page.text
    assert "qx@people.example" not in page.text
    empty = await support.get("/admin/users", params={"q": "nobody-like-this"})
    assert 'id="empty"' in empty.text


async def test_support_locks_with_a_reason_in_the_audit_log_but_cannot_change_roles(
    app: RunningApp, support: Agent, admin: Agent
) -> None:
    target = app.create_user("lockme@people.example")
    url = f"{USERS}/{target.id}/actions"
    missing = await support.post(f"{url}/lock", json={"reason": " ", "minutes": 30})
    assert missing.status_code == 422
    assert "reason" in missing.json()["detail"]
    locked = await support.post(f"{url}/lock", json={"reason": WHY, "minutes": 30})
    assert locked.status_code == 200, locked.text
    assert locked.json()["user"]["locked_until"] is not None
    assert (
        await support.post(f"{url}/role", json={"reason": WHY, "role": "admin"})
    ).status_code == 403
    assert (await support.post(f"{url}/explode", json={"reason": WHY})).status_code == 404
    assert (
        await support.post(f"{USERS}/{uuid7()}/actions/unlock", json={"reason": WHY})
    ).status_code == 404
    promoted = await admin.post(f"{url}/role", json={"reason": "joins support", "role": "support"})
    assert promoted.json()["user"]["role"] == "support"
    # Now a staff account: only an admin acts on it.
    assert (await support.post(f"{url}/unlock", json={"reason": WHY})).status_code == 403
    assert audit_of(app, str(target.id)) == [
        ("user.role", "boss@support.example", "joins support"),
        ("user.lock", "agent@support.example", WHY),
    ]
    detail = (await support.get(f"{USERS}/{target.id}")).json()
    assert [a["reason"] for a in detail["staff_actions"]][:2] == ["joins support", WHY]


async def test_each_action_of_the_user_page_is_done_with_its_reason(
    app: RunningApp, support: Agent
) -> None:
    target = await app.new_user("actions@people.example")
    await target.post("/api/v1/me/api-keys", json={"name": "script", "scopes": ["read"]})
    page = f"/admin/users/{target.user.id}" if target.user else ""
    actions = {
        "lock": {"minutes": "60"},
        "unlock": {},
        "disable": {},
        "enable": {},
        "edit": {"name": "Act Ions", "email": "actions@people.example"},
        "password-reset-link": {},
        "force-password-change": {},
        "end-sessions": {},
        "revoke-api-keys": {},
    }
    for action, fields in actions.items():
        response = await support.submit(
            page, f"{page}/actions/{action}", {**fields, "reason": f"because {action}"}
        )
        assert response.status_code == 303, (action, response.text)
        assert response.headers["location"] == f"{page}?done={action}"
    shown = await support.get(page)
    assert "Act Ions" in shown.text
    reasons = [reason for _, _, reason in audit_of(app, str(target.user.id if target.user else ""))]
    assert sorted(reasons) == sorted(f"because {a}" for a in actions)
    refused = await support.submit(page, f"{page}/actions/lock", {"minutes": "60", "reason": ""})
    assert refused.status_code == 422
    assert "needs a reason" in refused.text
    assert (await target.get("/api/v1/me")).status_code == 401  # signed out everywhere


async def test_the_user_reads_what_support_changed_and_why_but_not_who(
    app: RunningApp, support: Agent
) -> None:
    owner = await app.new_user("reads-changes@people.example")
    assert owner.user is not None
    before = await owner.get("/security")
    assert "Support has made no change" in before.text or "Your account was created" in before.text
    url = f"{USERS}/{owner.user.id}/actions/verify"
    app.call(
        app.platform.accounts.staff.edit,
        support.user,
        owner.user.id,
        name="Reads Changes",
        reason="fixed a typo in the name",
    )
    assert (await support.post(url, json={"reason": "x"})).status_code == 422  # verified already
    page = await owner.get("/security")
    assert "Your name or email was changed" in page.text
    assert "fixed a typo in the name" in page.text
    assert "voiceqr support" in page.text
    assert "agent@support.example" not in page.text


async def test_only_an_admin_signs_everyone_out_after_a_confirmation_with_the_count(
    app: RunningApp,
) -> None:
    support = await app.new_user("incident-agent@people.example", role=Role.SUPPORT)
    assert (await support.get("/admin/users/incident")).status_code == 403
    admin = await app.new_user("incident-admin@people.example", role=Role.ADMIN)
    page = await admin.open_form("/admin/users/incident")
    count = app.call(app.platform.accounts.staff.count_accounts, admin.user)
    assert f"{count} accounts" in page.text
    tool = "/admin/users/incident/end-sessions"
    unconfirmed = await admin.post_form(tool, {"reason": "incident 7"}, form=page)
    assert unconfirmed.status_code == 422
    assert "Tick the box" in unconfirmed.text
    done = await admin.post_form(tool, {"reason": "incident 7", "confirm": "yes"}, form=page)
    assert done.status_code == 303
    assert (await support.get(USERS)).status_code == 401  # everyone signs in again
    assert (await admin.get(USERS)).status_code == 401


async def test_the_timeline_merges_every_kind_filters_and_pages(app: RunningApp) -> None:
    support = await app.new_user("timeline-agent@people.example", role=Role.SUPPORT)
    owner = await app.new_user("timeline@people.example")
    assert owner.user is not None
    await app.anonymous.post(
        "/api/v1/auth/login", json={"email": owner.user.email, "password": "wrong password!"}
    )
    await owner.post("/api/v1/me/api-keys", json={"name": "script", "scopes": ["read"]})
    url = f"{USERS}/{owner.user.id}"
    await support.post(f"{url}/actions/password-reset-link", json={"reason": "asked"})
    body = (await support.get(f"{url}/timeline")).json()
    kinds = [e["kind"] for e in body["items"]]
    assert kinds[:3] == ["mail", "staff", "api_key"] or kinds[:3] == ["staff", "mail", "api_key"]
    assert {"sign_in", "session"} <= set(kinds)
    assert any(not e["ok"] for e in body["items"] if e["kind"] == "sign_in")
    only = (await support.get(f"{url}/timeline", params={"kind": "staff"})).json()
    assert only["items"][0]["detail"] == "asked"
    first = (await support.get(f"{url}/timeline", params={"limit": 2})).json()
    second = (
        await support.get(f"{url}/timeline", params={"limit": 50, "cursor": first["next_cursor"]})
    ).json()
    assert first["items"] + second["items"] == body["items"]
    assert (await support.get(f"{url}/timeline", params={"kind": "nope"})).status_code == 422
    page = await support.get(f"/admin/users/{owner.user.id}/timeline?kind=staff")
    assert page.status_code == 200
    assert "password_reset_link" in page.text
    plain = await app.new_user("timeline-plain@people.example")
    assert (await plain.get(f"{url}/timeline")).status_code == 403
    assert (await plain.get(f"/admin/users/{owner.user.id}/timeline")).status_code == 403


async def test_staff_create_accounts_on_the_page_and_in_the_api(app: RunningApp) -> None:
    agent = await app.new_user("creator@people.example", role=Role.SUPPORT)
    made = await agent.post(
        USERS, json={"email": "Made@People.example", "name": "Made", "reason": "onboarding"}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["email"], made.json()["verified"]) == ("made@people.example", True)
    again = await agent.post(USERS, json={"email": "made@people.example", "reason": "again"})
    assert again.status_code == 409
    staff_role = {"email": "boss2@people.example", "reason": "x", "role": "admin"}
    assert (await agent.post(USERS, json=staff_role)).status_code == 403
    no_reason = await agent.post(USERS, json={"email": "r@people.example", "reason": ""})
    assert no_reason.status_code in (400, 422)
    form = await agent.open_form("/admin/users/new")
    created = await agent.post_form(
        "/admin/users/new",
        {"email": "paged@people.example", "name": "Paged", "role": "user", "reason": "by phone"},
        form=form,
    )
    assert created.status_code == 303, created.text
    shown = await agent.get(created.headers["location"])
    assert "Created." in shown.text
    assert "(not verified)" in shown.text
    plain = await app.new_user("create-plain@people.example")
    assert (await plain.get("/admin/users/new")).status_code == 403
    assert (
        await plain.post(USERS, json={"email": "z@people.example", "reason": "x"})
    ).status_code == 403


async def test_the_incident_api_needs_an_admin_a_confirmation_and_a_reason(
    app: RunningApp,
) -> None:
    agent = await app.new_user("incident-api-agent@people.example", role=Role.SUPPORT)
    admin = await app.new_user("incident-api-admin@people.example", role=Role.ADMIN)
    tool = f"{USERS}/incident/force-password-change"
    assert (await agent.get(f"{USERS}/incident")).status_code == 403
    assert (await agent.post(tool, json={"reason": "leak", "confirm": True})).status_code == 403
    count = (await admin.get(f"{USERS}/incident")).json()["accounts"]
    assert count > 2
    assert (await admin.post(tool, json={"reason": "leak", "confirm": False})).status_code == 422
    assert (
        await admin.post(f"{USERS}/incident/explode", json={"reason": "x", "confirm": True})
    ).status_code == 404
    done = await admin.post(tool, json={"reason": "leak", "confirm": True})
    assert done.status_code == 200, done.text
    assert 0 < done.json()["accounts"] <= count  # those with a password
    assert (await admin.get(USERS)).status_code == 401  # its own password stopped too
