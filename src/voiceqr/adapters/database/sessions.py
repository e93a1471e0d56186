"""Sign-in sessions in the database (embedded mode); each call is its own transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.adapters.database.accounts import sessions
from voiceqr.adapters.database.unit_of_work import transaction
from voiceqr.domain.accounts.sessions import Session


class SqlSessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, session: Session) -> None:
        async with transaction(self._engine) as db:
            await db.execute(insert(sessions).values(asdict(session)))

    async def get(self, token_hash: str) -> Session | None:
        async with transaction(self._engine) as db:
            row = (
                await db.execute(select(sessions).where(sessions.c.token_hash == token_hash))
            ).first()
        return None if row is None else Session(**row._mapping)

    async def touch(
        self, token_hash: str, *, last_seen_at: datetime, idle_expires_at: datetime
    ) -> None:
        async with transaction(self._engine) as db:
            await db.execute(
                update(sessions)
                .where(sessions.c.token_hash == token_hash)
                .values(last_seen_at=last_seen_at, idle_expires_at=idle_expires_at)
            )

    async def mark_reauthenticated(self, token_hash: str, *, at: datetime) -> None:
        async with transaction(self._engine) as db:
            await db.execute(
                update(sessions)
                .where(sessions.c.token_hash == token_hash)
                .values(reauthenticated_at=at)
            )

    async def start_viewing(self, token_hash: str, *, user_id: UUID, until: datetime) -> None:
        async with transaction(self._engine) as db:
            await db.execute(
                update(sessions)
                .where(sessions.c.token_hash == token_hash)
                .values(viewing_user_id=user_id, viewing_until=until)
            )

    async def stop_viewing(self, token_hash: str) -> bool:
        c = sessions.c
        async with transaction(self._engine) as db:
            ended = await db.execute(
                update(sessions)
                .where(c.token_hash == token_hash, c.viewing_user_id.is_not(None))
                .values(viewing_user_id=None, viewing_until=None)
            )
            return bool(ended.rowcount)

    async def delete(self, token_hash: str) -> None:
        async with transaction(self._engine) as db:
            await db.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    async def list_for_user(self, user_id: UUID) -> list[Session]:
        c = sessions.c
        async with transaction(self._engine) as db:
            rows = await db.execute(
                select(sessions).where(c.user_id == user_id).order_by(c.last_seen_at.desc())
            )
            return [Session(**row._mapping) for row in rows]

    async def delete_for_user(self, user_id: UUID, *, keep: str | None = None) -> int:
        c = sessions.c
        query = delete(sessions).where(c.user_id == user_id)
        if keep is not None:
            query = query.where(c.token_hash != keep)
        async with transaction(self._engine) as db:
            return int((await db.execute(query)).rowcount)
