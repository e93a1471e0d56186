"""The public playback page (C4), its scan and listen counting (C5), and how far each
listen went (listen-through).

This is the hot path of the product: every scan of every printed code opens the page.
The code is looked up through a short-lived cache (`CodeCache`) and each scan or listen
is appended to an event log that stores them in batches, so a scan reads and writes no
database. The player's reports of what a listen heard are far rarer (a few per listen,
only when it heard more): each is one small upsert, after the same cached lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from voiceqr.application.generations.lookup import generation_not_found
from voiceqr.application.playback.codes import CodeCache
from voiceqr.application.playback.ports import (
    Between,
    PlaybackEventLog,
    PlaybackUnitOfWork,
    UserAgentReader,
    Withholding,
)
from voiceqr.application.playback.salts import VisitorSalts
from voiceqr.application.shared.ports import AudioStorage, RateLimiter
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import (
    Generation,
    GenerationStatus,
    is_well_formed_public_code,
)
from voiceqr.domain.playback.events import (
    PlaybackCounts,
    PlaybackEvent,
    PlaybackEventKind,
    StoredEvent,
)
from voiceqr.domain.playback.listening import (
    Heard,
    Listen,
    ListenThrough,
    combined,
    is_heard_mask,
    sentences,
)
from voiceqr.domain.playback.visits import (
    VISIT_WINDOW,
    mark_visits,
    placement_of,
    primary_language,
    referrer_host,
    source_of,
    visitor_keys,
)
from voiceqr.domain.shared.errors import Gone, NotFound, RateLimited, ValidationError, Withheld
from voiceqr.domain.shared.ids import uuid7

# Reports of what listens heard, per visitor (key): a listener sends a few per listen.
HEARD_REPORTS_PER_VISITOR = (120, 600)  # (reports, seconds)


@dataclass(frozen=True, slots=True)
class PlaybackPage:
    """What the page behind a printed code shows."""

    code: str
    text: str
    voice_name: str
    status: GenerationStatus
    audio_url: str | None
    revision: int | None = None  # the revision of the audio `audio_url` plays
    given_title: str | None = None  # the owner's title for the generation, if any

    @property
    def title(self) -> str:
        """What the page is called (its heading, the tab and a shared link's preview):
        the owner's title, else the first sentence of the text, or its first words when
        that sentence is long."""
        return self.given_title or _title_of(self.text)


@dataclass(frozen=True, slots=True)
class PublicCode:
    """What a code leads to, as the cache keeps it: the page, or that it was removed."""

    generation_id: UUID
    owner_id: UUID
    page: PlaybackPage | None  # None: its owner deleted it, or moderation keeps it back
    withheld: Withholding | None = None  # quarantined or removed by moderation


# The answer for a printed code whose account was deleted: nobody owns it any more.
RETIRED: Final = PublicCode(UUID(int=0), UUID(int=0), None)


@dataclass(frozen=True, slots=True)
class Visit:
    """What a request to the page says of its visitor. The address is used for the
    visitor key and never kept."""

    address: str = ""
    user_agent: str = ""
    country: str = ""
    referer: str = ""
    languages: str = ""  # Accept-Language
    source: str | None = None  # `?s=`: "q" in the URL a QR code encodes
    placement: str | None = None  # `?p=`: a named placement's QR code
    viewer_id: UUID | None = None  # the signed-in visitor, if any


@dataclass(frozen=True, slots=True)
class AccountListenThrough:
    """Listen-through of all an owner's codes together, and of each code with listens."""

    total: ListenThrough
    by_code: dict[UUID, ListenThrough]


# The longest title a page takes from its text (a tab, a shared link's preview).
TITLE_LENGTH = 60

# A visitor may report this many listens of one code a minute (the page reports one per
# playback): enough for anyone listening, not for inflating the count.
LISTENS_PER_MINUTE = 10


@dataclass(slots=True, kw_only=True)
class Playback:
    """The public page of a code, its scans and listens, and how far each listen went."""

    uow: Callable[[], PlaybackUnitOfWork]
    storage: AudioStorage
    clock: Callable[[], datetime]
    events: PlaybackEventLog
    codes: CodeCache[PublicCode | None]
    user_agents: UserAgentReader
    limits: RateLimiter
    salts: VisitorSalts = field(init=False)
    # Whether the audio files of a generation are withheld, by generation id: the media
    # route asks for every range it serves, so it is remembered like the codes are.
    withheld_audio: CodeCache[bool] = field(init=False)

    def __post_init__(self) -> None:
        self.salts = VisitorSalts(uow=self.uow)
        self.withheld_audio = CodeCache(seconds=self.codes.seconds)

    def forget(self, code: str, generation_id: UUID) -> None:
        """Drop what this process remembers of a code whose moderation changed: its
        page and whether its audio may be served (other processes within the cache's
        bound, see `CodeCache`)."""
        self.codes.forget(code)
        self.withheld_audio.forget(str(generation_id))

    async def check_audio(self, key: str) -> None:
        """Withheld (451) if `key` is the audio of a generation moderation keeps back;
        other keys (voice samples, previews) always pass."""
        generation_id = _generation_of_audio(key)
        if generation_id is None:
            return
        if await self.withheld_audio.get(generation_id, self._read_withheld_audio):
            raise _withheld()

    async def visitor_key(self, code: str, visit: Visit) -> str:
        """The visitor's key for today: who they are across requests, with no address kept."""
        return await self._visitor(code, visit)

    async def page(self, code: str) -> PlaybackPage:
        """What the code plays: the live audio with the text and voice it was made from.

        While a new revision (G3) is being made, or after it failed, that is still the
        earlier revision; the page switches once the new one completes.
        """
        return _shown(await self._find(code))

    async def scan(self, code: str, visit: Visit) -> PlaybackPage:
        """The page of a code that was just scanned (opened), the scan appended to the log."""
        found = await self._find(code)
        page = _shown(found)
        await self.events.append(await self._hit(code, found, PlaybackEventKind.SCAN, visit))
        return page

    async def record_listen(self, code: str, visit: Visit) -> None:
        """A listen the page reports when playback starts (counted once per visit)."""
        found = await self._find(code)
        _shown(found)
        hit = await self._hit(code, found, PlaybackEventKind.LISTEN, visit)
        key = f"listen:{found.generation_id}:{hit.visitor}"
        if not await self.limits.hit(key, limit=LISTENS_PER_MINUTE, window_seconds=60):
            raise RateLimited(retry_after=60)
        await self.events.append(hit)

    async def forget_expired_salts(self) -> int:
        """Delete visitor-key salts past their 48 hours (a periodic job)."""
        return await self.salts.forget_expired(self.clock())

    async def record_heard(
        self,
        code: str,
        *,
        listen_id: UUID,
        heard: int,
        revision: int | None = None,
        visit: Visit = Visit(),
    ) -> None:
        """Add what one listen of a code's audio heard so far (a 20-bit mask of 5%
        buckets) to that listen; `listen_id` is made up by the page, once per listen.

        `revision` is the revision of the audio the page played (by default the live
        one), so a page opened before a regeneration does not add to the new audio's
        curve. A report never takes buckets away; one that heard nothing stores nothing.
        Each report stores a row, so they are limited per visitor.
        """
        if not is_heard_mask(heard):
            raise ValidationError(
                "What was heard is a whole number of 20 bits (0 to 1048575).", code="invalid_heard"
            )
        page = _shown(found := await self._find(code))
        played = page.revision if revision is None else revision
        if page.revision is None or played is None or not 1 <= played <= page.revision:
            raise ValidationError(
                "This code does not play that audio.", code="audio_revision_not_played"
            )
        if heard == 0:
            return
        limit, window = HEARD_REPORTS_PER_VISITOR
        visitor = await self._visitor(code, visit)
        if not await self.limits.hit(f"heard:{visitor}", limit=limit, window_seconds=window):
            raise RateLimited(retry_after=window)
        async with self.uow() as uow:
            await uow.listens.record(
                Listen(
                    id=listen_id,
                    generation_id=found.generation_id,
                    revision=played,
                    heard=Heard(heard),
                    at=self.clock(),
                )
            )
            await uow.commit()

    async def listen_through(
        self, owner: User, generation_id: UUID, *, between: Between | None = None
    ) -> ListenThrough:
        """How far the listens of the owner's code went, for the audio it plays now:
        completion rate, average share heard, the retention curve and, sentence by
        sentence over its transcript, the share of listens that heard it. With
        `between` (from, to), only the listens that started then."""
        async with self.uow() as uow:
            generation = await uow.generations.get_owned(generation_id, owner.id)
            if generation is None:
                raise generation_not_found()
            text, _ = await _live_text_and_voice(uow, generation)
            tally = await uow.listens.tally(
                generation.id, generation.live_revision or 1, between=between
            )
        return ListenThrough.of(tally, text)

    async def account_listen_through(
        self, owner: User, *, between: Between
    ) -> AccountListenThrough:
        """How far the listens that started in `between` went, over all the owner's
        codes together and code by code (each for the audio it plays now; no
        sentences: each code has its own transcript)."""
        async with self.uow() as uow:
            tallies = await uow.listens.tallies_of_owner(owner.id, between=between)
        return AccountListenThrough(
            total=ListenThrough.of(combined(tallies.values()), ""),
            by_code={gid: ListenThrough.of(tally, "") for gid, tally in tallies.items()},
        )

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        async with self.uow() as uow:
            return await uow.playback_events.counts(generation_ids)

    async def store_events(self, events: Sequence[PlaybackEvent]) -> None:
        """Store a batch the event log hands over (in the workers, or in this process):
        each hit's user agent is read (off the event loop: a new one takes a while) and
        each is marked as the start of a visit or not."""
        if not events:
            return
        describe = self.user_agents.describe
        devices = await asyncio.to_thread(lambda: [describe(e.user_agent) for e in events])
        since = min(e.occurred_at for e in events) - VISIT_WINDOW
        keys = {
            (e.generation_id, e.kind, visitor)
            for e in events
            for visitor in (e.visitor, e.previous_visitor)
            if visitor
        }
        async with self.uow() as uow:
            seen = await uow.playback_events.last_seen(keys, since=since) if keys else {}
            starts = mark_visits(events, seen)
            await uow.playback_events.add_many(
                [
                    StoredEvent(e, device, start)
                    for e, device, start in zip(events, devices, starts, strict=True)
                ]
            )
            await uow.commit()

    async def deliver_events(self) -> None:
        """Store what the event log holds, in batches, until cancelled."""
        await self.events.drain(self.store_events)

    async def _hit(
        self, code: str, found: PublicCode, kind: PlaybackEventKind, visit: Visit
    ) -> PlaybackEvent:
        now = self.clock()
        user_agent = visit.user_agent[:500]
        visitor, previous_visitor = visitor_keys(
            await self.salts.of(now), code, visit.address, user_agent
        )
        return PlaybackEvent(
            id=uuid7(),
            generation_id=found.generation_id,
            kind=kind,
            occurred_at=now,
            user_agent=user_agent,
            visitor=visitor,
            previous_visitor=previous_visitor,
            source=source_of(visit.source),
            placement=placement_of(visit.placement),
            referrer_host=referrer_host(visit.referer),
            language=primary_language(visit.languages),
            country=visit.country[:2],
            owner_view=visit.viewer_id is not None and visit.viewer_id == found.owner_id,
        )

    async def _visitor(self, code: str, visit: Visit) -> str:
        salts = await self.salts.of(self.clock())
        return visitor_keys(salts[:1], code, visit.address, visit.user_agent[:500])[0]

    async def _find(self, code: str) -> PublicCode:
        found = None
        if is_well_formed_public_code(code):
            found = await self.codes.get(code, self._read)
        if found is None:
            raise NotFound("This code does not lead to any audio.", code="code_not_found")
        return found

    async def _read_withheld_audio(self, generation_id: str) -> bool:
        async with self.uow() as uow:
            return await uow.withheld_codes.withheld(UUID(generation_id)) is not None

    async def _read(self, code: str) -> PublicCode | None:
        async with self.uow() as uow:
            generation = await uow.generations.get_by_code(code)
            if generation is None:
                if await uow.retired_codes.is_retired(code):
                    return RETIRED
                return None
            withheld = await uow.withheld_codes.withheld(generation.id)
            if generation.is_deleted:
                if await uow.retired_codes.is_retired(code):
                    return RETIRED  # its account is being deleted
                return PublicCode(generation.id, generation.owner_id, None, withheld)
            if withheld is not None:
                return PublicCode(generation.id, generation.owner_id, None, withheld)
            text, voice_id = await _live_text_and_voice(uow, generation)
            audio_url = revision = None
            if generation.audio_key is not None:
                audio_url = await self.storage.url(generation.audio_key)
                revision = generation.live_revision or 1
            voice = await uow.voices.get(voice_id)
        page = PlaybackPage(
            code=code,
            text=text,
            voice_name=voice.name if voice else "",
            status=generation.status,
            audio_url=audio_url,
            revision=revision,
            given_title=generation.title,
        )
        return PublicCode(generation.id, generation.owner_id, page)


async def _live_text_and_voice(uow: PlaybackUnitOfWork, generation: Generation) -> tuple[str, UUID]:
    """The text and voice of the audio a code plays: while a new revision is made (or
    after it failed) that is still the earlier, live one."""
    if generation.audio_key is not None and generation.live_revision is not None:
        live = await uow.generation_revisions.get(generation.id, generation.live_revision)
        if live is not None:
            return live.text, live.voice_id
    return generation.text, generation.voice_id


def _title_of(text: str) -> str:
    found = sentences(text)
    if not found:
        return "Listen"
    words = found[0].text.split()  # on one line: it heads the page and names the tab
    first = " ".join(words)
    if len(first) <= TITLE_LENGTH:
        return first
    title = ""
    for word in words:
        if len(title) + 1 + len(word) > TITLE_LENGTH - 1:
            break
        title = f"{title} {word}" if title else word
    return (title or first[: TITLE_LENGTH - 1]) + "…"


def _withheld() -> Withheld:
    return Withheld("This audio is not available.", code="audio_withheld")


def _generation_of_audio(key: str) -> str | None:
    """The generation id in an audio key (`audio/<generation id>/<revision>.mp3`)."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "audio":
        return None
    try:
        return str(UUID(parts[1]))
    except ValueError:
        return None


def _shown(found: PublicCode) -> PlaybackPage:
    if found.withheld == "quarantined":
        raise _withheld()
    if found.withheld == "removed":
        raise Gone("This audio was removed.", code="removed_by_moderation")
    if found is RETIRED:
        raise Gone("The owner of this code deleted their account.", code="account_deleted")
    if found.page is None:
        # Told apart from an unknown code: the HTTP layer answers 410 Gone.
        raise Gone("The owner of this code removed its audio.", code="audio_removed")
    return found.page
