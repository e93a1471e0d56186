"""Many generations at once (G6): pick them by id or by the history filters, then
delete them, or download them all as one archive.

An archive holds, for each generation, its QR code as a PNG (at the owner's preferred
size, P8) and its audio as an MP3 when it has some, plus `index.csv` listing every
generation. Files are produced one after the other and each is read from storage in
chunks, so memory stays flat however many there are; the index is written to a
spooled temporary file as the files go by and comes last.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO
from uuid import UUID

from voiceqr.application.generations.generations import Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.ports import (
    GenerationFilter,
    GenerationsUnitOfWork,
    PlaybackStatistics,
)
from voiceqr.application.generations.qr_designs import has_printable_code
from voiceqr.application.shared.ports import AudioStorage, QrRenderer
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation, scanned_url
from voiceqr.domain.generations.organising import Filing
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.spreadsheets import spreadsheet_row

Clock = Callable[[], datetime]

MAX_IDS = 500  # ids named in one request; "all matching a filter" has no such limit
PAGE_SIZE = 200  # generations read (and counted) per query when acting on a filter
_INDEX_IN_MEMORY = 1 << 16  # the index spills to disk past 64 KiB
_CHUNK = 1 << 16
INDEX_COLUMNS = (
    "id",
    "created_at",
    "status",
    "voice",
    "folder",
    "tags",
    "title",
    "text",
    "playback_url",
    "scans",
    "listens",
    "audio_file",
    "qr_file",
)


class BatchAction(StrEnum):
    DELETE = "delete"
    MOVE = "move"  # into `folder_id`, or out of any folder when it is None
    TAG = "tag"  # add `tags` (by name; missing ones are created)
    UNTAG = "untag"  # take `tags` off


@dataclass(frozen=True, slots=True)
class Selection:
    """Either the ids the user ticked or every generation matching a filter."""

    ids: tuple[UUID, ...] | None = None
    matching: GenerationFilter | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    action: BatchAction
    count: int


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    """One file of the download: its path in the archive and its bytes, in chunks."""

    path: str
    modified_at: datetime
    size: int
    chunks: AsyncIterator[bytes]
    compress: bool  # MP3 and PNG are compressed already; the index is text


def file_stem(generation: Generation) -> str:
    """A readable, unique name: creation time, the title (the owner's, or the first words
    of the text), and the public code."""
    title = generation.shown_title
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].rstrip("-")
    parts = [f"{generation.created_at:%Y%m%d-%H%M%S}", words, generation.public_code]
    return "-".join(p for p in parts if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationBatches:
    """Select generations, act on all of them, or package them for download."""

    uow: Callable[[], GenerationsUnitOfWork]
    generations: Generations
    folders_and_tags: FoldersAndTags
    playback: PlaybackStatistics
    storage: AudioStorage
    qr: QrRenderer
    playback_url: Callable[[str], str]

    async def select(self, owner: User, selection: Selection) -> list[UUID]:
        """The ids of the owner's generations in `selection`, newest first for a filter.

        Named ids must all be the owner's (and not deleted): otherwise NotFound and
        nothing is done, so a batch never half-applies because of a stale page.
        """
        if (selection.ids is None) == (selection.matching is None) or selection.ids == ():
            raise ValidationError(
                "Send either the ids of at least one generation or a filter that picks them.",
                code="bad_selection",
            )
        if selection.ids is None:
            assert selection.matching is not None
            return [g.id async for g in self._matching(owner, selection.matching)]
        ids = list(dict.fromkeys(selection.ids))
        if len(ids) > MAX_IDS:
            raise ValidationError(
                f"Pick at most {MAX_IDS} generations at a time, or use a filter.",
                code="too_many_ids",
            )
        async with self.uow() as uow:
            missing = [i for i in ids if await uow.generations.get_owned(i, owner.id) is None]
        if missing:
            raise NotFound(
                f"{len(missing)} of these generations do not exist (or were deleted); "
                "nothing was changed.",
                code="generation_not_found",
            )
        return ids

    async def apply(
        self,
        owner: User,
        action: BatchAction,
        selection: Selection,
        *,
        folder_id: UUID | None = None,
        tags: Sequence[str] = (),
    ) -> BatchResult:
        """Do `action` to every selected generation; returns how many were selected.

        The ids are checked before anything changes, and the folder and the tag names
        by the first group: filings change in groups of at most 500 generations, one
        transaction each. Deletes go one generation at a time (storage first).
        """
        if action in (BatchAction.TAG, BatchAction.UNTAG) and not any(t.strip() for t in tags):
            raise ValidationError("Name at least one tag.", code="tags_missing")
        ids = await self.select(owner, selection)
        if action is BatchAction.DELETE:
            for generation_id in ids:
                try:
                    await self.generations.delete(owner, generation_id)
                except NotFound:
                    continue  # deleted meanwhile (another tab): the outcome is the same
            return BatchResult(action=action, count=len(ids))
        for start in range(0, len(ids), MAX_IDS):
            group = ids[start : start + MAX_IDS]
            if action is BatchAction.MOVE:
                await self.folders_and_tags.move(owner, group, folder_id)
            elif action is BatchAction.TAG:
                await self.folders_and_tags.tag(owner, group, tags)
            elif action is BatchAction.UNTAG:
                await self.folders_and_tags.untag(owner, group, tags)
        return BatchResult(action=action, count=len(ids))

    async def archive(self, owner: User, matching: GenerationFilter) -> AsyncIterator[ArchiveFile]:
        """Every generation matching the filter, as archive files.

        The filter is checked here, before anything is produced, so a bad one is a
        ValidationError and not a broken download.
        """
        await self.generations.history(owner, matching=matching, limit=1)
        async with self.uow() as uow:
            preferences = await uow.preferences.get(owner.id) or UserPreferences.defaults(owner.id)
            voices = {v.id: v.name for v in await uow.voices.list(published_only=False)}
        return self._files(owner, matching, preferences.qr_size, voices)

    async def _files(
        self,
        owner: User,
        matching: GenerationFilter,
        qr_size: int,
        voices: dict[UUID, str],
    ) -> AsyncIterator[ArchiveFile]:
        last_modified: datetime | None = None
        with tempfile.SpooledTemporaryFile(max_size=_INDEX_IN_MEMORY) as raw:
            index = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(index)
            writer.writerow(INDEX_COLUMNS)
            async for generation, counts, filing in self._matching_page_data(owner, matching):
                stem = file_stem(generation)
                modified = generation.completed_at or generation.created_at
                last_modified = max(last_modified or modified, modified)
                url = self.playback_url(generation.public_code)
                qr_file = ""
                # A failed generation's code would play nothing: it offers none to print.
                if has_printable_code(generation):
                    qr_file = f"qr/{stem}.png"
                    png = self.qr.png(scanned_url(url), size=qr_size)
                    yield ArchiveFile(qr_file, modified, len(png), _once(png), compress=False)
                audio_file = ""
                if generation.audio_key is not None:
                    try:
                        audio = await self.storage.read_range(generation.audio_key, 0, None)
                    except NotFound:
                        pass  # deleted meanwhile: the index says there is no audio
                    else:
                        audio_file = f"audio/{stem}.mp3"
                        yield ArchiveFile(
                            audio_file, modified, audio.total, audio.chunks, compress=False
                        )
                writer.writerow(
                    spreadsheet_row(
                        (
                            generation.id,
                            generation.created_at.isoformat(),
                            generation.status,
                            voices.get(generation.voice_id, ""),
                            "" if filing.folder is None else filing.folder.name,
                            "; ".join(tag.name for tag in filing.tags),
                            generation.shown_title,
                            generation.text,
                            url,
                            counts[0],
                            counts[1],
                            audio_file,
                            qr_file,
                        )
                    )
                )
            index.flush()
            size = raw.tell()
            raw.seek(0)
            yield ArchiveFile(
                "index.csv",
                last_modified or datetime.now().astimezone(),
                size,
                _byte_chunks(raw),
                compress=True,
            )
            index.detach()  # the with block closes the file itself

    async def _pages(
        self, owner: User, matching: GenerationFilter
    ) -> AsyncIterator[list[Generation]]:
        """The matches, newest first, one history page at a time."""
        cursor: str | None = None
        while True:
            page = await self.generations.history(
                owner, matching=matching, cursor=cursor, limit=PAGE_SIZE
            )
            yield page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def _matching(self, owner: User, matching: GenerationFilter) -> AsyncIterator[Generation]:
        async for page in self._pages(owner, matching):
            for generation in page:
                yield generation

    async def _matching_page_data(
        self, owner: User, matching: GenerationFilter
    ) -> AsyncIterator[tuple[Generation, tuple[int, int], Filing]]:
        """Each match with its (scans, listens) and its folder and tags, read together
        for a page at a time."""
        async for page in self._pages(owner, matching):
            ids = [g.id for g in page]
            counts = await self.playback.counts(ids)
            filings = await self.folders_and_tags.filings(owner, ids)
            for g in page:
                c = counts.get(g.id)
                yield g, (0, 0) if c is None else (c.scans, c.listens), filings.get(g.id, Filing())


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _byte_chunks(source: IO[bytes]) -> AsyncIterator[bytes]:
    while block := source.read(_CHUNK):
        yield block
