"""Use cases of a user's preferences (P7-P10): default voice, QR size, the draft
being typed, the voices used lately, and the time zone analytics are shown in."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.profile.ports import ProfileUnitOfWork
from voiceqr.domain.accounts.users import User
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.errors import ValidationError

Clock = Callable[[], datetime]

EDITABLE = frozenset({"default_voice_id", "qr_size", "time_zone"})
# How many of the latest generations are read to find the recent voices.
_RECENT_WINDOW = 50


async def _published_or_none(uow: ProfileUnitOfWork, voice_id: UUID | None) -> UUID | None:
    if voice_id is None:
        return None
    voice = await uow.voices.get(voice_id)
    return voice_id if voice is not None and voice.published else None


async def _require_published(uow: ProfileUnitOfWork, voice_id: UUID | None) -> None:
    if voice_id is not None and await _published_or_none(uow, voice_id) is None:
        raise ValidationError("Pick one of the voices in the gallery.", code="unknown_voice")


@dataclass(frozen=True, slots=True, kw_only=True)
class Preferences:
    """What a user set once for every generation, and the draft they are typing."""

    uow: Callable[[], ProfileUnitOfWork]
    clock: Clock

    async def get(self, user: User) -> UserPreferences:
        """The user's preferences (the defaults if never saved).

        A voice unpublished or removed since it was chosen reads as no voice.
        """
        async with self.uow() as uow:
            stored = await uow.preferences.get(user.id) or UserPreferences.defaults(user.id)
            return dataclasses.replace(
                stored,
                default_voice_id=await _published_or_none(uow, stored.default_voice_id),
                draft_voice_id=await _published_or_none(uow, stored.draft_voice_id),
            )

    async def update(self, user: User, changes: Mapping[str, object]) -> UserPreferences:
        """Change `default_voice_id`, `qr_size` and/or `time_zone` (an IANA name, or ""
        for the browser's); the draft is left alone.

        Raises ValidationError, and changes nothing, for other fields, a size out of
        range, a voice that is not published or a name that is not a time zone.
        """
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValidationError(
                f"These preferences do not exist: {', '.join(sorted(unknown))}.",
                code="unknown_preference",
            )
        async with self.uow() as uow:
            stored = await uow.preferences.get(user.id) or UserPreferences.defaults(user.id)
            updated = dataclasses.replace(stored, **changes)  # type: ignore[arg-type]
            await _require_published(uow, updated.default_voice_id)
            await uow.preferences.save(updated)
            await uow.commit()
        return updated

    async def save_draft(self, user: User, text: str, voice_id: UUID | None) -> UserPreferences:
        """Keep the text being typed (at most 5000 characters) and its voice, if any."""
        async with self.uow() as uow:
            stored = await uow.preferences.get(user.id) or UserPreferences.defaults(user.id)
            updated = stored.with_draft(text, voice_id, at=self.clock())
            await _require_published(uow, voice_id)
            await uow.preferences.save(updated)
            await uow.commit()
        return updated

    async def clear_draft(self, user: User) -> None:
        """Forget the draft; `Generations.request` does the same when it saves the text."""
        async with self.uow() as uow:
            await uow.preferences.clear_draft(user.id)
            await uow.commit()

    async def recent_voice_ids(self, user: User, limit: int = 5) -> list[UUID]:
        """The voices of the user's latest generations, most recent first, each once."""
        async with self.uow() as uow:
            latest = await uow.generations.list_owned(user.id, limit=_RECENT_WINDOW)
        recent: list[UUID] = []
        for generation in latest:
            if generation.voice_id not in recent:
                recent.append(generation.voice_id)
                if len(recent) == limit:
                    break
        return recent
