"""P7-P10: default voice, preferred QR size, the autosaved draft, recent voices and the
time zone, on fakes (the notification settings: tests/unit/mail)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from voiceqr.application.profile.preferences import Preferences
from voiceqr.domain.accounts.users import User
from voiceqr.domain.profile.preferences import (
    DEFAULT_QR_SIZE,
    MAX_DRAFT_LENGTH,
    MAX_QR_SIZE,
    MIN_QR_SIZE,
    UserPreferences,
)
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def prefs(s: Services) -> Preferences:
    return s.platform.profile


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


async def test_a_new_user_has_the_defaults(prefs: Preferences, ann: User) -> None:
    got = await prefs.get(ann)
    assert got == UserPreferences.defaults(ann.id)
    assert got.qr_size == DEFAULT_QR_SIZE == 512
    assert got.default_voice_id is None
    assert not got.has_draft


async def test_the_default_voice_and_qr_size_are_kept(
    prefs: Preferences, ann: User, voice: Voice
) -> None:
    await prefs.update(ann, {"default_voice_id": voice.id, "qr_size": 1024})
    got = await prefs.get(ann)
    assert (got.default_voice_id, got.qr_size) == (voice.id, 1024)
    await prefs.update(ann, {"default_voice_id": None})
    got = await prefs.get(ann)
    assert (got.default_voice_id, got.qr_size) == (None, 1024)


@pytest.mark.parametrize(
    "changes",
    [
        {"qr_size": MIN_QR_SIZE - 1},
        {"qr_size": MAX_QR_SIZE + 1},
        {"qr_size": "big"},
        {"qr_size": True},
        {"default_voice_id": "not-a-uuid"},
        {"colour": "blue"},
    ],
)
async def test_bad_preferences_are_refused_and_nothing_is_stored(
    s: Services, prefs: Preferences, ann: User, changes: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        await prefs.update(ann, changes)
    assert s.db.preferences == {}


async def test_an_unknown_or_unpublished_default_voice_is_refused(
    s: Services, prefs: Preferences, ann: User
) -> None:
    hidden = s.add_voice("Hidden", published=False)
    for voice_id in (uuid4(), hidden.id):
        with pytest.raises(ValidationError) as caught:
            await prefs.update(ann, {"default_voice_id": voice_id})
        assert caught.value.code == "unknown_voice"
    assert s.db.preferences == {}


async def test_a_voice_unpublished_after_it_was_chosen_reads_as_none(
    s: Services, prefs: Preferences, ann: User, voice: Voice
) -> None:
    await prefs.update(ann, {"default_voice_id": voice.id})
    s.db.voices[voice.id].published = False
    assert (await prefs.get(ann)).default_voice_id is None


async def test_the_draft_is_saved_restored_and_replaced(
    s: Services, prefs: Preferences, ann: User, voice: Voice
) -> None:
    await prefs.save_draft(ann, "Welcome to the", None)
    s.clock.advance(5)
    await prefs.save_draft(ann, "Welcome to the museum.", voice.id)
    got = await prefs.get(ann)
    assert (got.draft_text, got.draft_voice_id) == ("Welcome to the museum.", voice.id)
    assert got.draft_saved_at == s.clock()


async def test_saving_a_draft_keeps_the_other_preferences(
    prefs: Preferences, ann: User, voice: Voice
) -> None:
    await prefs.update(ann, {"default_voice_id": voice.id, "qr_size": 2048})
    await prefs.save_draft(ann, "hello", None)
    got = await prefs.get(ann)
    assert (got.default_voice_id, got.qr_size, got.draft_text) == (voice.id, 2048, "hello")


async def test_a_too_long_draft_or_unknown_draft_voice_is_refused(
    s: Services, prefs: Preferences, ann: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        await prefs.save_draft(ann, "x" * (MAX_DRAFT_LENGTH + 1), None)
    assert caught.value.code == "draft_too_long"
    with pytest.raises(ValidationError):
        await prefs.save_draft(ann, "hi", uuid4())
    assert s.db.preferences == {}
    await prefs.save_draft(ann, "x" * MAX_DRAFT_LENGTH, None)
    assert len((await prefs.get(ann)).draft_text) == MAX_DRAFT_LENGTH


async def test_a_draft_belongs_to_its_user_only(s: Services, prefs: Preferences, ann: User) -> None:
    bob = s.add_user("bob@example.com")
    await prefs.save_draft(ann, "ann's secret words", None)
    assert not (await prefs.get(bob)).has_draft


async def test_requesting_a_generation_clears_the_draft_but_not_the_preferences(
    s: Services, prefs: Preferences, ann: User, voice: Voice
) -> None:
    await prefs.update(ann, {"qr_size": 256})
    await prefs.save_draft(ann, "Room 4", voice.id)
    await s.generations.request(ann, text="Room 4", voice_id=voice.id)
    got = await prefs.get(ann)
    assert not got.has_draft
    assert got.draft_text == ""
    assert got.qr_size == 256


async def test_a_refused_generation_request_keeps_the_draft(
    s: Services, prefs: Preferences, ann: User
) -> None:
    await prefs.save_draft(ann, "Room 4", None)
    with pytest.raises(ValidationError):
        await s.generations.request(ann, text="Room 4", voice_id=uuid7())
    assert (await prefs.get(ann)).draft_text == "Room 4"


async def test_clear_draft(prefs: Preferences, ann: User) -> None:
    await prefs.save_draft(ann, "gone soon", None)
    await prefs.clear_draft(ann)
    assert not (await prefs.get(ann)).has_draft


async def test_recent_voices_are_the_latest_used_first_each_once(
    s: Services, prefs: Preferences, ann: User
) -> None:
    a, b, c = s.add_voice("A"), s.add_voice("B"), s.add_voice("C")
    for v in (a, b, a, c, a):
        await s.generations.request(ann, text="hi", voice_id=v.id)
        s.clock.advance(1)
    assert await prefs.recent_voice_ids(ann) == [a.id, c.id, b.id]
    assert await prefs.recent_voice_ids(ann, limit=2) == [a.id, c.id]
    bob = s.add_user("bob@example.com")
    assert await prefs.recent_voice_ids(bob) == []


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_only_sizes_in_range_make_preferences(size: int) -> None:
    user_id = uuid7()
    if MIN_QR_SIZE <= size <= MAX_QR_SIZE:
        assert UserPreferences(user_id=user_id, qr_size=size).qr_size == size
    else:
        with pytest.raises(ValidationError):
            UserPreferences(user_id=user_id, qr_size=size)


async def test_the_time_zone_for_analytics_is_kept_and_can_go_back_to_the_browsers(
    prefs: Preferences, ann: User
) -> None:
    assert (await prefs.get(ann)).time_zone == ""  # the browser's
    await prefs.update(ann, {"time_zone": "America/New_York", "qr_size": 300})
    got = await prefs.get(ann)
    assert (got.time_zone, got.qr_size) == ("America/New_York", 300)
    await prefs.update(ann, {"time_zone": ""})
    assert (await prefs.get(ann)).time_zone == ""


@given(name=st.text(max_size=40))
def test_only_iana_time_zones_are_preferences(name: str) -> None:
    from voiceqr.domain.shared.time_zones import time_zone_names

    if name == "" or name in time_zone_names():
        assert UserPreferences(user_id=uuid7(), time_zone=name).time_zone == name
    else:
        with pytest.raises(ValidationError) as caught:
            UserPreferences(user_id=uuid7(), time_zone=name)
        assert caught.value.code == "unknown_time_zone"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "localtime", "../../etc/passwd", "utc "])
async def test_an_unknown_time_zone_is_refused_and_nothing_is_stored(
    s: Services, prefs: Preferences, ann: User, name: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await prefs.update(ann, {"time_zone": name, "qr_size": 300})
    assert caught.value.code == "unknown_time_zone"
    assert s.db.preferences == {}
