"""A user's generation preferences and draft (P7-P9) on SQLAlchemy Core."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from voiceqr.adapters.database import tables as t
from voiceqr.adapters.database.repositories import Repository
from voiceqr.domain.profile.preferences import UserPreferences

_COLUMNS = [c.name for c in t.user_preferences.columns]


class SqlPreferences(Repository):
    async def get(self, user_id: UUID) -> UserPreferences | None:
        row = (
            await self._db.execute(
                select(t.user_preferences).where(t.user_preferences.c.user_id == user_id)
            )
        ).first()
        return None if row is None else UserPreferences(**dict(row._mapping))

    async def save(self, preferences: UserPreferences) -> None:
        values = {name: getattr(preferences, name) for name in _COLUMNS}
        changes = {k: v for k, v in values.items() if k != "user_id"}
        # One statement, so two first saves at once cannot both insert (autosave races).
        insert: Any = (
            postgresql.insert(t.user_preferences)
            if self._db.dialect.name == "postgresql"
            else sqlite.insert(t.user_preferences)
        )
        await self._db.execute(
            insert.values(values).on_conflict_do_update(index_elements=["user_id"], set_=changes)
        )

    async def clear_draft(self, user_id: UUID) -> None:
        await self._db.execute(
            update(t.user_preferences)
            .where(t.user_preferences.c.user_id == user_id)
            .values(draft_text="", draft_voice_id=None, draft_saved_at=None)
        )
