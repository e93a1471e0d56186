"""Listen-through: which parts of a code's audio its listeners heard.

The player reports what it played as a set of 20 buckets of 5% each (a 20-bit mask:
bit i set when some of the audio between i*5% and (i+1)*5% was played). A listen only
ever gains buckets; per code the listens of one audio revision give a completion rate,
the average share heard, a retention curve (the share of listens that heard each
bucket) and, laid over the transcript, the share of listens that heard each sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

BUCKETS = 20
ALL_HEARD = (1 << BUCKETS) - 1
COMPLETED_SHARE = 0.95  # 19 of 20 buckets: a listener who skipped one 5% still finished


def is_heard_mask(value: int) -> bool:
    """Whether `value` can be a report of the player (20 bits, nothing else)."""
    return 0 <= value <= ALL_HEARD


@dataclass(frozen=True, slots=True)
class Heard:
    """The parts of the audio one listen played, as a 20-bit mask of 5% buckets."""

    mask: int = 0

    def __post_init__(self) -> None:
        if not is_heard_mask(self.mask):
            raise ValueError(f"a heard mask has {BUCKETS} bits: {self.mask} is not one")

    @classmethod
    def from_ranges(cls, ranges: Iterable[tuple[float, float]], duration: float) -> Heard:
        """The buckets touched by the played `(start, end)` ranges, in seconds, of audio
        `duration` seconds long (what the browser's `audio.played` holds).

        A range touches a bucket when it overlaps it by more than nothing: a bare
        point (a seek that played nothing) hears no bucket.
        """
        if not (math.isfinite(duration) and duration > 0):  # NaN: not loaded; inf: a stream
            return cls()
        mask = 0
        for start, end in ranges:
            start, end = max(0.0, start), min(duration, end)
            if not end > start:
                continue
            first = int(start / duration * BUCKETS)
            # The bucket the end falls in, unless it ends exactly on its left edge.
            last = min(BUCKETS - 1, math.ceil(end / duration * BUCKETS) - 1)
            for bucket in range(first, max(first, last) + 1):
                mask |= 1 << bucket
        return cls(mask)

    def __or__(self, other: Heard) -> Heard:
        return Heard(self.mask | other.mask)

    def has(self, bucket: int) -> bool:
        return bool(self.mask >> bucket & 1)

    @property
    def buckets(self) -> int:
        """How many of the 20 buckets were heard."""
        return self.mask.bit_count()

    @property
    def share(self) -> float:
        """The share of the audio heard, 0.0 to 1.0."""
        return self.buckets / BUCKETS

    @property
    def completed(self) -> bool:
        """Heard to the end: the last bucket, or at least 95% of the audio."""
        return self.has(BUCKETS - 1) or self.share >= COMPLETED_SHARE

    def heard_all(self, buckets: Iterable[int]) -> bool:
        return all(self.has(b) for b in buckets)

    def grew_from(self, before: Heard) -> bool:
        """Whether this has a bucket `before` lacked (the player reports only then)."""
        return bool(self.mask & ~before.mask)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the transcript and the part of the audio it takes, as the
    fractions [start, end) of the whole, estimated by its share of the characters."""

    text: str
    start: float
    end: float

    def buckets(self) -> range:
        """The buckets this sentence spans (at least one)."""
        first = min(BUCKETS - 1, int(self.start * BUCKETS))
        last = max(first, min(BUCKETS - 1, math.ceil(self.end * BUCKETS) - 1))
        return range(first, last + 1)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(transcript: str) -> list[Sentence]:
    """The transcript's sentences in order: split after `.`, `!` or `?` followed by
    whitespace, each kept as written (surrounding whitespace aside).

    Speech takes roughly as long as its characters, so a sentence's place in the audio
    is estimated by its place among the characters; the sentences cover [0, 1).
    """
    parts = [p.strip() for p in _SENTENCE_END.split(transcript)]
    parts = [p for p in parts if p]
    total = sum(len(p) for p in parts)
    found: list[Sentence] = []
    at = 0
    for part in parts:
        found.append(Sentence(part, at / total, (at + len(part)) / total))
        at += len(part)
    return found


def read_along(transcript: str) -> list[tuple[Sentence, str]]:
    """The transcript's sentences (as `sentences` finds them), each with the whitespace
    written after it: the playback page shows the text as written, each sentence marked
    with its place in the audio so the one being heard can be highlighted. Joined back,
    sentences and gaps give the transcript without its surrounding whitespace."""
    parts = _SENTENCE_END.split(transcript)
    gaps = [*_SENTENCE_END.findall(transcript), ""]
    kept = [gap for part, gap in zip(parts, gaps, strict=True) if part.strip()]
    return list(zip(sentences(transcript), kept, strict=True))


@dataclass(frozen=True, slots=True)
class SentenceHeard:
    """One sentence of the transcript and the share of listens that heard it."""

    text: str
    share: float


@dataclass(frozen=True, slots=True)
class ListenThrough:
    """How far the listens of one audio revision went."""

    listens: int
    completion_rate: float  # share of listens heard to the end (`Heard.completed`)
    average_share: float  # the mean share of the audio a listen heard
    retention: tuple[float, ...]  # per bucket, the share of listens that heard it
    sentences: tuple[SentenceHeard, ...]

    @classmethod
    def of(cls, tally: Mapping[Heard, int], transcript: str) -> ListenThrough:
        """The statistics of the listens in `tally` (how many listens heard exactly
        each set of buckets; none: all zero), laid over `transcript`.

        A sentence counts as heard by a listen that heard every bucket it spans, so
        "62% heard this sentence" means 62% of listens heard it through, not merely a
        part of it (this is at most the lowest retention over those buckets).
        """
        count = sum(tally.values())

        def share_of(heard: Callable[[Heard], bool]) -> float:
            return sum(n for h, n in tally.items() if heard(h)) / count if count else 0.0

        def heard_bucket(bucket: int) -> Callable[[Heard], bool]:
            return lambda h: h.has(bucket)

        def heard_through(sentence: Sentence) -> Callable[[Heard], bool]:
            return lambda h: h.heard_all(sentence.buckets())

        return cls(
            listens=count,
            completion_rate=share_of(lambda h: h.completed),
            average_share=sum(h.share * n for h, n in tally.items()) / count if count else 0.0,
            retention=tuple(share_of(heard_bucket(b)) for b in range(BUCKETS)),
            sentences=tuple(
                SentenceHeard(s.text, share_of(heard_through(s))) for s in sentences(transcript)
            ),
        )


def combined(tallies: Iterable[Mapping[Heard, int]]) -> dict[Heard, int]:
    """Several tallies (of several codes) as one, for their listen-through together."""
    found: dict[Heard, int] = {}
    for tally in tallies:
        for heard, count in tally.items():
            found[heard] = found.get(heard, 0) + count
    return found


@dataclass(frozen=True, slots=True)
class Listen:
    """One listen of a code's audio as its player last reported it: a listen id the
    page made up, the audio revision it played, and what it heard so far."""

    id: UUID
    generation_id: UUID
    revision: int
    heard: Heard
    at: datetime  # when this report came
