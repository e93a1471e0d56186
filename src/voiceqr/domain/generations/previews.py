"""Voice previews: one short text read by several voices, to compare them side by side.

A preview is made by the generation pipeline (a job, a lease, retries with backoff,
the speech provider, the audio store) but it is no generation: it has no owner's
history, no public code, no QR code and no playback page, and it expires. Its audio
depends only on the voice and the text, so it is shared: one preview per *cache key*
(the voice as it is now, and the text as it is spoken), whoever asked first. A change
of the voice (its provider's voice id, or any edit that moves `updated_at`) makes a
new key, so the old preview is simply never found again and expires.

Its status moves as a generation's does:

    pending -> processing -> completed
               processing -> failed            (final error or no attempts left)
               processing -> pending           (retryable error, retry scheduled)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar
from uuid import UUID

from voiceqr.domain.generations.generation import GenerationStatus, SpokenJob, clean_text
from voiceqr.domain.shared.errors import (
    ErrorCategory,
    IllegalTransition,
    RateLimited,
    ValidationError,
)
from voiceqr.domain.voices.voice import Voice

MAX_PREVIEW_TEXT = 300
MIN_VOICES = 2
MAX_VOICES = 4

_SPACES = re.compile(r"\s+")


def preview_text(text: str) -> str:
    """The text a preview speaks, or a ValidationError: cleaned as every spoken text is,
    at most 300 characters, with runs of whitespace read as one space (a voice reads
    them alike, so they share a preview) and in one Unicode form (NFC)."""
    cleaned = clean_text(text, max_length=MAX_PREVIEW_TEXT)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", cleaned))


def chosen_voices(voice_ids: list[UUID]) -> list[UUID]:
    """The voices to compare, in the order picked: 2 to 4 different ones."""
    unique = list(dict.fromkeys(voice_ids))
    if len(unique) != len(voice_ids):
        raise ValidationError("Pick each voice only once.", code="duplicate_voices")
    if len(unique) < MIN_VOICES:
        raise ValidationError(
            f"Pick at least {MIN_VOICES} voices to compare.", code="too_few_voices"
        )
    if len(unique) > MAX_VOICES:
        raise ValidationError(
            f"Pick at most {MAX_VOICES} voices to compare; you picked {len(unique)}.",
            code="too_many_voices",
        )
    return unique


def cache_key(voice: Voice, text: str) -> str:
    """Which preview a voice, as it is now, and a spoken text share. The voice's
    provider, provider voice id and last change are part of it: after an edit the voice
    may sound different, so its earlier previews are no answer any more."""
    stamp = "\x1f".join(
        (
            str(voice.id),
            voice.provider,
            voice.provider_voice_id,
            "" if voice.updated_at is None else voice.updated_at.isoformat(),
            text,
        )
    )
    return hashlib.sha256(stamp.encode()).hexdigest()


class PreviewLimitReached(RateLimited):
    """A user made as many new previews as a day allows (previews found made count not)."""

    code = "preview_limit_reached"

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(retry_after)
        hours = max(1, round(retry_after / 3600))
        self.message = (
            f"You made {limit} new previews in the last 24 hours, as many as a day allows. "
            f"Try again in about {hours} hour{'s' if hours != 1 else ''}; "
            "texts and voices compared before still play at once."
        )
        self.args = (self.message,)


@dataclass(frozen=True, slots=True)
class DailyAllowance:
    """How many new previews a user may make in any 24 hours."""

    per_day: int
    window: timedelta = timedelta(days=1)

    def check(self, *, made: list[datetime], wanted: int, now: datetime) -> None:
        """Refuse (PreviewLimitReached) when `wanted` more would pass the limit; `made`
        are the times of the user's new previews in the last window. Retry-After is
        when enough of them leave the window."""
        if wanted <= 0 or len(made) + wanted <= self.per_day:
            return
        oldest_first = sorted(made)
        # The (len + wanted - per_day)-th oldest must leave the window first.
        leaving = len(made) + wanted - self.per_day
        if leaving > len(oldest_first):  # more than a whole day's worth asked at once
            wait = self.window
        else:
            wait = oldest_first[leaving - 1] + self.window - now
        raise PreviewLimitReached(
            limit=self.per_day, retry_after=max(1, int(wait.total_seconds()) + 1)
        )


@dataclass(slots=True)
class Preview(SpokenJob):
    """One voice reading one text, kept until `expires_at`. It is never deleted (the
    expiry job removes its row) and has one text only, so its lease is its attempt's."""

    _noun: ClassVar[str] = "preview"

    id: UUID
    cache_key: str
    voice_id: UUID
    text: str
    requested_by: UUID  # who made it new: it counts against that user's day only
    created_at: datetime
    expires_at: datetime
    status: GenerationStatus = GenerationStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_expires_at: datetime | None = None
    enqueued_at: datetime | None = None
    audio_key: str | None = None
    characters_billed: int = 0
    error_category: ErrorCategory | None = None
    error_code: str | None = None
    error_message: str | None = None
    updated_at: datetime | None = None
    version: int = 0

    def holds_lease(self, attempt: int, now: datetime) -> bool:
        return self._leased_to(attempt, now)

    def claim(self, now: datetime, lease: timedelta) -> int:
        if not self.is_due(now):
            raise IllegalTransition(f"A {self.status} preview that is not due cannot be started.")
        return self._start_attempt(now, lease)

    def complete(self, *, audio_key: str, characters_billed: int, now: datetime) -> None:
        self._complete(audio_key=audio_key, characters_billed=characters_billed, now=now)


@dataclass(slots=True)
class Comparison:
    """One user's compare: a text and the previews of the voices picked, in order.

    Previews are shared between users; a comparison is its owner's own, and what the
    owner polls."""

    id: UUID
    owner_id: UUID
    text: str
    created_at: datetime
    expires_at: datetime
    voice_ids: list[UUID] = field(default_factory=list)
    preview_ids: list[UUID] = field(default_factory=list)
