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
from voiceqr.domain.generations.qr_design import DEFAULT_CAPTION, QrDesign
from voiceqr.entrypoints.http.kit.schemas import Body, LabelName, Text, one_line

# Looser than the rule (MAX_TITLE_LENGTH after trimming, checked by the domain), so a
# title that is too long gets its own clear 422 `title_too_long`.
Title = Annotated[str, one_line(1000)]


class GenerationCreate(Body):
    text: Text
    voice_id: UUID
    title: Title | None = None  # None or blank: the first words of the text are shown


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
    # The owner's title, or the first words of the text when it has none (`titled`: false).
    title: str
    titled: bool
    text: str
    voice_id: UUID
    public_code: str
    playback_url: str
    audio_url: str | None
    # The code's files, drawn to its design; None for a failed generation, which has no
    # audio for a code to play.
    qr_svg_url: str | None
    qr_png_url: str | None
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
    qr_pdf_url: str | None = None  # the A4 print sheet


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
    """The new text, voice and/or title; a field left out keeps its current value.

    A title alone renames it (nothing is made again); `null` or "" as the title goes
    back to the first words of the text.
    """

    text: Text | UnsetType = UNSET
    voice_id: UUID | UnsetType = UNSET
    title: Title | UnsetType | None = UNSET

    def edit(self) -> Edit:
        return Edit(
            text=None if isinstance(self.text, UnsetType) else self.text,
            voice_id=None if isinstance(self.voice_id, UnsetType) else self.voice_id,
            title=None if isinstance(self.title, UnsetType) else self.title or "",
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


class QrDesignIn(Body):
    """How a generation's printed code looks (the logo is uploaded apart, as a file).

    Refused with 422 when it would not scan: `low_qr_contrast` (the message gives the
    ratio), `inverted_qr_colours` (a light code on a dark ground), `invalid_qr_colour`,
    `invalid_qr_style`, `qr_caption_too_long`.
    """

    foreground: Annotated[str, one_line(20), Meta(description="`#rrggbb`, darker")] = "#000000"
    background: Annotated[str, one_line(20), Meta(description="`#rrggbb`, lighter")] = "#ffffff"
    module_style: Annotated[str, one_line(20), Meta(description="square, rounded or dots")] = (
        "square"
    )
    eye_style: Annotated[str, one_line(20), Meta(description="square, rounded or circle")] = (
        "square"
    )
    frame: bool = False
    caption: Annotated[str, one_line(200), Meta(description="Under a framed code")] = (
        DEFAULT_CAPTION
    )
    remove_logo: bool = False
    save_as_default: bool = False  # also the design of generations that have none

    def design(self) -> QrDesign:
        return QrDesign(
            foreground=self.foreground,
            background=self.background,
            module_style=self.module_style,  # type: ignore[arg-type]  # checked by QrDesign
            eye_style=self.eye_style,  # type: ignore[arg-type]
            frame=self.frame,
            caption=self.caption,
        )


class QrDesignOut(msgspec.Struct):
    foreground: str
    background: str
    module_style: str
    eye_style: str
    frame: bool
    caption: str
    has_logo: bool
    error_correction: str  # "M", or "H" to carry a logo
    contrast_ratio: float  # WCAG, at least 4.5
