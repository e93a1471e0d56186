"""The voice gallery: choosing a voice for users, curating the gallery for staff, and
seeding the default voices."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from voiceqr.application.shared.audit import record
from voiceqr.application.shared.ports import AudioStorage, SpeechSynthesizer
from voiceqr.application.voices.ports import VoicesUnitOfWork
from voiceqr.domain.authz import Actor, Permission, can, require
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.choosing import (
    FilterOptions,
    Popularity,
    VoiceQuery,
    choose,
    filter_options,
)
from voiceqr.domain.voices.voice import (
    Editor,
    Voice,
    VoiceSample,
    check_labels,
    publishing_problems,
)

log = logging.getLogger(__name__)

SAMPLE_TEXT = "Hello! Scan the code and listen: this is how I sound."

EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "type",
        "language",
        "region",
        "accent",
        "age",
        "style",
        "use_cases",
        "tags",
        "categories",
        "provider",
        "provider_voice_id",
        "published",
        "priority",
        "samples",
    }
)
# A change to one of these can make a published voice unplayable: it is checked again.
_PUBLISHING_FIELDS = frozenset({"published", "provider", "provider_voice_id", "samples"})
# Display priorities a reorder hands out: a step apart, the first voice highest.
_ORDER_STEP = 10


@dataclass(frozen=True, slots=True)
class VoiceSpec:
    """The fields of a voice an admin types (or a seed list holds)."""

    name: str
    provider_voice_id: str
    provider: str = "espeak"
    description: str = ""
    type: str = ""
    language: str = ""
    region: str = ""
    age: str = ""
    style: str = ""
    published: bool = False
    priority: int = 0
    accent: str = ""
    use_cases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VoiceCard:
    """A voice as the gallery lists it: with how much it is used."""

    voice: Voice
    popularity: Popularity = field(default_factory=Popularity)


class Removal(StrEnum):
    DELETED = "deleted"
    UNPUBLISHED = "unpublished"  # generations use it: it stays, hidden, so they keep working


@dataclass(frozen=True, slots=True)
class RemovalOutcome:
    """What deleting a voice did, and how many generations use it."""

    voice_id: UUID
    outcome: Removal
    generations: int


class BatchAction(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    DELETE = "delete"
    TAG = "tag"
    UNTAG = "untag"


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceGallery:
    uow: Callable[[], VoicesUnitOfWork]
    storage: AudioStorage
    speech: Mapping[str, SpeechSynthesizer]
    clock: Callable[[], datetime]

    async def list_for(self, user: Actor | None) -> list[Voice]:
        """Published voices whose provider runs here (None: a visitor); those who manage
        voices see every voice."""
        everything = user is not None and can(user, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voices = await uow.voices.list(published_only=not everything)
        return voices if everything else [v for v in voices if v.provider in self.speech]

    async def browse(self, user: Actor | None, query: VoiceQuery) -> list[VoiceCard]:
        """The gallery as `user` may see it (see `list_for`), searched, filtered and
        sorted as `query` asks, each voice with its popularity (one grouped read)."""
        everything = user is not None and can(user, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voices = await uow.voices.list(published_only=not everything)
            if not everything:
                voices = [v for v in voices if v.provider in self.speech]
            popularity = await uow.voices.popularity([v.id for v in voices])
        return [VoiceCard(v, popularity[v.id]) for v in choose(voices, query, popularity)]

    async def filters(self) -> FilterOptions:
        """The values the gallery's filters can take: those of the published voices
        people can pick."""
        return filter_options(await self.list_for(None))

    async def list_all(self, actor: Actor, *, published_only: bool = False) -> list[Voice]:
        """Every voice (or every published one), whether or not its provider runs here:
        the gallery as those who manage it see it."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            return await uow.voices.list(published_only=published_only)

    async def get(self, voice_id: UUID, *, user: Actor | None = None) -> Voice:
        async with self.uow() as uow:
            voice = await uow.voices.get(voice_id)
        hidden_from_user = user is None or not can(user, Permission.MANAGE_VOICES)
        if voice is None or (not voice.published and hidden_from_user):
            raise _no_such_voice()
        return voice

    async def card(self, voice_id: UUID, *, user: Actor | None = None) -> VoiceCard:
        """One voice as `get` finds it, with its popularity."""
        voice = await self.get(voice_id, user=user)
        async with self.uow() as uow:
            popularity = await uow.voices.popularity([voice.id])
        return VoiceCard(voice, popularity[voice.id])

    async def usage(self, actor: Actor, voice_id: UUID) -> int:
        """How many generations use a voice: what deleting it would keep from happening."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
            return (await uow.voices.popularity([voice.id]))[voice.id].uses

    async def sample_urls(self, voice: Voice) -> list[str]:
        return [await self.storage.url(sample.key) for sample in voice.samples]

    async def example(self) -> tuple[Voice, str] | None:
        """The gallery's first voice a visitor can hear, and its first sample's URL: the
        real example the landing page plays (None while no published voice has one)."""
        for voice in await self.list_for(None):
            if voice.samples:
                return voice, await self.storage.url(voice.samples[0].key)
        return None

    async def create(self, actor: Actor, spec: VoiceSpec, *, ip: str = "") -> Voice:
        """Add a voice (voice managers); the audit log records it with the voice.

        A voice made published must be publishable (see `update`): as it has no sample
        yet, a new voice is made unpublished and published once it has one.
        """
        require(actor, Permission.MANAGE_VOICES)
        now = self.clock()
        editor = _editor(actor)
        voice = Voice(
            id=uuid7(),
            created_at=now,
            updated_at=now,
            created_by=editor,
            updated_by=editor,
            **_spec_fields(spec),
        )
        self._check_provider(voice.provider)
        if voice.published:
            await self._check_publishable([voice])
        async with self.uow() as uow:
            await uow.voices.add(voice)
            await record(
                uow,
                actor,
                "voice.create",
                target=("voice", voice.id),
                now=now,
                ip=ip,
                details={"name": voice.name, "published": voice.published},
            )
            await uow.commit()
        return voice

    async def update(
        self, actor: Actor, voice_id: UUID, changes: Mapping[str, Any], *, ip: str = ""
    ) -> Voice:
        """Change some fields of a voice (voice managers); the audit log names the fields.

        A published voice must have a sample and a voice id its provider accepts (asked
        of the provider): publishing one that does not, or taking that away from a
        published one, is refused and changes nothing.
        """
        require(actor, Permission.MANAGE_VOICES)
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise ValidationError(
                f"Unknown voice fields: {', '.join(sorted(unknown))}.", code="unknown_field"
            )
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
        updated = replace(voice, **changes, updated_at=self.clock(), updated_by=_editor(actor))
        if "provider" in changes:
            self._check_provider(updated.provider)
        if updated.published and _PUBLISHING_FIELDS & set(changes):
            await self._check_publishable([updated])
        async with self.uow() as uow:
            # Checked again inside the transaction: the voice may have gone meanwhile.
            await _existing(uow, voice_id)
            await uow.voices.update(updated)
            await record(
                uow,
                actor,
                "voice.update",
                target=("voice", voice_id),
                now=updated.updated_at or self.clock(),
                ip=ip,
                details={"fields": sorted(changes)},
            )
            await uow.commit()
        return updated

    async def delete(self, actor: Actor, voice_id: UUID, *, ip: str = "") -> RemovalOutcome:
        """Remove a voice and its samples (voice managers), or, when generations use it,
        unpublish it instead so they keep working; the outcome says which."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            outcome, removed = await self._remove(uow, actor, voice_id, ip=ip)
            await uow.commit()
        await self._forget_samples(removed)
        return outcome

    async def reorder(self, actor: Actor, voice_ids: Sequence[UUID], *, ip: str = "") -> None:
        """Set the display priority of every voice from their order in `voice_ids`, the
        first shown first. The list names every voice of the gallery exactly once, so
        nobody reorders a gallery that changed under them."""
        require(actor, Permission.MANAGE_VOICES)
        if len(set(voice_ids)) != len(voice_ids):
            raise ValidationError("A voice is named twice in the order.", code="voice_order_twice")
        async with self.uow() as uow:
            voices = {v.id: v for v in await uow.voices.list(published_only=False)}
            unknown = [str(i) for i in voice_ids if i not in voices]
            missing = [v.name for i, v in voices.items() if i not in set(voice_ids)]
            if unknown or missing:
                raise ValidationError(
                    "The order must name every voice once"
                    + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                    + (f"; missing: {', '.join(missing)}" if missing else "")
                    + ".",
                    code="voice_order_incomplete",
                )
            now = self.clock()
            editor = _editor(actor)
            for position, voice_id in enumerate(voice_ids):
                priority = (len(voice_ids) - position) * _ORDER_STEP
                voice = voices[voice_id]
                if voice.priority != priority:
                    await uow.voices.update(
                        replace(voice, priority=priority, updated_at=now, updated_by=editor)
                    )
            await record(
                uow,
                actor,
                "voice.reorder",
                target=("voice", "gallery"),
                now=now,
                ip=ip,
                details={"order": [str(i) for i in voice_ids]},
            )
            await uow.commit()

    async def batch(
        self,
        actor: Actor,
        action: BatchAction,
        voice_ids: Sequence[UUID],
        *,
        tag: str = "",
        ip: str = "",
    ) -> list[RemovalOutcome]:
        """Publish, unpublish, delete, tag or untag several voices at once, all or none:
        when one cannot be changed (a publish the provider refuses, an unknown id) none
        is, and the error names the voices at fault. A delete answers what it did to
        each voice (see `delete`); the others answer nothing."""
        require(actor, Permission.MANAGE_VOICES)
        ids = list(dict.fromkeys(voice_ids))
        if not ids:
            raise ValidationError("Pick at least one voice.", code="no_voices")
        if action in (BatchAction.TAG, BatchAction.UNTAG):
            (tag,) = check_labels([tag], what="tag")
        async with self.uow() as uow:
            voices = [await _found(uow, i) for i in ids]
        if action is BatchAction.PUBLISH:
            await self._check_publishable([v for v in voices if not v.published])
        outcomes: list[RemovalOutcome] = []
        removed: list[Voice] = []
        async with self.uow() as uow:
            now = self.clock()
            editor = _editor(actor)
            for voice_id in ids:
                voice = await _found(uow, voice_id)  # as it is now, not as first read
                if action is BatchAction.DELETE:
                    outcome, gone = await self._remove(uow, actor, voice.id, ip=ip, batch=True)
                    outcomes.append(outcome)
                    removed += gone
                    continue
                changed = _batch_change(voice, action, tag)
                await uow.voices.update(replace(changed, updated_at=now, updated_by=editor))
                await record(
                    uow,
                    actor,
                    f"voice.{action.value}",
                    target=("voice", voice.id),
                    now=now,
                    ip=ip,
                    details={"batch": True, **({"tag": tag} if tag else {})},
                )
            await uow.commit()
        await self._forget_samples(removed)
        return outcomes

    async def seed(self, specs: Sequence[VoiceSpec]) -> int:
        """Add the default gallery when it is empty, each voice with a spoken sample.

        The seed makes the samples itself, so the voices it publishes can be heard; a
        voice of a provider not running here gets no sample and stays unpublished.
        """
        async with self.uow() as uow:
            if await uow.voices.count():
                return 0
        now = self.clock()
        seeder = Editor(id=None, name="default gallery")
        voices: list[Voice] = []
        for spec in specs:
            voice = Voice(
                id=uuid7(),
                created_at=now,
                updated_at=now,
                created_by=seeder,
                updated_by=seeder,
                **_spec_fields(spec),
            )
            synthesizer = self.speech.get(voice.provider)
            if synthesizer is not None:
                sample = await synthesizer.synthesize(SAMPLE_TEXT, voice)
                sample_id = uuid7()
                key = f"samples/{voice.id}/{sample_id}.mp3"
                await self.storage.put(key, sample.audio, sample.content_type)
                voice.samples = [VoiceSample(id=sample_id, key=key, label="Sample")]
            else:
                voice.published = False
            voices.append(voice)
        async with self.uow() as uow:
            if await uow.voices.count():
                return 0  # another process seeded first
            for voice in voices:
                await uow.voices.add(voice)
            await uow.commit()
        log.info("seeded the default voice gallery", extra={"voices": len(voices)})
        return len(voices)

    async def _remove(
        self,
        uow: VoicesUnitOfWork,
        actor: Actor,
        voice_id: UUID,
        *,
        ip: str,
        batch: bool = False,
    ) -> tuple[RemovalOutcome, list[Voice]]:
        voice = await _existing(uow, voice_id)
        uses = (await uow.voices.popularity([voice_id]))[voice_id].uses
        now = self.clock()
        if uses:
            await uow.voices.update(
                replace(voice, published=False, updated_at=now, updated_by=_editor(actor))
            )
            outcome = RemovalOutcome(voice_id, Removal.UNPUBLISHED, uses)
            removed = []
        else:
            await uow.voices.delete(voice_id)
            outcome = RemovalOutcome(voice_id, Removal.DELETED, 0)
            removed = [voice]
        await record(
            uow,
            actor,
            "voice.delete" if outcome.outcome is Removal.DELETED else "voice.unpublish",
            target=("voice", voice_id),
            now=now,
            ip=ip,
            details={
                "name": voice.name,
                **({"generations": uses, "instead_of": "delete"} if uses else {}),
                **({"batch": True} if batch else {}),
            },
        )
        return outcome, removed

    async def _forget_samples(self, voices: Sequence[Voice]) -> None:
        for voice in voices:
            for sample in voice.samples:
                await self.storage.delete(sample.key)

    async def _check_publishable(self, voices: Sequence[Voice]) -> None:
        """Refuse (naming each voice and why) unless every voice can be published: one
        question per provider, asked outside any transaction."""
        accepted: dict[str, frozenset[str]] = {}
        for provider in {v.provider for v in voices}:
            synthesizer = self.speech.get(provider)
            wanted = {v.provider_voice_id for v in voices if v.provider == provider}
            accepted[provider] = (
                frozenset() if synthesizer is None else await synthesizer.accepts(wanted)
            )
        refusals = [
            f"{voice.name}: {', '.join(problems)}"
            for voice in voices
            if (
                problems := publishing_problems(
                    voice, provider_accepts=voice.provider_voice_id in accepted[voice.provider]
                )
            )
        ]
        if refusals:
            raise ValidationError(
                "Cannot publish " + "; ".join(refusals) + ". Nothing was changed.",
                code="voice_not_publishable",
            )

    def _check_provider(self, provider: str) -> None:
        if provider not in self.speech:
            known = ", ".join(sorted(self.speech)) or "none"
            raise ValidationError(
                f"Speech provider '{provider}' is not configured here (configured: {known}).",
                code="unknown_provider",
            )


