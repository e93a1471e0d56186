"""Compare voices side by side: one short text read by two to four voices.

Each reading is a preview (`domain.generations.previews`), made in the background by
the generation pipeline's machinery: saved as a pending row, handed to the queue after
the commit, claimed with a lease, spoken by the voice's provider, stored in the audio
store, retried with backoff, put back by a sweep when a worker is lost. Previews are
shared by cache key, so a text and voice compared before play at once for anyone and
cost nothing; only new previews count against a user's day. A periodic job deletes
the expired ones and their audio.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.generations.ports import (
    PreviewRepository,
    PreviewsUnitOfWork,
    TextScreen,
)
from voiceqr.application.generations.speaking import SpeechJob, SpeechPipeline, SpeechWork
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission, can
from voiceqr.domain.generations.generation import (
    GenerationStatus,
    clean_text,
)
from voiceqr.domain.generations.previews import (
    Comparison,
    DailyAllowance,
    Preview,
    cache_key,
    chosen_voices,
    preview_text,
)
from voiceqr.domain.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice

log = logging.getLogger(__name__)

# The job that makes a preview's audio: `process_preview(<preview id>)`.
PROCESS_PREVIEW = "voiceqr.process_preview"
_COMPARE_TRIES = 3


@dataclass(frozen=True, slots=True)
class PreviewReading:
    """One voice's reading in a comparison, as its owner sees it.

    `status` is a generation's (`pending`, `processing`, `completed`, `failed`) or
    `expired` once the preview is gone; `audio_url` is set when it is completed."""

    voice_id: UUID
    voice_name: str
    preview_id: UUID
    status: str
    audio_url: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """A comparison and where each of its readings is: the one read model of the
    JSON API and the page."""

    id: UUID
    text: str
    created_at: datetime
    expires_at: datetime
    readings: list[PreviewReading]
    new_previews: int = 0  # how many this request made (the others were found made)

    @property
    def done(self) -> bool:
        """Nothing left to wait for: every reading is completed, failed or expired."""
        return all(r.status not in ("pending", "processing") for r in self.readings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Previews(SpeechPipeline[PreviewsUnitOfWork]):
    """Comparing voices: ask for a comparison, follow it, and make, sweep and expire
    the previews behind it."""

    allowance: DailyAllowance
    keep: timedelta  # how long a preview and a comparison are kept after their last use
    screen: TextScreen

    async def compare(self, user: User, *, text: str, voice_ids: list[UUID]) -> ComparisonView:
        """Save a comparison of `text` read by each voice, reusing every preview made
        already and asking for the others; returns it as it is now.

        Refused with ValidationError for a bad text or number of voices, NotFound for a
        voice the user cannot see (unpublished, or none), and PreviewLimitReached when
        the new previews would pass the user's daily allowance: nothing is saved then.
        """
        if not user.is_verified:
            raise PermissionDenied(
                "Confirm your email address first: follow the link we mailed you.",
                code="email_unverified",
            )
        picked = chosen_voices(voice_ids)
        spoken = preview_text(text)
        await self.screen.refuse_unless_speakable(spoken)
        for _ in range(_COMPARE_TRIES):
            try:
                comparison, made = await self._save_comparison(user, picked, spoken)
            except Conflict:
                continue  # another compare made one of these previews meanwhile: use it
            await self.hand_to_queue(made)
            view = await self._view(comparison)
            return ComparisonView(
                id=view.id,
                text=view.text,
                created_at=view.created_at,
                expires_at=view.expires_at,
                readings=view.readings,
                new_previews=len(made),
            )
        raise Conflict("Many people compare these voices right now; try again.", code="busy")

    async def comparison(self, user: User, comparison_id: UUID) -> ComparisonView:
        """The user's comparison and the state of each reading; NotFound for anyone else's."""
        async with self.uow() as uow:
            comparison = await uow.comparisons.get_owned(comparison_id, user.id)
        if comparison is None:
            raise NotFound("This comparison does not exist.", code="comparison_not_found")
        return await self._view(comparison)

    async def _save_comparison(
        self, user: User, voice_ids: list[UUID], spoken: str
    ) -> tuple[Comparison, list[UUID]]:
        async with self.uow() as uow:
            now = self.clock()
            voices = [await self._voice_for(uow, user, voice_id, spoken) for voice_id in voice_ids]
            keys = [cache_key(voice, spoken) for voice in voices]
            found = await uow.previews.find(keys)
            # A preview that failed for good is made again, as a new one.
            remade = [p for p in found.values() if p.status is GenerationStatus.FAILED]
            wanted = [k for k in keys if k not in found or found[k] in remade]
            made_lately = await uow.previews.made_by_since(user.id, now - self.allowance.window)
            self.allowance.check(made=made_lately, wanted=len(wanted), now=now)
            keep_until = now + self.keep
            previews: dict[str, Preview] = {}
            for failed in remade:
                await uow.previews.delete(failed.id)
            for key, voice in zip(keys, voices, strict=True):
                if key in wanted:
                    preview = Preview(
                        id=uuid7(),
                        cache_key=key,
                        voice_id=voice.id,
                        text=spoken,
                        requested_by=user.id,
                        created_at=now,
                        expires_at=keep_until,
                        updated_at=now,
                        next_attempt_at=now,
                    )
                    await uow.previews.add(preview)
                else:
                    preview = found[key]
                previews[key] = preview
            # Used again: each lives at least as long as this comparison. Not a versioned
            # save, so a worker busy with one of them never loses its claim to this.
            await uow.previews.keep_until(
                [previews[k].id for k in keys if k not in wanted], keep_until
            )
            comparison = Comparison(
                id=uuid7(),
                owner_id=user.id,
                text=spoken,
                created_at=now,
                expires_at=keep_until,
                voice_ids=[v.id for v in voices],
                preview_ids=[previews[k].id for k in keys],
            )
            await uow.comparisons.add(comparison)
            await uow.commit()
        log.info(
            "voices compared",
            extra={"comparison_id": str(comparison.id), "new_previews": len(wanted)},
        )
        return comparison, [previews[k].id for k in wanted]

    async def _voice_for(
        self, uow: PreviewsUnitOfWork, user: User, voice_id: UUID, spoken: str
    ) -> Voice:
        """The voice if the user may hear it (published, or the user manages voices)
        and its provider runs here and takes a text this long."""
        voice = await uow.voices.get(voice_id)
        if voice is None or not (voice.published or can(user, Permission.MANAGE_VOICES)):
            raise NotFound(f"There is no voice {voice_id} in the gallery.", code="voice_not_found")
        synthesizer = self.speech.get(voice.provider)
        if synthesizer is None:
            raise ValidationError(
                f"{voice.name} is not available right now; pick another voice.",
                code="voice_unavailable",
            )
        clean_text(spoken, max_length=synthesizer.max_text_length)
        return voice

    async def _view(self, comparison: Comparison) -> ComparisonView:
        async with self.uow() as uow:
            previews = await uow.previews.get_many(comparison.preview_ids)
            voices = {v: await uow.voices.get(v) for v in comparison.voice_ids}
        readings = []
        for voice_id, preview_id in zip(comparison.voice_ids, comparison.preview_ids, strict=True):
            voice = voices.get(voice_id)
            preview = previews.get(preview_id)
            name = voice.name if voice is not None else "A removed voice"
            if preview is None:
                readings.append(PreviewReading(voice_id, name, preview_id, "expired"))
                continue
            url = None
            if preview.status is GenerationStatus.COMPLETED and preview.audio_key is not None:
                url = await self.storage.url(preview.audio_key)
            readings.append(
                PreviewReading(
                    voice_id,
                    name,
                    preview_id,
                    str(preview.status),
                    audio_url=url,
                    error_message=(
                        preview.error_message if preview.status is GenerationStatus.FAILED else None
                    ),
                )
            )
        return ComparisonView(
            id=comparison.id,
            text=comparison.text,
            created_at=comparison.created_at,
            expires_at=comparison.expires_at,
            readings=readings,
        )

    # --- the background work --------------------------------------------------------

    async def process(self, preview_id: UUID) -> str:
        """Claim -> synthesize -> store -> complete, or record the failure; returns what
        it did ("completed", "retry_scheduled", "failed", "skipped").

        Idempotent like a generation's job: a preview that is finished, not due, leased
        elsewhere or gone is skipped."""
        return await self._job().process(preview_id)

    async def sweep(self, *, limit: int = 500) -> int:
        """Put expired leases back and hand due previews to the queue; returns jobs sent."""
        return await self._job().sweep(limit=limit)

    async def hand_to_queue(self, ids: Sequence[UUID]) -> int:
        """Send ids to the queue, each stamped first; what the broker refused is
        unstamped for the next sweep."""
        return await self._job().hand_to_queue(ids)

    def _job(self) -> SpeechJob[PreviewsUnitOfWork, Preview]:
        return SpeechJob(_PREVIEW_WORK, self)

    async def expire(self, *, limit: int = 500) -> int:
        """Delete the previews past their time with their audio, and the comparisons past
        theirs; returns how many previews went.

        A row is deleted only if it is still expired as it is deleted (a compare may have
        used it meanwhile, and then it stays), and its audio goes once the row is gone:
        nothing can point at the deleted audio."""
        now = self.clock()
        async with self.uow() as uow:
            candidates = await uow.previews.expired(now=now, limit=limit)
        gone = 0
        for candidate in candidates:
            async with self.uow() as uow:
                preview = await uow.previews.get(candidate.id)
                if preview is None or not await uow.previews.delete(preview.id, expired_by=now):
                    continue  # gone already, or a compare used it meanwhile
                await uow.commit()
            if preview.audio_key is not None:
                await self.storage.delete(preview.audio_key)
            gone += 1
        async with self.uow() as uow:
            await uow.comparisons.delete_expired(now=now)
            await uow.commit()
        if gone:
            log.info("expired previews deleted", extra={"previews": gone})
        return gone


class _PreviewWork(SpeechWork[PreviewsUnitOfWork, Preview]):
    """A preview's attempt writes nothing besides its row: no history, no mail, no code."""

    noun = "preview"
    task = PROCESS_PREVIEW
    log = log
    voice_removed = "This voice was removed; pick another voice."

    def rows(self, uow: PreviewsUnitOfWork) -> PreviewRepository:
        return uow.previews

    async def started(self, uow: PreviewsUnitOfWork, row: Preview, now: datetime) -> str:
        return f"previews/{row.id}/{row.attempts}.mp3"

    def holds_lease(self, row: Preview, claimed: Preview, now: datetime) -> bool:
        return row.holds_lease(claimed.attempts, now)

    def complete(self, row: Preview, key: str, result: SpeechResult, now: datetime) -> None:
        row.complete(audio_key=key, characters_billed=result.characters_billed, now=now)


_PREVIEW_WORK = _PreviewWork()
