"""The public playback page (C4) and its scan and listen counting (C5)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.playback.ports import PlaybackUnitOfWork
from voiceqr.application.shared.ports import AudioStorage
from voiceqr.domain.generations.generation import (
    Generation,
    GenerationStatus,
    is_well_formed_public_code,
)
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.shared.errors import NotFound
from voiceqr.domain.shared.ids import uuid7


@dataclass(frozen=True, slots=True)
class PlaybackPage:
    """What the page behind a printed code shows."""

    code: str
    text: str
    voice_name: str
    status: GenerationStatus
    audio_url: str | None


class Playback:
    def __init__(
        self,
        *,
        uow: Callable[[], PlaybackUnitOfWork],
        storage: AudioStorage,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._clock = clock

    async def page(self, code: str) -> PlaybackPage:
        """What the code plays: the live audio with the text and voice it was made from.

        While a new revision (G3) is being made, or after it failed, that is still the
        earlier revision; the page switches once the new one completes.
        """
        generation = await self._find(code)
        text, voice_id, audio_url = generation.text, generation.voice_id, None
        async with self._uow() as uow:
            if generation.audio_key is not None:
                audio_url = await self._storage.url(generation.audio_key)
                if generation.live_revision is not None:
                    live = await uow.generation_revisions.get(
                        generation.id, generation.live_revision
                    )
                    if live is not None:
                        text, voice_id = live.text, live.voice_id
            voice = await uow.voices.get(voice_id)
        return PlaybackPage(
            code=code,
            text=text,
            voice_name=voice.name if voice else "",
            status=generation.status,
            audio_url=audio_url,
        )

    async def record_scan(self, code: str, *, user_agent: str = "") -> None:
        await self._record(code, PlaybackEventKind.SCAN, user_agent)

    async def record_listen(self, code: str, *, user_agent: str = "") -> None:
        await self._record(code, PlaybackEventKind.LISTEN, user_agent)

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        async with self._uow() as uow:
            return await uow.playback_events.counts(generation_ids)

    async def _record(self, code: str, kind: PlaybackEventKind, user_agent: str) -> None:
        generation = await self._find(code)
        async with self._uow() as uow:
            await uow.playback_events.add(
                PlaybackEvent(
                    id=uuid7(),
                    generation_id=generation.id,
                    kind=kind,
                    occurred_at=self._clock(),
                    user_agent=user_agent[:500],
                )
            )
            await uow.commit()

    async def _find(self, code: str) -> Generation:
        generation = None
        if is_well_formed_public_code(code):
            async with self._uow() as uow:
                generation = await uow.generations.get_by_code(code)
        if generation is None:
            raise NotFound("This code does not lead to any audio.", code="code_not_found")
        if generation.is_deleted:
            # Told apart from an unknown code: the HTTP layer answers 410 Gone.
            raise NotFound("The owner of this code removed its audio.", code="audio_removed")
        return generation
