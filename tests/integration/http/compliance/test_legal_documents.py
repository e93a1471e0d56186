"""The terms and privacy policy on the real app (embedded: SQLite): a fresh install
has a first version of each, an admin publishes a new one through a preview (audited
with a reason), bad input is refused with nothing written, support and users cannot
publish, a material version stops every signed-in page until accepted (the API answers
403 to the session and lets API keys through), and sign-up records both acceptances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio

from tests.integration.http.accounts.accounts_api import register
from tests.integration.http_helpers import (
    BROWSER,
    PASSWORD,
    Agent,
    RunningApp,
    assert_problem,
    embedded_app,
)
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.compliance.documents import LegalDocument
from voiceqr.domain.operations.audit import AuditEvent

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-legal")) as running:
        yield running


def versions(app: RunningApp) -> list[LegalDocument]:
    async def read() -> list[LegalDocument]:
        async with app.uow() as uow:
            return await uow.legal_documents.all()

    return app.call(read)


def audit(app: RunningApp) -> list[AuditEvent]:
    async def read() -> list[AuditEvent]:
        async with app.uow() as uow:
            return [e for e in await uow.audit.list(limit=1000) if e.action == "legal.publish"]

    return app.call(read)


def today(app: RunningApp) -> date:
    return app.platform.compliance.documents.today()


def publication(app: RunningApp, **changes: str) -> dict[str, str]:
    return {
        "kind": "terms",
        "text": "# Terms\n\nVersion two: <script>alert(1)</script> stays text.",
        "summary": "We now say how long we keep audio.",
        "effective_on": today(app).isoformat(),
        "material": "on",
        "reason": "Counsel's review of March",
        **changes,
    }


async def test_a_fresh_install_has_a_first_version_of_the_terms_and_the_privacy_policy(
    app: RunningApp,
) -> None:
    visitor = app.anonymous
    terms = (await visitor.get("/api/v1/legal/terms")).json()
    assert (terms["version"], terms["material"], terms["live"]) == (1, False, True)
    assert terms["effective_on"] == today(app).isoformat()
    assert len(terms["sha256"]) == 64
    page = await visitor.get("/privacy", headers=BROWSER)
    assert page.status_code == 200
    assert "Privacy policy" in page.text
    assert "Version 1" in page.text
    assert_problem(await visitor.get("/api/v1/legal/cookies"), 404, "unknown_document")
    assert (await visitor.get("/terms/versions/9", headers=BROWSER)).status_code == 404


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"text": "  "}, 422),
        ({"effective_on": "next tuesday"}, 422),
        ({"effective_on": "2001-01-01"}, 422),
        ({"kind": "cookies"}, 422),
        ({"reason": ""}, 422),
        ({"summary": ""}, 422),
    ],
)
async def test_a_publication_with_bad_input_is_refused_and_nothing_is_written(
    app: RunningApp, change: dict[str, str], status: int
) -> None:
    admin = await _admin(app)
    before = versions(app)
    for action in ("/admin/legal/preview", "/admin/legal/publish"):
        response = await admin.submit("/admin/legal", action, publication(app, **change))
        assert response.status_code == status, response.text
        assert 'role="alert"' in response.text
    assert versions(app) == before
    assert audit(app) == []


async def test_support_staff_and_users_cannot_publish(app: RunningApp) -> None:
    support = await app.new_user("help@example.com", role=Role.SUPPORT)
    user = await app.new_user("plain@example.com")
    for agent in (support, user):
        assert (await agent.get("/admin/legal", headers=BROWSER)).status_code == 403
        form = await agent.open_form("/support")  # any page with the agent's CSRF token
        refused = await agent.post_form("/admin/legal/publish", publication(app), form=form)
        assert refused.status_code == 403
    signin = await app.anonymous.get("/admin/legal", headers=BROWSER)
    assert signin.status_code in (302, 303)
    assert signin.headers["location"].startswith("/signin")
    assert len(versions(app)) == 2
    assert audit(app) == []


_admins: dict[str, Agent] = {}


async def _admin(app: RunningApp) -> Agent:
    if "admin" not in _admins:
        _admins["admin"] = await app.new_user("boss@example.com", role=Role.ADMIN)
    return _admins["admin"]


async def test_an_admin_publishes_a_material_version_and_every_user_accepts_it_first(
    app: RunningApp,
) -> None:
    ann = await app.new_user("ann@example.com")
    key = app.call(app.platform.accounts.api_keys.create, ann.user, "script", ["read"]).token
    admin = await _admin(app)
    preview = await admin.submit("/admin/legal", "/admin/legal/preview", publication(app))
    assert preview.status_code == 200
    assert "version 2" in preview.text
    assert "&lt;script&gt;" in preview.text
    assert "<script>alert" not in preview.text
    assert len(versions(app)) == 2  # a preview writes nothing
    published = await admin.post_form("/admin/legal/publish", publication(app), form=preview)
    assert published.status_code == 303, published.text
    [event] = audit(app)
    assert event.details["reason"] == "Counsel's review of March"
    assert event.details["version"] == 2

    # Ann's open session: pages lead to the acceptance page, the API says why.
    page = await ann.get("/generations", headers=BROWSER)
    assert page.status_code == 303
    assert page.headers["location"] == "/legal/accept?next=/generations"
    assert_problem(await ann.get("/api/v1/generations"), 403, "terms_not_accepted")
    by_key = await app.anonymous.get(
        "/api/v1/generations", headers={"Authorization": f"Bearer {key}"}
    )
    assert by_key.status_code == 200  # a script cannot accept; its owner is asked
    # A fresh sign-in lands there too, before anything else.
    signin = await app.anonymous.submit(
        "/signin", "/signin", {"email": "ann@example.com", "password": PASSWORD}
    )
    assert signin.status_code == 303, signin.text
    assert signin.headers["location"] == "/legal/accept?next=/generations/new"

    asked = await ann.open_form("/legal/accept?next=/generations")
    # A form posted meanwhile is not sent on: the acceptance page, then the create page.
    posted = await ann.post_form("/support/new", {"subject": "Hi", "message": "?"}, form=asked)
    assert posted.headers["location"] == "/legal/accept?next=/generations/new"
    assert "version 2" in asked.text
    assert "We now say how long we keep audio." in asked.text
    accepted = await ann.post_form(
        "/legal/accept", {"terms": "2", "next": "/generations"}, form=asked
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/generations"
    assert (await ann.get("/generations", headers=BROWSER)).status_code == 200
    assert (await ann.get("/api/v1/generations")).status_code == 200

    counts = await admin.get("/admin/legal", headers=BROWSER)
    assert counts.status_code == 303  # the admin, too, accepts first
    asked = await admin.open_form("/legal/accept?next=/admin/legal")
    await admin.post_form("/legal/accept", {"terms": "2", "next": "/admin/legal"}, form=asked)
    overview = await admin.get("/admin/legal", headers=BROWSER)
    assert overview.status_code == 200
    assert 'accepted by <span class="acceptances">2</span>' in (overview.text)
    dashboard = await admin.get("/admin", headers=BROWSER)
    assert 'href="/admin/legal"' in dashboard.text
    older = await app.anonymous.get("/terms/versions/1", headers=BROWSER)
    assert older.status_code == 200
    assert "no longer in force" in older.text


async def test_a_scheduled_version_is_announced_and_can_be_read_before_it_takes_effect(
    app: RunningApp,
) -> None:
    admin = await _admin(app)
    later = (today(app) + timedelta(days=14)).isoformat()
    change = {"kind": "privacy", "text": "Privacy, take two", "effective_on": later}
    preview = await admin.submit("/admin/legal", "/admin/legal/preview", publication(app, **change))
    published = await admin.post_form(
        "/admin/legal/publish", publication(app, **change), form=preview
    )
    assert published.status_code == 303
    page = await app.anonymous.get("/privacy", headers=BROWSER)
    assert f"Version 2 takes effect on {later}" in page.text
    assert "Version 1" in page.text
    coming = await app.anonymous.get("/privacy/versions/2", headers=BROWSER)
    assert coming.status_code == 200
    assert f"it takes effect on {later}" in coming.text
    listed = (await app.anonymous.get("/api/v1/legal/privacy/versions")).json()["items"]
    assert [(v["version"], v["live"], v["scheduled"]) for v in listed] == [
        (1, True, False),
        (2, False, True),
    ]
    live = (await app.anonymous.get("/api/v1/legal/privacy")).json()
    assert live["version"] == 1
    assert live["next_version"]["effective_on"] == later


async def test_signing_up_records_the_terms_and_privacy_in_force(app: RunningApp) -> None:
    response = await register(app, "newcomer@example.com")
    assert response.status_code in (200, 201, 202), response.text

    async def acceptances() -> list[tuple[str, int, str]]:
        async with app.uow() as uow:
            user = await uow.users.get_by_email("newcomer@example.com")
            assert user is not None
            found = await uow.legal_acceptances.of_user(user.id)
        return sorted((str(a.kind), a.version, str(a.how)) for a in found)

    assert app.call(acceptances) == [("privacy", 1, "signup"), ("terms", 2, "signup")]
    signup = await app.anonymous.get("/signup", headers=BROWSER)
    assert 'href="/terms"' in signup.text
    assert 'href="/privacy"' in signup.text
