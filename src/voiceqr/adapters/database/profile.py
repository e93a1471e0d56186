"""A user's generation preferences and draft on SQLAlchemy Core:
the table and its repository."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Column, Integer, String, Table, Text, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of, upsert
from voiceqr.application.shared.ports import PreferencesRepository
from voiceqr.domain.profile.preferences import UserPreferences

user_preferences = Table(
    "user_preferences",
    metadata,
    belongs_to("user_id", "users", primary_key=True),
    # No foreign key to voices: a removed voice leaves a stale id the reads ignore.
    Column("default_voice_id", GUID),
    Column("qr_size", Integer, nullable=False, server_default="512"),
    Column("draft_text", Text, nullable=False, server_default=""),
    Column("draft_voice_id", GUID),
    Column("draft_saved_at", DateTimeUTC),
    # The time zone analytics are shown in ("": the browser's); added by migration 0014.
    Column("time_zone", String(64), nullable=False, server_default=""),
)


class SqlPreferences(Repository):
    async def get(self, user_id: UUID) -> UserPreferences | None:
        row = await self._first(
            select(user_preferences).where(user_preferences.c.user_id == user_id)
        )
        return None if row is None else UserPreferences(**row)

    async def save(self, preferences: UserPreferences) -> None:
        values = row_of(user_preferences, preferences)
        changes = {k: v for k, v in values.items() if k != "user_id"}
        # One statement, so two first saves at once cannot both insert (autosave races).
        await self._db.execute(
            upsert(self._db, user_preferences)
            .values(values)
            .on_conflict_do_update(index_elements=["user_id"], set_=changes)
        )

    async def clear_draft(self, user_id: UUID) -> None:
        await self._db.execute(
            update(user_preferences)
            .where(user_preferences.c.user_id == user_id)
            .values(draft_text="", draft_voice_id=None, draft_saved_at=None)
        )


class ProfilePart(Part):
    """The profile feature's share of the unit of work."""

    preferences: PreferencesRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.preferences = SqlPreferences(connection)
        super().attach(connection)
