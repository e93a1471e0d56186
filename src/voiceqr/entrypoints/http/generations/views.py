"""Generations as the API and the pages show them: one presenter per resource, and the
generation page's context (its edit form and its folder and tags form re-render it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.di import NamedDependency

from voiceqr.application.generations.qr_designs import has_printable_code
from voiceqr.application.generations.revisions import RevisionView
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import GenerationAttempt, what_to_do
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.organising import Filing, Label, LabelKind, LabelUsage
from voiceqr.domain.generations.qr_design import (
    MIN_CONTRAST,
    EyeStyle,
    ModuleStyle,
    QrDesign,
    contrast_ratio,
)
from voiceqr.domain.generations.titles import MAX_TITLE_LENGTH
from voiceqr.domain.playback.events import PlaybackCounts
from voiceqr.domain.shared.errors import ErrorCategory, NotFound
from voiceqr.entrypoints.http.generations.schemas import (
    AttemptOut,
    FilingOut,
    GenerationError,
    GenerationList,
    GenerationOut,
    LabelOut,
    LabelRef,
    QrDesignOut,
    RevisionOut,
)
from voiceqr.entrypoints.http.kit.views import ZONE_COOKIE, when
from voiceqr.entrypoints.http.kit.views import reader_zone as zone_of

# What History and the generation page call each status.
STATUS_WORDS = {
    GenerationStatus.PENDING: "Waiting",
    GenerationStatus.PROCESSING: "Making",
    GenerationStatus.COMPLETED: "Ready",
    GenerationStatus.FAILED: "Failed",
    GenerationStatus.PENDING_REVIEW: "Pending review",
}


async def reader_zone(platform: Platform, user: User, request: Request[Any, Any, Any]) -> ZoneInfo:
    """The zone the reader's times and plain days are in: the one the signed-in page
    resolved (the profile's, else the browser's), else the same rule applied here (a
    form's POST resolves none)."""
    zone = getattr(request.state, "zone", None)
    if isinstance(zone, ZoneInfo):
        return zone
    chosen = (await platform.profile.get(user)).time_zone
    return zone_of(chosen, request.cookies.get(ZONE_COOKIE))


QUEUE_WAITING = "Queued: the job will start as soon as the job queue is back."


# How old this process's last word on the job queue may be before a presenter asks it
# again (one PING, shared by every request meanwhile; nothing is written).
QUEUE_STATE_MAX_AGE = 5.0


async def generation_out(
    platform: NamedDependency[Platform],
    generation: Generation,
    counts: PlaybackCounts | None = None,
    filing: Filing | None = None,
) -> GenerationOut:
    """One generation for the API and the pages; a list passes `counts` and `filing`
    fetched for the whole page (see `generation_outs`), or they are read here."""
    counts = counts or (await platform.playback.playback.counts([generation.id])).get(
        generation.id, PlaybackCounts()
    )
    if filing is None:
        filing = (await platform.generations.folders.filings_of([generation])).get(
            generation.id, Filing()
        )
    error = None
    if generation.error_code and generation.error_category and generation.error_message:
        error = GenerationError(
            category=str(generation.error_category),
            code=generation.error_code,
            message=generation.error_message,
            advice=what_to_do(generation.error_category),
        )
    base = f"/api/v1/generations/{generation.id}"
    printable = has_printable_code(generation)
    return GenerationOut(
        id=generation.id,
        status=str(generation.status),
        title=generation.shown_title,
        titled=generation.title is not None,
        text=generation.text,
        voice_id=generation.voice_id,
        public_code=generation.public_code,
        playback_url=platform.generations.playback_url(generation.public_code),
        audio_url=await platform.generations.generations.audio_url(generation),
        qr_svg_url=f"{base}/qr.svg" if printable else None,
        qr_png_url=f"{base}/qr.png" if printable else None,
        qr_pdf_url=f"{base}/qr.pdf" if printable else None,
        attempts=generation.attempts,
        created_at=generation.created_at,
        completed_at=generation.completed_at,
        next_attempt_at=generation.next_attempt_at,
        error=error,
        scans=counts.scans,
        listens=counts.listens,
        revision=generation.revision,
        live_revision=generation.live_revision,
        folder=None if filing.folder is None else label_ref(filing.folder),
        tags=[tag.name for tag in filing.tags],
        queue_notice=await queue_notice(platform, generation),
    )


async def queue_notice(platform: Platform, generation: Generation) -> str | None:
    """What a pending generation waits for when the job queue does not answer."""
    if generation.status is not GenerationStatus.PENDING:
        return None
    state = await platform.operations.queue_health.check(max_age=QUEUE_STATE_MAX_AGE)
    return None if state.reachable else QUEUE_WAITING


def qr_design_out(design: QrDesign) -> QrDesignOut:
    return QrDesignOut(
        foreground=design.foreground,
        background=design.background,
        module_style=str(design.module_style),
        eye_style=str(design.eye_style),
        frame=design.frame,
        caption=design.caption,
        has_logo=design.logo_key is not None,
        error_correction=design.error_correction.upper(),
        contrast_ratio=round(contrast_ratio(design.foreground, design.background), 2),
    )


def label_ref(label: Label) -> LabelRef:
    return LabelRef(id=label.id, name=label.name)


async def generation_list(
    platform: Platform, generations: list[Generation], next_cursor: str | None = None
) -> GenerationList:
    return GenerationList(
        items=await generation_outs(platform, generations), next_cursor=next_cursor
    )


async def generation_outs(platform: Platform, generations: list[Generation]) -> list[GenerationOut]:
    """A page of generations, with their counts, folders and tags read in bulk."""
    counts = await platform.playback.playback.counts([g.id for g in generations])
    filings = await platform.generations.folders.filings_of(generations)
    return [
        await generation_out(platform, g, counts.get(g.id), filings.get(g.id, Filing()))
        for g in generations
    ]


def label_out(usage: LabelUsage) -> LabelOut:
    label = usage.label
    return LabelOut(
        id=label.id, name=label.name, generations=usage.generations, created_at=label.created_at
    )


def filing_out(filing: Filing) -> FilingOut:
    return FilingOut(
        folder=None if filing.folder is None else label_ref(filing.folder),
        tags=[tag.name for tag in filing.tags],
    )


def revision_out(view: RevisionView) -> RevisionOut:
    return RevisionOut(
        number=view.number,
        text=view.text,
        voice_id=view.voice_id,
        voice_name=view.voice_name,
        status=str(view.status),
        live=view.live,
        created_at=view.created_at,
        completed_at=view.completed_at,
        audio_url=view.audio_url,
    )


def generation_error(
    category: ErrorCategory | None, code: str | None, message: str | None
) -> GenerationError | None:
    if category is None or code is None:
        return None
    return GenerationError(category=str(category), code=code, message=message or "")


def attempt_out(attempt: GenerationAttempt) -> AttemptOut:
    return AttemptOut(
        number=attempt.number,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        outcome=None if attempt.outcome is None else str(attempt.outcome),
        error=generation_error(attempt.error_category, attempt.error_code, attempt.error_message),
        characters_billed=attempt.characters_billed,
        revision=attempt.revision,
    )


async def generation_page_context(
    request: Request[Any, Any, Any],
    platform: Platform,
    user: User,
    generation: Generation,
    *,
    edit_error: str | None = None,
    edit_text: str | None = None,
    edit_voice_id: str | None = None,
    design_tried: Mapping[str, str] | None = None,
    design_error: str | None = None,
    title_error: str | None = None,
    title_tried: str | None = None,
) -> dict[str, Any]:
    """Everything generation.html shows: the generation, when it was made (in the
    reader's time zone), its QR code and design panel (showing a design being tried, if
    one is), the rename and edit forms (filled with the current title, text and voice
    unless a refused one is shown again) and every revision with its audio."""
    preferences = await platform.profile.get(user)
    zone = await reader_zone(platform, user, request)  # as History shows its times
    try:
        voice_name = (await platform.voices.get(generation.voice_id, user=user)).name
    except NotFound:
        voice_name = "a removed voice"
    return {
        "user": user,
        "g": await generation_out(platform, generation),
        "voice_name": voice_name,
        "made": when(generation.created_at, zone),
        "made_iso": generation.created_at.isoformat(),
        "title_error": title_error,
        "title_text": (generation.title or "") if title_tried is None else title_tried,
        "max_title": MAX_TITLE_LENGTH,
        "qr_size": preferences.qr_size,
        "voices": await platform.voices.list_for(user),
        "revisions": await platform.generations.revisions.revisions_of(generation),
        "can_edit": not generation.is_busy,
        "edit_error": edit_error,
        "edit_text": generation.text if edit_text is None else edit_text,
        "edit_voice_id": str(generation.voice_id) if edit_voice_id is None else edit_voice_id,
        "max_chars": max(
            (s.max_text_length for s in platform.generations.generations.synthesizers()),
            default=5000,
        ),
        # A moderator's decision on it, and the owner's appeal (None: there is none).
        "moderation": await platform.moderation.notices.for_generation(user, generation.id),
        **await label_choices(platform, user),
        **await qr_design_panel(platform, user, generation, design_tried, design_error),
    }


DESIGN_FIELDS = ("foreground", "background", "module_style", "eye_style", "frame", "caption")


async def qr_design_panel(
    platform: Platform,
    user: User,
    generation: Generation,
    tried: Mapping[str, str] | None,
    error: str | None,
) -> dict[str, Any]:
    """The QR design panel: the saved design, the form's fields (the saved design, or
    the one being tried) and the address of the preview. None for a failed generation,
    which offers no code."""
    if not has_printable_code(generation):
        return {"qr_design": None}
    saved = await platform.generations.qr_designs.design(user, generation.id)
    if tried is None:
        fields = {name: str(getattr(saved, name)) for name in DESIGN_FIELDS}
        fields["frame"] = "on" if saved.frame else ""
        preview = f"/api/v1/generations/{generation.id}/qr.svg"
    else:
        fields = {name: tried.get(name, "") for name in DESIGN_FIELDS}
        preview = f"/generations/{generation.id}/qr-preview.svg?{urlencode(fields)}"
        if error is not None:  # a refused design has no picture; the saved one is shown
            preview = f"/api/v1/generations/{generation.id}/qr.svg"
    return {
        "qr_design": qr_design_out(saved),
        "design_fields": fields,
        "design_error": error,
        "design_open": tried is not None,  # the panel stays open on what was tried
        "qr_preview_url": preview,
        "module_styles": [str(m) for m in ModuleStyle],
        "eye_styles": [str(e) for e in EyeStyle],
        "min_contrast": MIN_CONTRAST,
    }


async def label_choices(platform: Platform, user: User) -> dict[str, Any]:
    """The user's folders and tags, for the history filters and the generation
    page's "Folder and tags" form."""
    return {
        "folder_choices": [
            u.label for u in await platform.generations.folders.labels(user, LabelKind.FOLDER)
        ],
        "tag_choices": [
            u.label for u in await platform.generations.folders.labels(user, LabelKind.TAG)
        ],
    }
