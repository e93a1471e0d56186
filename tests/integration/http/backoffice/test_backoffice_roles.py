"""The backoffice lets each staff role into the areas its permissions open, and no
further: support reads failed generations, a moderator also recovers them and reads the
failure dashboard, only an administrator reads the audit log or manages voices."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.integration.http_helpers import RunningApp, embedded_app
from voiceqr.domain.accounts.users import Role

pytestmark = pytest.mark.asyncio(loop_scope="module")

FAILED = "/api/v1/admin/generations"
STATS = "/api/v1/admin/failures/stats"
AUDIT = "/api/v1/admin/audit"
VOICES = "/api/v1/voices"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-roles")) as running:
        yield running


@pytest.mark.parametrize(
    ("role", "failed", "stats", "audit", "admin_page", "failed_page"),
    [
        (Role.USER, 403, 403, 403, 403, 403),
        (Role.SUPPORT, 200, 403, 403, 403, 200),
        (Role.MODERATOR, 200, 200, 403, 200, 200),
        (Role.ADMIN, 200, 200, 200, 200, 200),
    ],
)
async def test_each_role_enters_the_backoffice_areas_its_permissions_open(
    app: RunningApp,
    role: Role,
    failed: int,
    stats: int,
    audit: int,
    admin_page: int,
    failed_page: int,
) -> None:
    agent = await app.new_user(f"{role}-areas@example.com", role=role)
    assert (await agent.get(FAILED)).status_code == failed
    assert (await agent.get(STATS)).status_code == stats
    assert (await agent.get(AUDIT)).status_code == audit
    assert (await agent.get("/admin")).status_code == admin_page
    assert (await agent.get("/admin/generations")).status_code == failed_page


async def test_a_plain_user_still_hears_that_only_administrators_may(app: RunningApp) -> None:
    agent = await app.new_user("plain-areas@example.com")
    response = await agent.get(FAILED)
    assert response.status_code == 403
    assert "Only administrators" in response.text


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.MODERATOR])
async def test_only_an_administrator_manages_voices(app: RunningApp, role: Role) -> None:
    agent = await app.new_user(f"{role}-voices@example.com", role=role)
    body = {"name": f"Nora {role}", "provider_voice_id": "en-gb"}
    response = await agent.post(VOICES, json=body)
    assert response.status_code == 403
    voices = (await agent.get(VOICES)).json()
    assert all(v["name"] != body["name"] for v in voices)


async def test_the_dashboard_shows_the_audit_log_only_to_those_who_may_read_it(
    app: RunningApp,
) -> None:
    moderator = await app.new_user("mod-dashboard@example.com", role=Role.MODERATOR)
    admin = await app.new_user("admin-dashboard@example.com", role=Role.ADMIN)
    assert "Audit log" not in (await moderator.get("/admin")).text
    assert "Audit log" in (await admin.get("/admin")).text