def _batch_change(voice: Voice, action: BatchAction, tag: str) -> Voice:
    if action is BatchAction.PUBLISH:
        return replace(voice, published=True)
    if action is BatchAction.UNPUBLISH:
        return replace(voice, published=False)
    if action is BatchAction.TAG:
        return replace(voice, tags=(*voice.tags, tag))
    return replace(voice, tags=tuple(t for t in voice.tags if t != tag))


def _editor(actor: Actor) -> Editor:
    # The audit label is the account's email (or "cli"); a signed-in user also has a
    # display name, which is what the gallery's pages show.
    name = getattr(actor, "name", "") or actor.actor_label
    return Editor(id=actor.id, name=str(name))


def _spec_fields(spec: VoiceSpec) -> dict[str, Any]:
    return {f.name: getattr(spec, f.name) for f in fields(spec)}


async def _found(uow: VoicesUnitOfWork, voice_id: UUID) -> Voice:
    voice = await uow.voices.get(voice_id)
    if voice is None:
        raise NotFound(f"No such voice: {voice_id}; nothing was changed.", code="voice_not_found")
    return voice


async def _existing(uow: VoicesUnitOfWork, voice_id: UUID) -> Voice:
    voice = await uow.voices.get(voice_id)
    if voice is None:
        raise _no_such_voice()
    return voice


def _no_such_voice() -> NotFound:
    return NotFound("No such voice.", code="voice_not_found")
