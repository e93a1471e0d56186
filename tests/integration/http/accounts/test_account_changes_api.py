"""Changing an account through the JSON API, on the real embedded app: its email and
password by the owner, and disabling or locking by an operator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.http.accounts.accounts_api import (
    NEW_PASSWORD,
    Clock,
    address,
    login,
    mails,
    only_mail,
    register,
    signed_in,
    token_in,
)
from tests.integration.http_helpers import PASSWORD, RunningApp, assert_problem
from voiceqr.domain.accounts.users import UserStatus

pytestmark = pytest.mark.asyncio(loop_scope="module")
# --- profile: email and password (P1, A3) ---------------------------------------------------


async def test_changing_the_email_needs_the_password_within_5_minutes_and_a_confirmation(
    app: RunningApp, clock: Clock
) -> None:
    old, new = address("old"), address("new")
    app.create_user(old)
    agent = await signed_in(app, old)
    clock.advance(minutes=5, seconds=1)

    refused = await agent.patch("/api/v1/me", json={"email": new})

    assert_problem(refused, 403, "reauthentication_required")
    assert mails(app, new) == []
    wrong = await agent.post("/api/v1/me/reauthenticate", json={"password": "wrong guess"})
    assert_problem(wrong, 401, "bad_password")
    assert (
        await agent.post("/api/v1/me/reauthenticate", json={"password": PASSWORD})
    ).status_code == 204

    asked = await agent.patch("/api/v1/me", json={"email": new, "name": "Ada B."})

    assert asked.status_code == 200, asked.text
    assert (asked.json()["email"], asked.json()["name"]) == (old, "Ada B.")  # not yet
    assert asked.json()["pending_email"] == new  # where the confirmation went
    assert (await agent.get("/api/v1/me")).json()["pending_email"] is None
    token = token_in(only_mail(app, new, "change_email"), "/verify-email")
    assert new in only_mail(app, old, "email_change_requested").text
    assert_problem(await login(app, new), 401)
    assert (await login(app, old)).status_code == 200

    confirmed = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == new
    assert (await agent.get("/api/v1/me")).json()["email"] == new
    assert new in only_mail(app, old, "email_changed").text
    assert (await login(app, new)).status_code == 200
    assert_problem(await login(app, old), 401)
    again = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})
    assert_problem(again, 422, "link_invalid")
    clock.advance(minutes=5, seconds=1)  # the window closes again
    assert_problem(
        await agent.patch("/api/v1/me", json={"email": address("third")}),
        403,
        "reauthentication_required",
    )


async def test_changing_to_a_taken_email_says_so_and_mails_nobody(app: RunningApp) -> None:
    mine, theirs = address("mine"), address("theirs")
    app.create_user(mine)
    app.create_user(theirs)
    agent = await signed_in(app, mine)  # signing in opens the 5-minute window

    taken = await agent.patch("/api/v1/me", json={"email": theirs, "name": "Not saved"})

    assert_problem(taken, 409, "email_taken")
    assert mails(app, theirs) == []
    assert mails(app, mine) == []
    assert (await agent.get("/api/v1/me")).json()["name"] != "Not saved"  # all or nothing
    free = address("free")
    asked = await agent.patch("/api/v1/me", json={"email": free})
    assert asked.json()["pending_email"] == free
    assert mails(app, mine, "email_change_requested") != []
    assert_problem(await agent.patch("/api/v1/me", json={"email": mine.upper()}), 422)
    assert_problem(await agent.patch("/api/v1/me", json={"email": "nope"}), 422)


async def test_confirming_an_address_someone_took_meanwhile_is_a_conflict(
    app: RunningApp,
) -> None:
    mine, wanted = address("slow"), address("wanted")
    app.create_user(mine)
    agent = await signed_in(app, mine)
    assert (await agent.patch("/api/v1/me", json={"email": wanted})).status_code == 200
    token = token_in(only_mail(app, wanted, "change_email"), "/verify-email")
    assert (await register(app, wanted)).status_code == 202

    confirmed = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})

    assert_problem(confirmed, 409, "email_taken")
    assert (await agent.get("/api/v1/me")).json()["email"] == mine
    assert mails(app, mine, "email_changed") == []


async def test_changing_the_password_ends_the_other_sessions(app: RunningApp) -> None:
    email = address("change-password")
    app.create_user(email)
    current, other = await signed_in(app, email), await signed_in(app, email)

    wrong = await current.post(
        "/api/v1/me/password",
        json={"current_password": "wrong guess", "new_password": NEW_PASSWORD},
    )
    weak = await current.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password1"}
    )
    assert_problem(wrong, 401, "bad_password")
    assert_problem(weak, 422, "password_common")
    assert (await other.get("/api/v1/me")).status_code == 200

    changed = await current.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert changed.status_code == 204, changed.text
    assert (await current.get("/api/v1/me")).status_code == 200
    assert_problem(await other.get("/api/v1/me"), 401)
    assert only_mail(app, email, "password_changed")
    assert_problem(await login(app, email), 401)
    assert (await login(app, email, NEW_PASSWORD)).status_code == 200


# --- operators: disabling and locking (S5) -----------------------------------------------------


async def test_disabling_an_account_ends_its_sessions_and_sign_in(app: RunningApp) -> None:
    email = address("disabled")
    app.create_user(email)
    first, second = await signed_in(app, email), await signed_in(app, email)

    app.operator_sets_status(email, UserStatus.DISABLED)

    for agent in (first, second):
        assert_problem(await agent.get("/api/v1/me"), 401)
    disabled = assert_problem(await login(app, email), 401, "bad_credentials")
    assert disabled == assert_problem(await login(app, email, "wrong guess"), 401)

    app.operator_sets_status(email, UserStatus.ACTIVE)
    assert (await login(app, email)).status_code == 200


async def test_the_cookie_of_a_disabled_user_stops_working_even_if_its_session_remains(
    app: RunningApp,
) -> None:
    email = address("cookie-disabled")
    user = app.create_user(email)
    agent = await signed_in(app, email)

    async def disable_in_the_database_only() -> None:
        async with app.uow() as unit:
            stored = await unit.users.get(user.id)
            assert stored is not None
            stored.status = UserStatus.DISABLED
            await unit.users.update(stored)
            await unit.commit()

    app.call(disable_in_the_database_only)

    assert_problem(await agent.get("/api/v1/me"), 401)
    assert_problem(await agent.get("/api/v1/me/sessions"), 401)


async def test_an_operator_lock_ends_the_sessions(app: RunningApp, clock: Clock) -> None:
    email = address("operator-lock")
    app.create_user(email)
    agent = await signed_in(app, email)

    app.operator_locks(email, clock() + timedelta(hours=1))

    assert_problem(await agent.get("/api/v1/me"), 401)
    assert_problem(await login(app, email), 401, "account_locked")
