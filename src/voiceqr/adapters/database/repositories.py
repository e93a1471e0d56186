"""Repositories on SQLAlchemy Core: rows in, domain objects out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, Select, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database import tables as t
from voiceqr.adapters.database.organising import GenerationFiling, filter_conditions
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.shared.errors import Conflict, ErrorCategory
from voiceqr.domain.voices.voice import Voice, VoiceSample


class Repository:
    """A repository on the connection of one unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection


# --- voices --------------------------------------------------------------------------


def _voice_row(voice: Voice) -> dict[str, Any]:
    return {
        "id": voice.id,
        "name": voice.name,
        "description": voice.description,
        "type": voice.type,
        "language": voice.language,
        "region": voice.region,
        "age": voice.age,
        "style": voice.style,
        "provider": voice.provider,
        "provider_voice_id": voice.provider_voice_id,
        "samples": [{"key": s.key, "label": s.label} for s in voice.samples],
        "published": voice.published,
        "priority": voice.priority,
        "created_at": voice.created_at,
        "updated_at": voice.updated_at,
    }


def _voice(row: RowMapping) -> Voice:
    values = dict(row)
    values["samples"] = [VoiceSample(**s) for s in values["samples"]]
    return Voice(**values)


class SqlVoices(Repository):
    async def add(self, voice: Voice) -> None:
        await self._db.execute(insert(t.voices).values(_voice_row(voice)))

    async def get(self, voice_id: UUID) -> Voice | None:
        row = (await self._db.execute(select(t.voices).where(t.voices.c.id == voice_id))).first()
        return None if row is None else _voice(row._mapping)

    async def update(self, voice: Voice) -> None:
        values = _voice_row(voice)
        del values["id"], values["created_at"]
        await self._db.execute(update(t.voices).where(t.voices.c.id == voice.id).values(values))

    async def delete(self, voice_id: UUID) -> None:
        await self._db.execute(delete(t.voices).where(t.voices.c.id == voice_id))

    async def list(self, *, published_only: bool) -> list[Voice]:
        query = select(t.voices).order_by(t.voices.c.priority.desc(), t.voices.c.name)
        if published_only:
            query = query.where(t.voices.c.published.is_(True))
        return [_voice(row._mapping) for row in await self._db.execute(query)]

    async def count(self) -> int:
        return int(
            (await self._db.execute(select(func.count()).select_from(t.voices))).scalar_one()
        )


# --- generations ---------------------------------------------------------------------

_GENERATION_COLUMNS = [c.name for c in t.generations.columns]


def _generation_row(generation: Generation) -> dict[str, Any]:
    row = {name: getattr(generation, name) for name in _GENERATION_COLUMNS}
    row["status"] = str(generation.status)
    row["error_category"] = (
        None if generation.error_category is None else str(generation.error_category)
    )
    return row


def _generation(row: RowMapping) -> Generation:
    values = dict(row)
    values["status"] = GenerationStatus(values["status"])
    if values["error_category"] is not None:
        values["error_category"] = ErrorCategory(values["error_category"])
    return Generation(**values)


class SqlGenerations(GenerationFiling, Repository):
    async def add(self, generation: Generation) -> None:
        await self._db.execute(insert(t.generations).values(_generation_row(generation)))

    async def get(self, generation_id: UUID) -> Generation | None:
        return await self._one(t.generations.c.id == generation_id)

    async def get_owned(self, generation_id: UUID, owner_id: UUID) -> Generation | None:
        return await self._one(
            t.generations.c.id == generation_id,
            t.generations.c.owner_id == owner_id,
            t.generations.c.deleted_at.is_(None),
        )

    async def get_by_code(self, public_code: str) -> Generation | None:
        return await self._one(t.generations.c.public_code == public_code)

    async def update(self, generation: Generation) -> None:
        values = _generation_row(generation)
        for fixed in ("id", "owner_id", "public_code", "created_at"):
            del values[fixed]
        values["version"] = generation.version + 1
        result = await self._db.execute(
            update(t.generations)
            .where(t.generations.c.id == generation.id)
            .where(t.generations.c.version == generation.version)
            .values(values)
        )
        if result.rowcount != 1:
            raise Conflict("The generation changed meanwhile.", code="stale_generation")
        generation.version += 1

    async def list_owned(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: GenerationFilter | None = None,
        after: HistoryPosition | None = None,
    ) -> list[Generation]:
        query = self.history_query(owner_id, limit=limit, matching=matching, after=after)
        return [_generation(row._mapping) for row in await self._db.execute(query)]

    def history_query(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: GenerationFilter | None = None,
        after: HistoryPosition | None = None,
    ) -> Select[Any]:
        """The statement `list_owned` runs (bench/search.py shows its query plans)."""
        c = t.generations.c
        query = select(t.generations).where(c.owner_id == owner_id, c.deleted_at.is_(None))
        if matching is not None:
            if matching.voice_id is not None:
                query = query.where(c.voice_id == matching.voice_id)
            if matching.status is not None:
                query = query.where(c.status == str(matching.status))
            if matching.created_from is not None:
                query = query.where(c.created_at >= matching.created_from)
            if matching.created_to is not None:
                query = query.where(c.created_at < matching.created_to)
            query = query.where(*filter_conditions(self._db.dialect.name, owner_id, matching))
        if after is not None:
            # Keyset: strictly older than the last item shown, ties broken by id. The
            # redundant `created_at <=` is what both engines turn into an index range
            # (owner_id, created_at): without it a deep page walks every newer row.
            query = query.where(
                c.created_at <= after.created_at,
                or_(c.created_at < after.created_at, c.id < after.id),
            )
        return query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Generation]:
        c = t.generations.c
        query = (
            select(t.generations)
            .where(c.status == str(GenerationStatus.PENDING), c.deleted_at.is_(None))
            .where(or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
            .where(or_(c.enqueued_at.is_(None), c.enqueued_at < enqueued_before))
            .order_by(c.next_attempt_at.asc().nulls_first())
            .limit(limit)
        )
        return [_generation(row._mapping) for row in await self._db.execute(query)]

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Generation]:
        c = t.generations.c
        query = (
            select(t.generations)
            .where(c.status == str(GenerationStatus.PROCESSING), c.deleted_at.is_(None))
            .where(c.lease_expires_at <= now)
            .order_by(c.lease_expires_at)
            .limit(limit)
        )
        return [_generation(row._mapping) for row in await self._db.execute(query)]

    async def mark_enqueued(self, generation_ids: Sequence[UUID], *, now: datetime | None) -> None:
        if generation_ids:
            await self._db.execute(
                update(t.generations)
                .where(t.generations.c.id.in_(list(generation_ids)))
                .where(t.generations.c.status == str(GenerationStatus.PENDING))
                .values(enqueued_at=now)
            )

    async def list_for_admin(
        self, *, status: GenerationStatus | None, category: ErrorCategory | None, limit: int
    ) -> list[Generation]:
        c = t.generations.c
        query = select(t.generations).where(c.deleted_at.is_(None))
        if status is not None:
            query = query.where(c.status == str(status))
        if category is not None:
            query = query.where(c.error_category == str(category))
        query = query.order_by(c.updated_at.desc(), c.id.desc()).limit(limit)
        return [_generation(row._mapping) for row in await self._db.execute(query)]

    async def _one(self, *conditions: Any) -> Generation | None:
        row = (await self._db.execute(select(t.generations).where(*conditions))).first()
        return None if row is None else _generation(row._mapping)


