"""Use cases of a generation (C2): request it, process it, recover it, read it, page
through the history (G1) and delete it (G2). Editing it (G3) is in
`voiceqr.application.generations.revisions`; the worker here always makes the current
revision and records its audio on that revision."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from voiceqr.application.generations.failures import (
    close_running_attempt,
    notify_final_failure,
    open_attempt,
)
from voiceqr.application.generations.lookup import owned_generation
from voiceqr.application.generations.ports import (
    GenerationFilter,
    GenerationRepository,
    GenerationsUnitOfWork,
    TextScreen,
)
from voiceqr.application.generations.speaking import SpeechJob, SpeechPipeline, SpeechWork
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.shared.cursors import decode_cursor, encode_cursor
from voiceqr.application.shared.ports import (
    HistoryPosition,
    PublicCodes,
    SpeechResult,
    SpeechSynthesizer,
)
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import AttemptOutcome
from voiceqr.domain.generations.generation import (
    Generation,
    clean_text,
    new_public_code,
)
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.generations.titles import clean_title
from voiceqr.domain.shared.errors import (
    Conflict,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import refuse_control_characters
from voiceqr.domain.voices.voice import Voice

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

MAX_HISTORY_PAGE = 200
# The job that makes a generation's audio: `process_generation(<generation id>)`.
PROCESS_GENERATION = "voiceqr.process_generation"
_DELETE_TRIES = 3


@dataclass(frozen=True, slots=True)
class ProcessingOutcome:
    """What `process` did, for logs and tests."""

    generation_id: UUID
    action: str  # "completed", "retry_scheduled", "failed", "skipped"


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of an owner's history; `next_cursor` fetches the older items (None: no more)."""

    items: list[Generation]
    next_cursor: str | None


async def speakable(
    uow: GenerationsUnitOfWork,
    speech: Mapping[str, SpeechSynthesizer],
    *,
    text: str,
    voice_id: UUID,
) -> tuple[Voice, str]:
    """The voice and cleaned text of a request or an edit, or a ValidationError.

    The voice must be published and its provider configured; the text is held to
    that provider's length limit.
    """
    voice = await uow.voices.get(voice_id)
    if voice is None or not voice.published:
        raise ValidationError("Pick one of the voices in the gallery.", code="unknown_voice")
    synthesizer = speech.get(voice.provider)
    if synthesizer is None:
        raise ValidationError(
            "This voice is not available right now; pick another one.",
            code="voice_unavailable",
        )
    return voice, clean_text(text, max_length=synthesizer.max_text_length)


