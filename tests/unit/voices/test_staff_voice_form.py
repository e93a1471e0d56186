"""The staff voice form: what it shows of a voice, what it posts, and which changes it
sends (only those made, so an untouched voice id does not ask the provider again); the
moves of the no-script up and down buttons; a moment written in the reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from litestar.datastructures import FormMultiDict

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.voices.voice import Voice
from voiceqr.entrypoints.http.backoffice.voices.views import moved
from voiceqr.entrypoints.http.backoffice.voices.voice_form import VoiceForm
from voiceqr.entrypoints.http.kit.views import when

VOICE = Voice(
    id=UUID(int=1),
    name="Ada",
    provider="espeak",
    provider_voice_id="en-gb",
    accent="Scottish",
    use_cases=("narration", "museum-guide"),
    tags=("calm", "museum night"),
    categories=("heritage",),
    priority=4,
)


def posted(form: VoiceForm, **changed: str | list[str]) -> VoiceForm:
    """The form as a browser posts it back, with some fields changed."""
    pairs: list[tuple[str, str]] = [(k, v) for k, v in form.values.items() if k not in changed]
    pairs += [("use_cases", u) for u in form.use_cases if "use_cases" not in changed]
    for name, value in changed.items():
        pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return VoiceForm.posted(FormMultiDict(pairs))


def test_a_voice_posted_back_untouched_changes_nothing() -> None:
    form = VoiceForm.of(VOICE)
    assert form.values["tags"] == "calm, museum night"
    assert form.use_cases == ("narration", "museum-guide")
    assert posted(form).changes(VOICE) == {}


def test_labels_typed_again_in_another_case_are_no_change_but_new_ones_are() -> None:
    form = VoiceForm.of(VOICE)
    assert posted(form, tags="Calm,  MUSEUM   night, calm").changes(VOICE) == {}
    assert posted(form, tags="calm, , windy,").changes(VOICE) == {"tags": ("calm", "windy")}
    assert posted(form, use_cases=["children"]).changes(VOICE) == {"use_cases": ("children",)}
    assert posted(form, use_cases=[]).changes(VOICE) == {"use_cases": ()}


def test_a_new_voice_is_made_unpublished_with_what_was_typed() -> None:
    spec = posted(VoiceForm.of(None), name=" Bo ", provider_voice_id="en", tags="A,b").spec()
    assert (spec.name, spec.provider, spec.published, spec.tags) == (
        "Bo",
        "espeak",
        False,
        ("A", "b"),
    )


def test_a_priority_that_is_not_a_whole_number_is_refused_in_words() -> None:
    with pytest.raises(ValidationError, match="whole number"):
        posted(VoiceForm.of(VOICE), priority="1e30").changes(VOICE)


def test_moves_go_up_or_down_and_stop_at_either_end() -> None:
    a, b, c = UUID(int=1), UUID(int=2), UUID(int=3)
    assert moved([a, b, c], b, "up") == [b, a, c]
    assert moved([a, b, c], b, "down") == [a, c, b]
    assert moved([a, b, c], a, "up") == [a, b, c]
    assert moved([a, b, c], c, "down") == [a, b, c]
    with pytest.raises(ValidationError, match="up or down"):
        moved([a, b, c], b, "sideways")


def test_a_moment_is_written_in_the_readers_zone_or_utc() -> None:
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert when(moment) == "2026-12-06 23:30 UTC"
    assert when(moment, ZoneInfo("Asia/Kolkata")) == "2026-12-07 05:00 Asia/Kolkata"
    assert when(moment.replace(tzinfo=None), ZoneInfo("Europe/Paris")) == (
        "2026-12-07 00:30 Europe/Paris"
    )
    assert when(None, ZoneInfo("UTC")) == ""
