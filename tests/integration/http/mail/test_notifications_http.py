"""Notification settings, one-click unsubscribe and in-app notices on the real app
(embedded: SQLite, the in-process worker)."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.integration.http_helpers import BROWSER, Agent, RunningApp, assert_problem
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.mail.outbox import OutboxMessage

pytestmark = pytest.mark.asyncio(loop_scope="module")

SETTINGS = "/api/v1/me/notifications"
PREFERENCES = "/api/v1/me/preferences"
NOTICES = "/api/v1/me/notices"
TICKETS = "/api/v1/support/tickets"
QUEUE = "/api/v1/admin/support/tickets"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(app: RunningApp) -> Agent:
    return await app.new_user("help@example.com", role=Role.SUPPORT)


def mails(app: RunningApp, to: str, kind: str) -> list[OutboxMessage]:
    async def read() -> list[OutboxMessage]:
        async with app.uow() as uow:
            return await uow.outbox.list(status=None, limit=10_000)

    return [m for m in app.call(read) if m.to == to and m.kind == kind]


async def reply_to_a_new_ticket(user: Agent, agent: Agent, message: str = "Fixed.") -> str:
    opened = await user.post(TICKETS, json={"subject": "Silent code", "message": "Hi"})
    assert opened.status_code == 201, opened.text
    tid = str(opened.json()["id"])
    replied = await agent.post(f"{QUEUE}/{tid}/messages", json={"message": message})
    assert replied.status_code == 201, replied.text
    return tid


def unsubscribe_path(mail: OutboxMessage) -> str:
    url = mail.headers["List-Unsubscribe"].strip("<>")
    return url[url.index("/unsubscribe/") :]


async def test_the_settings_read_and_change_through_the_api(app: RunningApp) -> None:
    ann = await app.new_user("ann@example.com")
    response = await ann.get(SETTINGS)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "account_mail": "always",
        "generation_failed_mail": "each",
        "generation_failed_in_app": True,
        "ticket_reply_mail": True,
        "ticket_reply_in_app": True,
        "product_news_mail": False,
        "product_news_in_app": False,
        "scans_summary_mail": False,
        "scans_summary_in_app": False,
    }
    changed = await ann.patch(
        SETTINGS, json={"generation_failed_mail": "digest", "product_news_mail": True}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["generation_failed_mail"] == "digest"
    assert changed.json()["product_news_mail"] is True
    assert changed.json()["ticket_reply_mail"] is True  # untouched
    # The preferences API keeps its yes/no for existing clients: a digest is mail.
    assert (await ann.get(PREFERENCES)).json()["email_generation_failed"] is True
    assert (
        await ann.patch(PREFERENCES, json={"email_generation_failed": False})
    ).status_code == 200
    assert (await ann.get(SETTINGS)).json()["generation_failed_mail"] == "off"


@pytest.mark.parametrize(
    "body",
    [
        {"generation_failed_mail": "weekly"},
        {"ticket_reply_mail": "maybe"},
        {"account_mail": "off"},
        {"product_news_mail": None},
        {"scans_summary_in_app": 0},
        {"ticket_reply_mail": "true"},
    ],
)
async def test_a_bad_setting_is_a_400_and_changes_nothing(
    app: RunningApp, body: dict[str, object]
) -> None:
    user = await app.new_user(f"bad-{len(str(body))}-{sorted(body)[0]}@example.com")
    response = await user.patch(SETTINGS, json=body)
    assert_problem(response, 400)
    assert (await user.get(SETTINGS)).json()["generation_failed_mail"] == "each"


async def test_the_profile_form_has_a_fieldset_per_kind_and_saves_radio_choices(
    app: RunningApp,
) -> None:
    user = await app.new_user("form@example.com")
    page = await user.open_form("/profile")
    assert page.text.count("<fieldset>") == 5
    assert "always mailed" in page.text
    assert 'name="generation_failed_mail" value="each" checked' in page.text

    response = await user.post_form(
        "/profile/notifications",
        {
            "generation_failed_mail": "digest",
            "ticket_reply_mail": "off",
            "scans_summary_mail": "on",
        },
        form=page,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/profile?done=notifications")
    got = (await user.get(SETTINGS)).json()
    assert (got["generation_failed_mail"], got["ticket_reply_mail"]) == ("digest", False)
    assert got["scans_summary_mail"] is True
    page = await user.open_form("/profile?done=notifications")
    assert "Your notification settings are saved." in page.text
    assert 'name="generation_failed_mail" value="digest" checked' in page.text

    refused = await user.post_form(
        "/profile/notifications", {"generation_failed_mail": "hourly"}, form=page
    )
    assert refused.status_code == 422
    assert "each, digest, off" in refused.text
    assert (await user.get(SETTINGS)).json()["generation_failed_mail"] == "digest"


async def test_a_reply_mail_carries_the_one_click_headers_and_the_post_turns_it_off(
    app: RunningApp, agent: Agent
) -> None:
    user = await app.new_user("oneclick@example.com")
    await reply_to_a_new_ticket(user, agent)
    [mail] = mails(app, "oneclick@example.com", "ticket_reply")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(mail)

    # A link scanner's GET shows the page and changes nothing.
    shown = await app.anonymous.get(path, headers=BROWSER)
    assert shown.status_code == 200
    assert (
        "support&#39;s replies to your tickets" in shown.text
        or "replies to your tickets" in shown.text
    )
    assert (await user.get(SETTINGS)).json()["ticket_reply_mail"] is True

    # The mail client's POST: no cookie, no CSRF token, the RFC 8058 body.
    done = await app.anonymous.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    assert (await user.get(SETTINGS)).json()["ticket_reply_mail"] is False

    await reply_to_a_new_ticket(user, agent, "Second answer.")
    assert len(mails(app, "oneclick@example.com", "ticket_reply")) == 1  # no new mail


async def test_a_forged_unsubscribe_link_is_a_404_page(app: RunningApp) -> None:
    for path in ("/unsubscribe/not-a-token", "/unsubscribe/AAAA.BBBB"):
        page = await app.anonymous.get(path, headers=BROWSER)
        assert page.status_code == 404
        assert "<html" in page.text
        posted = await app.anonymous.post(path, content="List-Unsubscribe=One-Click")
        assert posted.status_code == 404


async def test_notices_page_count_and_marking_read(app: RunningApp, agent: Agent) -> None:
    user = await app.new_user("noticed@example.com")
    empty = await user.get("/notices", headers=BROWSER)
    assert empty.status_code == 200
    assert "No notices yet" in empty.text
    tid = await reply_to_a_new_ticket(user, agent)
    await reply_to_a_new_ticket(user, agent, "Another")

    page = await user.open_form("/notices")
    assert f'href="/support/{tid}"' in page.text
    assert 'class="nav-count">2' in page.text
    listed = (await user.get(NOTICES)).json()
    assert listed["unread"] == 2
    first = listed["notices"][0]["id"]

    response = await user.post_form(f"/notices/{first}/read", {}, form=page)
    assert response.status_code == 303
    assert (await user.get(NOTICES)).json()["unread"] == 1
    marked = await user.post(f"{NOTICES}/read")
    assert marked.json() == {"marked": 1}
    page = await user.get("/notices", headers=BROWSER)
    assert "nav-count" not in page.text


async def test_another_users_notice_is_not_found(app: RunningApp, agent: Agent) -> None:
    owner = await app.new_user("owner@example.com")
    other = await app.new_user("other@example.com")
    await reply_to_a_new_ticket(owner, agent)
    [notice] = (await owner.get(NOTICES)).json()["notices"]

    assert_problem(await other.post(f"{NOTICES}/{notice['id']}/read"), 404)
    page = await other.open_form("/notices")
    refused = await other.post_form(f"/notices/{notice['id']}/read", {}, form=page)
    assert refused.status_code == 404
    assert (await owner.get(NOTICES)).json()["unread"] == 1


async def test_notices_need_a_sign_in(app: RunningApp) -> None:
    assert (await app.anonymous.get(NOTICES)).status_code == 401
    page = await app.anonymous.get("/notices", headers=BROWSER)
    assert page.status_code in (302, 303, 401)


async def test_the_public_playback_page_shows_no_notice_count(
    app: RunningApp, agent: Agent
) -> None:
    # /p/{code} resolves no user at all (the hot path): nothing to count there.
    user = await app.new_user("player@example.com")
    await reply_to_a_new_ticket(user, agent)
    page = await user.get("/p/doesnotexist", headers=BROWSER)
    assert "nav-count" not in page.text