def first_revision(generation: Generation) -> GenerationRevision:
    """Revision 1: what the generation was requested with."""
    return GenerationRevision(
        id=uuid7(),
        generation_id=generation.id,
        number=generation.revision,
        text=generation.text,
        voice_id=generation.voice_id,
        created_at=generation.created_at,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Generations(SpeechPipeline[GenerationsUnitOfWork]):
    """Everything that happens to a generation, from request to audio."""

    notifications: Notifications
    codes: PublicCodes
    screen: TextScreen

    async def request(
        self, owner: User, *, text: str, voice_id: UUID, title: str | None = None
    ) -> Generation:
        """Save a pending generation, then wake a worker.

        `title` is optional: without one (or a blank one) the first words of the text
        are shown; a title that is too long is refused (422 `title_too_long`).

        The text and the title are screened first: a blocked one is refused (422
        `text_not_allowed`) with nothing written; a held one is saved as
        `pending_review` and not queued; the filter's and rules' flags are saved with
        the generation. The queue is told only after the commit; if the broker is down
        the generation stays pending and the sweeper hands it over later.
        """
        if not owner.is_verified:
            raise PermissionDenied(
                "Confirm your email address first: follow the link we mailed you.",
                code="email_unverified",
            )
        title = clean_title(title)  # refused before anything is screened or written
        generation_id = uuid7()
        screened = await self.screen.screen(
            owner, text, generation_id=generation_id, request=True, title=title
        )
        async with self.uow() as uow:
            voice, cleaned = await speakable(uow, self.speech, text=text, voice_id=voice_id)
            now = self.clock()
            generation = Generation(
                id=generation_id,
                owner_id=owner.id,
                voice_id=voice.id,
                text=cleaned,
                public_code=new_public_code(),
                created_at=now,
                updated_at=now,
                next_attempt_at=now,
                title=title,
            )
            if screened.held:
                generation.hold_for_review(now)
            await uow.generations.add(generation)
            await uow.generation_revisions.add(first_revision(generation))
            await self.screen.record(uow, generation.id, screened)
            # The draft (P9) became this generation: cleared in the same transaction.
            await uow.preferences.clear_draft(owner.id)
            await uow.commit()
        if not screened.held:
            await self.hand_to_queue([generation.id])
        return generation

    def synthesizers(self) -> list[SpeechSynthesizer]:
        return list(self.speech.values())

    async def get_for_owner(self, owner: User, generation_id: UUID) -> Generation:
        async with self.uow() as uow:
            return await owned_generation(uow, generation_id, owner.id)

    async def list_for_owner(self, owner: User, *, limit: int = 50) -> list[Generation]:
        async with self.uow() as uow:
            return await uow.generations.list_owned(owner.id, limit=limit)

    async def history(
        self,
        owner: User,
        *,
        matching: GenerationFilter | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> HistoryPage:
        """A page of the owner's generations, newest first, filtered by `matching`.

        Keyset pagination on (created_at, id): the cursor names the last item shown,
        so generations made meanwhile never shift or repeat the older pages.
        """
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationError(
                f"Ask for 1 to {MAX_HISTORY_PAGE} generations per page.", code="bad_limit"
            )
        matching = _in_utc(matching or GenerationFilter())
        if matching.tag is not None:  # no tag name holds one, and PostgreSQL cannot look it up
            refuse_control_characters(matching.tag, what="A tag name")
        if (
            matching.created_from is not None
            and matching.created_to is not None
            and matching.created_from >= matching.created_to
        ):
            raise ValidationError(
                "created_from must be earlier than created_to.", code="bad_date_range"
            )
        after = None if cursor is None else decode_cursor(cursor)
        async with self.uow() as uow:
            found = await uow.generations.list_owned(
                owner.id, limit=limit + 1, matching=matching, after=after
            )
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(HistoryPosition(items[-1].created_at, items[-1].id))
        return HistoryPage(items=items, next_cursor=next_cursor)

    async def delete(self, owner: User, generation_id: UUID) -> None:
        """Delete one of the owner's generations: the audio of every revision leaves
        storage, a tombstone stays.

        Its public code then says the audio was removed, and a worker still busy
        with it throws its result away. Deleting again, or another owner's id, is
        NotFound. Storage goes first so a failed save can simply be tried again.
        """
        for _ in range(_DELETE_TRIES):
            generation = await self.get_for_owner(owner, generation_id)
            async with self.uow() as uow:
                revisions = await uow.generation_revisions.list_for(generation_id)
            keys = {r.audio_key for r in revisions} | {generation.audio_key}
            for key in sorted(k for k in keys if k is not None):
                await self.storage.delete(key)
            generation.delete(self.clock())
            try:
                async with self.uow() as uow:
                    await uow.generations.update(generation)
                    for revision in revisions:
                        if revision.audio_key is not None:
                            revision.forget_audio()
                            await uow.generation_revisions.update(revision)
                    await uow.commit()
                self.codes.forget(generation.public_code)
            except Conflict:
                continue  # a worker saved it meanwhile (maybe with new audio): look again
            log.info("generation deleted", extra={"generation_id": str(generation_id)})
            return
        raise Conflict(
            "This generation is changing right now; try deleting it again.",
            code="generation_busy",
        )

    async def audio_url(self, generation: Generation) -> str | None:
        return (
            None if generation.audio_key is None else await self.storage.url(generation.audio_key)
        )

    async def process(self, generation_id: UUID) -> ProcessingOutcome:
        """Claim -> synthesize -> store -> complete, or record the failure.

        Idempotent: a generation that is finished, not due or leased elsewhere is
        skipped, so a second delivery of the same job does nothing.
        """
        return ProcessingOutcome(generation_id, await self._job().process(generation_id))

    async def sweep(self, *, limit: int = 500) -> int:
        """Put expired leases back and hand due work to the queue; returns jobs handed over."""
        return await self._job().sweep(limit=limit)

    async def hand_to_queue(self, ids: list[UUID]) -> int:
        """Send ids to the queue, each stamped first; returns how many the broker took
        (what it refused is unstamped for the next sweep)."""
        return await self._job().hand_to_queue(ids)

    def _job(self) -> SpeechJob[GenerationsUnitOfWork, Generation]:
        return SpeechJob(_GenerationWork(notifications=self.notifications, codes=self.codes), self)


@dataclass(frozen=True, slots=True, kw_only=True)
class _GenerationWork(SpeechWork[GenerationsUnitOfWork, Generation]):
    """What a generation's attempt writes besides its row: the attempt history, the
    revision it makes, the owner's mail when it fails for good, and the public code's
    cached answer forgotten."""

    noun = "generation"
    task = PROCESS_GENERATION
    log = log  # this module's: the job's lines keep the name they always had
    voice_removed = "The voice of this generation was removed; pick another voice."

    notifications: Notifications
    codes: PublicCodes

    def rows(self, uow: GenerationsUnitOfWork) -> GenerationRepository:
        return uow.generations

    async def started(self, uow: GenerationsUnitOfWork, row: Generation, now: datetime) -> str:
        number = await open_attempt(uow, row, now=now)
        # Named by the attempt's number in the history, which never repeats (an edit
        # or an admin's retry restarts `attempts`): nothing live is overwritten.
        return f"audio/{row.id}/{number}.mp3"

    def claim_fields(self, row: Generation) -> dict[str, object]:
        return {"revision": row.revision}

    def holds_lease(self, row: Generation, claimed: Generation, now: datetime) -> bool:
        return row.holds_lease(claimed.attempts, now, revision=claimed.revision)

    def complete(self, row: Generation, key: str, result: SpeechResult, now: datetime) -> None:
        row.complete(
            audio_key=key,
            audio_bytes=len(result.audio),
            characters_billed=result.characters_billed,
            now=now,
        )

    async def completed(
        self,
        uow: GenerationsUnitOfWork,
        row: Generation,
        key: str,
        result: SpeechResult,
        now: datetime,
    ) -> None:
        made = await uow.generation_revisions.get(row.id, row.revision)
        if made is not None:
            made.complete(audio_key=key, audio_bytes=len(result.audio), now=now)
            await uow.generation_revisions.update(made)
        running = await uow.generation_attempts.running(row.id)
        if running is not None:
            running.finish(
                AttemptOutcome.COMPLETED, now=now, characters_billed=result.characters_billed
            )
            await uow.generation_attempts.update(running)

    async def failed(
        self, uow: GenerationsUnitOfWork, row: Generation, outcome: AttemptOutcome, now: datetime
    ) -> None:
        await close_running_attempt(uow, row, outcome, now=now)
        if row.is_finished:
            await notify_final_failure(uow, self.notifications, row, now=now)

    def changed(self, row: Generation) -> None:
        self.codes.forget(row.public_code)


def _in_utc(matching: GenerationFilter) -> GenerationFilter:
    """Times without a zone are read as UTC, the zone of every stored time."""

    def utc(moment: datetime | None) -> datetime | None:
        if moment is None:
            return None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # before year 1 or after 9999 in UTC: before or after anything
            return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)

    return replace(
        matching, created_from=utc(matching.created_from), created_to=utc(matching.created_to)
    )