# --- users --------------------------------------------------------------


_USER_COLUMNS = [c.name for c in t.users.columns]


def _user(row: RowMapping) -> User:
    values = dict(row)
    values["role"] = Role(values["role"])
    values["status"] = UserStatus(values["status"])
    return User(**values)


def _user_row(user: User) -> dict[str, Any]:
    row = {name: getattr(user, name) for name in _USER_COLUMNS}
    row["role"] = str(user.role)
    row["status"] = str(user.status)
    return row


class SqlUsers(Repository):
    async def add(self, user: User) -> None:
        try:
            async with self._db.begin_nested():
                await self._db.execute(insert(t.users).values(_user_row(user)))
        except IntegrityError:
            raise Conflict(f"{user.email} already has an account.", code="email_taken") from None

    async def get(self, user_id: UUID) -> User | None:
        row = (await self._db.execute(select(t.users).where(t.users.c.id == user_id))).first()
        return None if row is None else _user(row._mapping)

    async def get_by_email(self, email: str) -> User | None:
        row = (await self._db.execute(select(t.users).where(t.users.c.email == email))).first()
        return None if row is None else _user(row._mapping)

    async def update(self, user: User) -> None:
        values = _user_row(user)
        del values["id"], values["created_at"]
        try:
            async with self._db.begin_nested():
                await self._db.execute(
                    update(t.users).where(t.users.c.id == user.id).values(values)
                )
        except IntegrityError:
            raise Conflict(f"{user.email} already has an account.", code="email_taken") from None

    async def advance_totp_step(self, user_id: UUID, step: int) -> bool:
        c = t.users.c
        result = await self._db.execute(
            update(t.users)
            .where(c.id == user_id, or_(c.totp_last_step.is_(None), c.totp_last_step < step))
            .values(totp_last_step=step)
        )
        return result.rowcount == 1

    async def list_admins(self) -> list[User]:
        rows = await self._db.execute(
            select(t.users).where(t.users.c.role == str(Role.ADMIN)).order_by(t.users.c.email)
        )
        return [_user(row._mapping) for row in rows]

    async def list(self) -> list[User]:
        rows = await self._db.execute(select(t.users).order_by(t.users.c.email))
        return [_user(row._mapping) for row in rows]


# --- scans and listens ---------------------------------------------------------------


class SqlPlaybackEvents(Repository):
    async def add(self, event: PlaybackEvent) -> None:
        await self._db.execute(
            insert(t.playback_events).values(
                id=event.id,
                generation_id=event.generation_id,
                kind=str(event.kind),
                occurred_at=event.occurred_at,
                user_agent=event.user_agent,
            )
        )

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        if not generation_ids:
            return {}
        c = t.playback_events.c
        rows = await self._db.execute(
            select(c.generation_id, c.kind, func.count())
            .where(c.generation_id.in_(list(generation_ids)))
            .group_by(c.generation_id, c.kind)
        )
        tally: dict[UUID, dict[str, int]] = {}
        for generation_id, kind, count in rows:
            tally.setdefault(generation_id, {})[kind] = int(count)
        return {
            gid: PlaybackCounts(
                scans=tally.get(gid, {}).get(PlaybackEventKind.SCAN, 0),
                listens=tally.get(gid, {}).get(PlaybackEventKind.LISTEN, 0),
            )
            for gid in generation_ids
        }
