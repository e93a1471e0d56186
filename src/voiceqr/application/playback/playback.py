"""The public playback page (C4) and its scan and listen counting (C5).

This is the hot path of the product: every scan of every printed code opens the page.
The code is looked up through a short-lived cache (`CodeCache`) and each scan or listen
is appended to an event log that stores them in batches, so a scan reads and writes no
database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.playback.codes import CodeCache
from voiceqr.application.playback.ports import PlaybackEventLog, PlaybackUnitOfWork
from voiceqr.application.shared.ports import AudioStorage
from voiceqr.domain.generations.generation import GenerationStatus, is_well_formed_public_code
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.shared.errors import Gone, NotFound
from voiceqr.domain.shared.ids import uuid7


@dataclass(frozen=True, slots=True)
class PlaybackPage:
    """What the page behind a printed code shows."""

    code: str
    text: str
    voice_name: str
    status: GenerationStatus
    audio_url: str | None


@dataclass(frozen=True, slots=True)
class PublicCode:
    """What a code leads to, as the cache keeps it: the page, or that it was removed."""

    generation_id: UUID
    page: PlaybackPage | None  # None: its owner deleted it


class Playback:
    def __init__(
        self,
        *,
        uow: Callable[[], PlaybackUnitOfWork],
        storage: AudioStorage,
        clock: Callable[[], datetime],
        events: PlaybackEventLog,
        codes: CodeCache[PublicCode | None],
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._clock = clock
        self._events = events
        self._codes = codes

    async def page(self, code: str) -> PlaybackPage:
        """What the code plays: the live audio with the text and voice it was made from.

        While a new revision (G3) is being made, or after it failed, that is still the
        earlier revision; the page switches once the new one completes.
        """
        return _shown(await self._find(code))

    async def scan(self, code: str, *, user_agent: str = "") -> PlaybackPage:
        """The page of a code that was just scanned (opened), the scan appended to the log."""
        found = await self._find(code)
        page = _shown(found)
        await self._append(found, PlaybackEventKind.SCAN, user_agent)
        return page

    async def record_listen(self, code: str, *, user_agent: str = "") -> None:
        found = await self._find(code)
        _shown(found)
        await self._append(found, PlaybackEventKind.LISTEN, user_agent)

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        async with self._uow() as uow:
            return await uow.playback_events.counts(generation_ids)

    async def store_events(self, events: Sequence[PlaybackEvent]) -> None:
        """Store a batch the event log hands over (in the workers, or in this process)."""
        async with self._uow() as uow:
            await uow.playback_events.add_many(events)
            await uow.commit()

    async def deliver_events(self) -> None:
        """Store what the event log holds, in batches, until cancelled."""
        await self._events.drain(self.store_events)

    async def _append(self, found: PublicCode, kind: PlaybackEventKind, user_agent: str) -> None:
        await self._events.append(
            PlaybackEvent(
                id=uuid7(),
                generation_id=found.generation_id,
                kind=kind,
                occurred_at=self._clock(),
                user_agent=user_agent[:500],
            )
        )

    async def _find(self, code: str) -> PublicCode:
        found = None
        if is_well_formed_public_code(code):
            found = await self._codes.get(code, self._read)
        if found is None:
            raise NotFound("This code does not lead to any audio.", code="code_not_found")
        return found

    async def _read(self, code: str) -> PublicCode | None:
        async with self._uow() as uow:
            generation = await uow.generations.get_by_code(code)
            if generation is None:
                return None
            if generation.is_deleted:
                return PublicCode(generation.id, None)
            text, voice_id, audio_url = generation.text, generation.voice_id, None
            if generation.audio_key is not None:
                audio_url = await self._storage.url(generation.audio_key)
                if generation.live_revision is not None:
                    live = await uow.generation_revisions.get(
                        generation.id, generation.live_revision
                    )
                    if live is not None:
                        text, voice_id = live.text, live.voice_id
            voice = await uow.voices.get(voice_id)
        page = PlaybackPage(
            code=code,
            text=text,
            voice_name=voice.name if voice else "",
            status=generation.status,
            audio_url=audio_url,
        )
        return PublicCode(generation.id, page)


def _shown(found: PublicCode) -> PlaybackPage:
    if found.page is None:
        # Told apart from an unknown code: the HTTP layer answers 410 Gone.
        raise Gone("The owner of this code removed its audio.", code="audio_removed")
    return found.page
