"""The fake preferences store."""

from __future__ import annotations

import copy
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.shared.ports import (
    PreferencesRepository,
)
from voiceqr.domain.profile.preferences import UserPreferences


class FakePreferences(Table):
    async def get(self, user_id: UUID) -> UserPreferences | None:
        return copy.deepcopy(self._db.preferences.get(user_id))

    async def save(self, preferences: UserPreferences) -> None:
        self._db.preferences[preferences.user_id] = copy.deepcopy(preferences)
        self._wrote()

    async def clear_draft(self, user_id: UUID) -> None:
        stored = self._db.preferences.get(user_id)
        if stored is not None and stored.has_draft:
            self._db.preferences[user_id] = stored.without_draft()
            self._wrote()


class ProfilePart(Part):
    """The profile feature's fake repositories."""

    preferences: PreferencesRepository

    def attach(self) -> None:
        self.preferences = FakePreferences(self)
        super().attach()
