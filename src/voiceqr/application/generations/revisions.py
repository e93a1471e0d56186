"""Edit and regenerate (G3): a new revision of a generation, made in the background,
behind the same public code; and the admins' edit-and-requeue of a failed one (F3).

The generation row carries the current job (the newest revision's text and voice)
and the live audio (`audio_key` of `live_revision`). An edit only moves the job: the
printed QR code keeps playing the live audio until the worker completes the new
revision, and keeps playing it if the new revision fails for good.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.generations.generations import speakable
from voiceqr.application.generations.lookup import live_generation, owned_generation
from voiceqr.application.generations.ports import GenerationsUnitOfWork, TextScreen
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.ports import AudioStorage, SpeechSynthesizer
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.revisions import GenerationRevision, revision_status
from voiceqr.domain.generations.titles import clean_title
from voiceqr.domain.moderation.screening import Screened
from voiceqr.domain.shared.errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RevisionView:
    """One revision as its owner sees it in the list."""

    number: int
    text: str
    voice_id: UUID
    voice_name: str  # "" when the voice was removed since
    created_at: datetime
    completed_at: datetime | None
    status: GenerationStatus
    live: bool  # its audio is what the public code plays
    audio_url: str | None


@dataclass(frozen=True, slots=True)
class Edit:
    """What to change; None keeps the current value. At least one must be given.

    A new title alone renames the generation and makes nothing again; a blank title
    ("") goes back to the first words of the text.
    """

    text: str | None = None
    voice_id: UUID | None = None
    title: str | None = None

    @property
    def remakes(self) -> bool:
        """The text or voice changes: a new revision is made."""
        return self.text is not None or self.voice_id is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRevisions:
    """Edit a generation into a new revision, list its revisions (G3), and let admins
    edit and requeue a failed one (F3).

    Staff use cases take the actor (a staff member, or OPERATOR at the terminal) and
    need the permission to recover generations.
    """

    uow: Callable[[], GenerationsUnitOfWork]
    speech: Mapping[str, SpeechSynthesizer]
    storage: AudioStorage
    hand_to_queue: Callable[[list[UUID]], Awaitable[int]]
    clock: Callable[[], datetime]
    screen: TextScreen

    async def edit(self, owner: User, generation_id: UUID, edit: Edit) -> Generation:
        """Make a new revision of the owner's completed or failed generation.

        Validated like a new request (published voice, the voice's text limit).
        While a version is being made: Conflict `generation_busy` (409); nothing
        that changes: ValidationError `nothing_changed`; another owner's or a
        deleted generation: NotFound. The job is handed to the queue after the
        commit; the live audio keeps playing until the new revision completes.
        """
        if not owner.is_verified:
            raise PermissionDenied(
                "Confirm your email address first: follow the link we mailed you.",
                code="email_unverified",
            )

        async def find(uow: GenerationsUnitOfWork) -> Generation:
            return await owned_generation(uow, generation_id, owner.id)

        generation = await self._revise(find, edit)
        log.info(
            "generation edited",
            extra={"generation_id": str(generation_id), "revision": generation.revision},
        )
        return generation

    async def edit_failed(
        self, actor: Actor, generation_id: UUID, edit: Edit, *, ip: str = ""
    ) -> Generation:
        """An admin's edit-and-requeue (F3): a failed generation of any owner gets a new
        revision with the corrected text or voice and is queued with a fresh attempt
        budget. Anything but failed: Conflict (409), like a retry. The edit is written
        to the audit log in the same transaction."""
        require(actor, Permission.RECOVER_GENERATIONS)

        async def find(uow: GenerationsUnitOfWork) -> Generation:
            generation = await live_generation(uow, generation_id)
            if generation.status is not GenerationStatus.FAILED:
                raise IllegalTransition(
                    "Only a failed generation can be edited and requeued; "
                    f"this one is {generation.status}."
                )
            return generation

        async def audit(uow: GenerationsUnitOfWork, generation: Generation, now: datetime) -> None:
            await record(
                uow,
                actor,
                "generation.edit",
                target=("generation", generation.id),
                now=now,
                ip=ip,
                details={
                    "revision": generation.revision,
                    "text_changed": edit.text is not None,
                    "voice_id": str(generation.voice_id),
                },
            )

        generation = await self._revise(find, edit, audit=audit)
        log.info(
            "generation edited and requeued by admin",
            extra={
                "generation_id": str(generation_id),
                "revision": generation.revision,
                "admin_id": actor.actor_label if actor.id is None else str(actor.id),
            },
        )
        return generation

    async def list_for_owner(self, owner: User, generation_id: UUID) -> list[RevisionView]:
        """Every revision of the owner's generation, newest first, each with its audio
        (another owner's or a deleted generation: NotFound)."""
        async with self.uow() as uow:
            generation = await owned_generation(uow, generation_id, owner.id)
        return await self.revisions_of(generation)

    async def revisions_of(self, generation: Generation) -> list[RevisionView]:
        """The revisions of a generation the caller has read for its owner, seen as of
        that read: a revision the worker finished since is still shown as being made,
        so a page never contradicts itself."""
        async with self.uow() as uow:
            revisions = await uow.generation_revisions.list_for(generation.id)
            names: dict[UUID, str] = {}
            for voice_id in {r.voice_id for r in revisions if r.number <= generation.revision}:
                voice = await uow.voices.get(voice_id)
                names[voice_id] = voice.name if voice is not None else ""
        return [
            await self._view(generation, r, names[r.voice_id])
            for r in revisions
            if r.number <= generation.revision  # an edit made since the read
        ]

    async def _view(
        self, generation: Generation, revision: GenerationRevision, voice_name: str
    ) -> RevisionView:
        status = revision_status(revision, generation)
        return RevisionView(
            number=revision.number,
            text=revision.text,
            voice_id=revision.voice_id,
            voice_name=voice_name,
            created_at=revision.created_at,
            completed_at=revision.completed_at if status is GenerationStatus.COMPLETED else None,
            status=status,
            live=revision.number == generation.live_revision,
            audio_url=None
            if revision.audio_key is None or status is not GenerationStatus.COMPLETED
            else await self.storage.url(revision.audio_key),
        )

    async def _revise(
        self,
        find: Callable[[GenerationsUnitOfWork], Awaitable[Generation]],
        edit: Edit,
        *,
        audit: Callable[[GenerationsUnitOfWork, Generation, datetime], Awaitable[None]]
        | None = None,
    ) -> Generation:
        """Find the generation, check the edit like a request, start the next revision,
        save both in one transaction, then hand the job to the queue."""
        if not edit.remakes and edit.title is None:
            raise ValidationError(
                "Send a new text, a new voice or a new title.", code="nothing_to_change"
            )
        title = clean_title(edit.title)
        # An existing generation's title is shown at once, even while a new revision
        # waits for review: a title the filter would hold is refused, not saved.
        named = Screened() if title is None else await self.screen.screen_title(title)
        if named.held:
            raise ValidationError(
                "This title needs a moderator's review before it can be shown. "
                "Choose another title and try again.",
                code="title_needs_review",
            )
        if not edit.remakes:
            return await self._retitle(find, title, named)
        async with self.uow() as uow:  # the text to screen: the new one, or the one kept
            current = await find(uow)
            owner = await uow.users.get(current.owner_id)
        if owner is None:
            raise NotFound("This generation does not exist.", code="generation_not_found")
        screened = await self.screen.screen(
            owner,
            current.text if edit.text is None else edit.text,
            generation_id=current.id,
            request=False,
        )
        screened = Screened(held=screened.held, flags=(*screened.flags, *named.flags))
        async with self.uow() as uow:
            generation = await find(uow)
            voice, text = await speakable(
                uow,
                self.speech,
                text=generation.text if edit.text is None else edit.text,
                voice_id=edit.voice_id or generation.voice_id,
            )
            now = self.clock()
            number = generation.revise(text=text, voice_id=voice.id, now=now)
            if screened.held:
                generation.hold_for_review(now)
            if edit.title is not None:
                generation.retitle(title)
                await uow.generations.retitle(generation.id, generation.title)
            try:
                await uow.generations.update(generation)
                await uow.generation_revisions.add(
                    GenerationRevision(
                        id=uuid7(),
                        generation_id=generation.id,
                        number=number,
                        text=text,
                        voice_id=voice.id,
                        created_at=now,
                    )
                )
            except Conflict:
                raise Conflict(
                    "This generation changed while it was being edited; look at it and try again.",
                    code="generation_busy",
                ) from None
            await self.screen.record(uow, generation.id, screened)
            if audit is not None:
                await audit(uow, generation, now)
            await uow.commit()
        if not screened.held:
            await self.hand_to_queue([generation.id])
        return generation

    async def _retitle(
        self,
        find: Callable[[GenerationsUnitOfWork], Awaitable[Generation]],
        title: str | None,
        screened: Screened,
    ) -> Generation:
        """Rename only: allowed in any state, a job being made included, since the
        title is saved apart from the job's columns. The title was screened (blocked and
        held ones refused); one the filter flags is saved with the filter's flag, which
        puts the generation before the moderators."""
        async with self.uow() as uow:
            generation = await find(uow)
            generation.retitle(title)
            await uow.generations.retitle(generation.id, generation.title)
            await self.screen.record(uow, generation.id, screened)
            await uow.commit()
        log.info("generation renamed", extra={"generation_id": str(generation.id)})
        return generation
