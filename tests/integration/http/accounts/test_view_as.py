"""Staff viewing the site as a user, on the real app: support starts it from the user's
page with a reason, then every page acts as the user under a banner while every change
(pages and API, any method) is refused; it ends when stopped, at its time limit, or at
sign-out, each start and end audited on the user's account and told on their security
page. Nobody views an admin, a staff member or themselves; a plain user starts nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    embedded_app,
    wait_for_counts,
    wait_until_finished,
)
from tests.unit.fakes.clock import FakeClock
from voiceqr.adapters.database.playback import playback_events
from voiceqr.domain.accounts.users import Role

pytestmark = pytest.mark.asyncio(loop_scope="module")

WHY = "ticket 42: the user cannot find their codes"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(
    tmp_path_factory: pytest.TempPathFactory, clock: FakeClock
) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-view-as"), clock=clock) as running:
        yield running


def audit_of(app: RunningApp, user_id: object) -> list[tuple[str, str, dict[str, Any]]]:
    """The staff entries on the account, oldest first (not its creation by the test)."""

    async def read() -> list[tuple[str, str, dict[str, Any]]]:
        async with app.uow() as uow:
            events = await uow.audit.list_for_target("user", str(user_id), limit=100)
        return [(e.action, e.actor, dict(e.details)) for e in reversed(events) if e.actor != "cli"]

    return app.call(read)


async def start_viewing(staff: Agent, user_id: object, reason: str = WHY) -> Any:
    page = await staff.open_form(f"/admin/users/{user_id}")
    return await staff.post_form(f"/admin/users/{user_id}/view-as", {"reason": reason}, form=page)


async def me(agent: Agent) -> str:
    response = await agent.get("/api/v1/me")
    assert response.status_code == 200, response.text
    email: str = response.json()["email"]
    return email


async def test_support_sees_the_users_pages_under_a_banner_and_stops_back_on_their_page(
    app: RunningApp, clock: FakeClock
) -> None:
    support = await app.new_user("agent@view.example", role=Role.SUPPORT)
    ann = await app.new_user("ann@view.example")
    assert ann.user is not None
    until = clock() + timedelta(minutes=15)  # VOICEQR_VIEW_AS_MINUTES by default

    started = await start_viewing(support, ann.user.id)

    assert started.status_code == 303, started.text
    assert started.headers["location"] == "/generations"
    assert await me(support) == "ann@view.example"
    history = await support.get("/generations", headers=BROWSER)
    assert history.status_code == 200
    assert 'id="viewing-banner"' in history.text
    assert "Viewing as <strong>Ann</strong> (read-only)" in history.text
    assert f"ends at {until:%H:%M} UTC" in history.text
    stopped = await support.post_form("/view-as/stop", {}, form=history)
    assert stopped.status_code == 303
    assert stopped.headers["location"] == f"/admin/users/{ann.user.id}"
    assert await me(support) == "agent@view.example"
    back = await support.get(stopped.headers["location"], headers=BROWSER)
    assert back.status_code == 200
    assert 'id="viewing-banner"' not in back.text
    assert audit_of(app, ann.user.id) == [
        (
            "user.view_as",
            "agent@view.example",
            {"email": "ann@view.example", "reason": WHY, "until": until.isoformat()},
        ),
        ("user.view_as_end", "agent@view.example", {"ended": "stopped"}),
    ]
    timeline = await support.get(
        f"/api/v1/admin/users/{ann.user.id}/timeline", params={"kind": "staff"}
    )
    assert [(e["what"], e["detail"]) for e in timeline.json()["items"]][:2] == [
        ("user.view_as_end by agent@view.example", ""),
        ("user.view_as by agent@view.example", WHY),
    ]
    security = await ann.get("/security", headers=BROWSER)
    assert "Support viewed your pages as you see them (read-only)" in security.text
    assert WHY in security.text


async def test_every_change_is_refused_while_viewing_on_pages_and_the_api(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    support = await app.new_user("refused@view.example", role=Role.SUPPORT)
    ben = await app.new_user("ben@view.example")
    assert ben.user is not None
    made = await ben.post(
        "/api/v1/generations", json={"text": "Hello", "voice_id": voices[0]["id"]}
    )
    assert made.status_code == 202, made.text
    generation = made.json()["id"]
    await start_viewing(support, ben.user.id)
    refused = [
        ("POST", "/api/v1/generations", {"json": {"text": "Hi", "voice_id": voices[0]["id"]}}),
        ("PATCH", "/api/v1/me", {"json": {"name": "Changed"}}),
        ("PUT", "/api/v1/me/draft", {"json": {"text": "a draft", "voice_id": None}}),
        ("PATCH", "/api/v1/me/preferences", {"json": {"default_voice_id": None}}),
        ("DELETE", f"/api/v1/generations/{generation}", {}),
        ("POST", "/api/v1/me/deletion", {}),
        ("POST", "/api/v1/auth/login", {"json": {"email": "x@view.example", "password": "x"}}),
    ]
    for method, url, kwargs in refused:
        response = await support.request(method, url, **kwargs)
        assert_problem(response, 403, "viewing_read_only")
    history = await support.get("/generations", headers=BROWSER)
    for action, fields in (
        (f"/generations/{generation}/delete", {}),
        ("/profile/name", {"name": "Changed"}),
        ("/profile/keep", {}),
        ("/resend-verification", {"email": "ben@view.example"}),
    ):
        page = await support.post_form(action, fields, form=history)
        assert page.status_code == 403, (action, page.status_code)
        assert "read-only while viewing as Ben" in page.text
    assert (await ben.get(f"/api/v1/generations/{generation}")).status_code == 200
    profile = (await ben.get("/api/v1/me")).json()
    assert profile["name"] == "Ben"
    assert (await ben.get("/api/v1/me/draft")).json()["text"] in ("", None)
    assert [a for a, _, _ in audit_of(app, ben.user.id)] == ["user.view_as"]


async def test_the_backoffice_waits_until_the_view_stops(app: RunningApp) -> None:
    admin = await app.new_user("boss@view.example", role=Role.ADMIN)
    cleo = await app.new_user("cleo@view.example")
    assert cleo.user is not None
    await start_viewing(admin, cleo.user.id)
    for url in ("/admin/users", f"/admin/users/{cleo.user.id}", "/admin"):
        assert (await admin.get(url, headers=BROWSER)).status_code == 403, url
    assert_problem(await admin.get("/api/v1/admin/users"), 403, "viewing_read_only")
    page = await admin.get("/generations", headers=BROWSER)
    assert (await admin.post_form("/view-as/stop", {}, form=page)).status_code == 303
    assert (await admin.get("/api/v1/admin/users")).status_code == 200


async def test_the_view_ends_by_itself_at_its_time_limit(app: RunningApp, clock: FakeClock) -> None:
    support = await app.new_user("timed@view.example", role=Role.SUPPORT)
    dan = await app.new_user("dan@view.example")
    assert dan.user is not None
    await start_viewing(support, dan.user.id)
    clock.advance(minutes=14)
    assert await me(support) == "dan@view.example"
    clock.advance(minutes=1)
    assert await me(support) == "timed@view.example"
    page = await support.get("/generations", headers=BROWSER)
    assert 'id="viewing-banner"' not in page.text
    assert [(a, d.get("ended")) for a, _, d in audit_of(app, dan.user.id)] == [
        ("user.view_as", None),
        ("user.view_as_end", "time limit"),
    ]


async def test_signing_out_ends_the_view(app: RunningApp) -> None:
    support = await app.new_user("leaving@view.example", role=Role.SUPPORT)
    eve = await app.new_user("eve@view.example")
    assert eve.user is not None
    await start_viewing(support, eve.user.id)
    page = await support.get("/generations", headers=BROWSER)
    signed_out = await support.post_form("/signout", {}, form=page)
    assert signed_out.status_code == 303
    assert (await support.get("/api/v1/me")).status_code == 401
    assert [(a, d.get("ended")) for a, _, d in audit_of(app, eve.user.id)] == [
        ("user.view_as", None),
        ("user.view_as_end", "signed out"),
    ]


async def test_nobody_views_an_admin_another_staff_member_or_themselves(
    app: RunningApp,
) -> None:
    support = await app.new_user("careful@view.example", role=Role.SUPPORT)
    admin = await app.new_user("chief@view.example", role=Role.ADMIN)
    colleague = await app.new_user("colleague@view.example", role=Role.SUPPORT)
    for staff, target in (
        (support, admin),
        (support, colleague),
        (support, support),
        (admin, admin),
    ):
        assert target.user is not None
        refused = await start_viewing(staff, target.user.id)
        assert refused.status_code == 403, refused.text
        assert "cannot" in refused.text
        assert audit_of(app, target.user.id) == []
    page = await support.open_form(f"/admin/users/{admin.user.id}")  # type: ignore[union-attr]
    assert 'id="view-as"' not in page.text


async def test_a_reason_is_required_and_a_plain_user_or_moderator_starts_nothing(
    app: RunningApp,
) -> None:
    support = await app.new_user("hasty@view.example", role=Role.SUPPORT)
    fay = await app.new_user("fay@view.example")
    assert fay.user is not None
    blank = await start_viewing(support, fay.user.id, reason="  ")
    assert blank.status_code == 422
    assert "needs a reason" in blank.text
    assert await me(support) == "hasty@view.example"
    for role in (Role.USER, Role.MODERATOR):
        other = await app.new_user(f"{role}-starter@view.example", role=role)
        page = await other.open_form("/profile")
        started = await other.post_form(
            f"/admin/users/{fay.user.id}/view-as", {"reason": WHY}, form=page
        )
        assert started.status_code == 403
    assert audit_of(app, fay.user.id) == []


async def test_a_scan_while_viewing_is_not_counted_as_anyones(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    support = await app.new_user("scanner@view.example", role=Role.SUPPORT)
    gus = await app.new_user("gus@view.example")
    assert gus.user is not None
    made = await gus.post("/api/v1/generations", json={"text": "Hi", "voice_id": voices[0]["id"]})
    code = (await wait_until_finished(gus, made.json()["id"]))["public_code"]
    await start_viewing(support, gus.user.id)
    assert (await support.get(f"/p/{code}", headers=BROWSER)).status_code == 200
    assert_problem(await support.post(f"/api/v1/playback/{code}/listen"), 403)
    # Then a visitor scans: once that scan is stored, an earlier one would be too.
    assert (await app.anonymous.get(f"/p/{code}", headers=BROWSER)).status_code == 200
    await wait_for_counts(gus, made.json()["id"], scans=1, listens=0)
    async with app.uow.engine.connect() as db:
        stored = await db.execute(
            select(func.count())
            .select_from(playback_events)
            .where(playback_events.c.generation_id == UUID(made.json()["id"]))
        )
    assert stored.scalar_one() == 1  # the visitor's only: the staff member's was not kept


async def test_an_api_key_acts_as_its_own_account_even_beside_a_viewing_cookie(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    support = await app.new_user("keyed@view.example", role=Role.SUPPORT)
    made = await support.post("/api/v1/me/api-keys", json={"name": "CI", "scopes": ["generate"]})
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    hal = await app.new_user("hal@view.example")
    assert hal.user is not None
    await start_viewing(support, hal.user.id)

    response = await support.post(
        "/api/v1/generations",
        json={"text": "Made with my own key", "voice_id": voices[0]["id"]},
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 202, response.text
    assert support.user is not None
    assert app.count_generations(support.user.id) == 1
    assert app.count_generations(hal.user.id) == 0
