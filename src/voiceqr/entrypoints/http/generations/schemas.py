"""Request and response bodies of the generations API: generations, folders and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from voiceqr.application.generations.batch import BatchAction
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.generations.revisions import Edit
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.entrypoints.http.kit.schemas import Body, LabelName, Text, one_line


class GenerationCreate(Body):
    text: Text
    voice_id: UUID


class GenerationError(msgspec.Struct):
    category: str
    code: str
    message: str
    advice: str = ""  # what the owner can do about it, by category


class LabelRef(msgspec.Struct):
    """A folder (or tag) as a generation shows it."""

    id: UUID
    name: str


class GenerationOut(msgspec.Struct):
    id: UUID
    status: str
    text: str
    voice_id: UUID
    public_code: str
    playback_url: str
    audio_url: str | None
    qr_svg_url: str
    qr_png_url: str
    attempts: int
    created_at: datetime
    completed_at: datetime | None
    next_attempt_at: datetime | None
    error: GenerationError | None
    scans: int
    listens: int
    # `text` and `voice_id` are the newest revision's; `audio_url` plays `live_revision`.
    revision: int = 1
    live_revision: int | None = None
    # the folder it is in (None: in no folder) and the names of its tags, by name.
    folder: LabelRef | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    # Set while it is pending and the job queue does not answer: a message for the user
    # (it waits in the database and starts once the queue is back). None: nothing to say.
    queue_notice: str | None = None


class GenerationList(msgspec.Struct):
    items: list[GenerationOut]
    next_cursor: str | None = None  # pass as `cursor` for the older items; None: no more


class LabelOut(msgspec.Struct):
    """A folder or tag with how many generations (not deleted) it holds."""

    id: UUID
    name: str
    generations: int
    created_at: datetime


class LabelBody(Body):
    name: LabelName


class FolderMoveBody(Body):
    folder_id: UUID | None  # None: take it out of its folder


class TagsBody(Body):
    tags: Annotated[list[LabelName], Meta(max_length=100)]


class FilingOut(msgspec.Struct):
    """Where a generation is filed now."""

    folder: LabelRef | None
    tags: list[str]


class GenerationEdit(Body):
    """The new text and/or voice; a field left out keeps its current value."""

    text: Text | UnsetType = UNSET
    voice_id: UUID | UnsetType = UNSET

    def edit(self) -> Edit:
        return Edit(
            text=None if isinstance(self.text, UnsetType) else self.text,
            voice_id=None if isinstance(self.voice_id, UnsetType) else self.voice_id,
        )


class RevisionOut(msgspec.Struct):
    number: int
    text: str
    voice_id: UUID
    voice_name: str  # "" when the voice was removed since
    status: str  # pending, processing, completed, failed
    live: bool  # this revision's audio is what the public code plays
    created_at: datetime
    completed_at: datetime | None
    audio_url: str | None


class AttemptOut(msgspec.Struct):
    """One attempt as its owner sees it: what happened, never the technical detail."""

    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None  # completed, retry_scheduled, failed, worker_lost, cancelled; None: running
    error: GenerationError | None
    characters_billed: int
    revision: int = 1  # the revision this attempt was making


class BatchFilter(Body):
    """The history filters (as in `GET /api/v1/generations`) picking every match."""

    voice_id: UUID | None = None
    status: GenerationStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: Annotated[str, one_line(200)] | None = None
    folder_id: UUID | None = None
    tag: Annotated[str, one_line(200)] | None = None

    def to_filter(self) -> GenerationFilter:
        return GenerationFilter(
            voice_id=self.voice_id,
            status=self.status,
            created_from=self.created_from,
            created_to=self.created_to,
            text=self.q or None,
            folder_id=self.folder_id,
            tag=self.tag or None,
        )


class BatchRequest(Body):
    """`action` on the generations named in `ids`, or on all that match `filter`."""

    action: BatchAction
    ids: list[UUID] | None = None
    filter: BatchFilter | None = None
    folder_id: UUID | None = None  # move: the folder (null: out of any folder)
    tags: list[Annotated[str, one_line(100)]] = []  # tag, untag: the names


class BatchOut(msgspec.Struct):
    action: str
    count: int  # how many generations the action applied to
