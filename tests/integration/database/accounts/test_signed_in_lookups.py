"""What every signed-in request reads, run unchanged on SQLite and on PostgreSQL: the
account with its pending deletion in one query, and a session's view of another account
(staff viewing the site as a user), started and ended once."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.integration.database.rows import NOW, add_user, make_user
from voiceqr.adapters.database.sessions import SqlSessionStore
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.account_data.deletion import schedule_by_owner
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.ids import uuid7


def make_session(user: User, token_hash: str) -> Session:
    return Session(
        token_hash=token_hash,
        user_id=user.id,
        created_at=NOW,
        last_seen_at=NOW,
        expires_at=NOW + timedelta(hours=12),
        idle_expires_at=NOW + timedelta(hours=2),
        id=uuid7(),
    )


async def test_a_session_views_as_a_user_until_a_time_and_stops_once(
    uows: SqlUnitOfWorkFactory,
) -> None:
    store = SqlSessionStore(uows.engine)
    staff = await add_user(uows, make_user("agent@example.com", role=Role.SUPPORT))
    viewed = await add_user(uows, make_user("ann@example.com"))
    session = make_session(staff, "v" * 64)
    await store.add(session)
    until = NOW + timedelta(minutes=15, microseconds=3)

    await store.start_viewing(session.token_hash, user_id=viewed.id, until=until)

    assert await store.get(session.token_hash) == dataclasses.replace(
        session, viewing_user_id=viewed.id, viewing_until=until
    )
    assert await store.stop_viewing(session.token_hash) is True
    assert await store.stop_viewing(session.token_hash) is False  # ended once
    assert await store.stop_viewing("z" * 64) is False  # absent: nothing to end
    assert await store.get(session.token_hash) == session


async def test_the_signed_in_lookup_brings_the_pending_deletion_with_the_account(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann = await add_user(uows, make_user("ann@example.com"))
    bob = await add_user(uows, make_user("bob@example.com"))
    deletion = schedule_by_owner(ann.id, now=NOW, grace=timedelta(days=14))
    async with uows() as uow:
        await uow.account_deletions.save(deletion)
        await uow.commit()

    async with uows() as uow:
        assert await uow.users.get_signed_in(ann.id) == (ann, deletion.due_at)
        assert await uow.users.get_signed_in(bob.id) == (bob, None)
        assert await uow.users.get_signed_in(uuid7()) is None
