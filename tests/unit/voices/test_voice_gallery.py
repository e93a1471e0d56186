"""The voice gallery: what users and admins see, managing voices, and seeding samples."""

from __future__ import annotations

import copy

import pytest

from tests.unit.fakes import FakeSpeech, Services, make_services
from voiceqr.application.voices.gallery import SAMPLE_TEXT, VoiceSpec
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.errors import ErrorCategory, NotFound, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import VoiceSample


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def user(s: Services) -> User:
    return s.add_user("user@example.com")


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("admin@example.com", role=Role.ADMIN)


async def test_users_see_published_voices_of_configured_providers_only_admins_see_all(
    s: Services, user: User, admin: User
) -> None:
    low = s.add_voice("Low", priority=1)
    high = s.add_voice("High", priority=9)
    also_high = s.add_voice("Another", priority=9)
    draft = s.add_voice("Draft", published=False, priority=50)
    elsewhere = s.add_voice("Rachel", provider="elevenlabs", priority=90)

    shown = [v.id for v in await s.voices.list_for(user)]
    assert shown == [also_high.id, high.id, low.id]  # priority first, then name
    assert [v.id for v in await s.voices.list_for(None)] == shown
    everything = [v.id for v in await s.voices.list_for(admin)]
    assert everything == [elsewhere.id, draft.id, also_high.id, high.id, low.id]


async def test_an_unpublished_voice_is_hidden_from_users_but_not_from_admins(
    s: Services, user: User, admin: User
) -> None:
    draft = s.add_voice("Draft", published=False)
    with pytest.raises(NotFound) as error:
        await s.voices.get(draft.id, user=user)
    assert error.value.code == "voice_not_found"
    with pytest.raises(NotFound):
        await s.voices.get(draft.id)
    with pytest.raises(NotFound):
        await s.voices.get(uuid7(), user=admin)
    assert (await s.voices.get(draft.id, user=admin)).name == "Draft"


async def test_only_admins_manage_voices(s: Services, user: User) -> None:
    voice = s.add_voice("Alex")
    before = copy.deepcopy(s.db.voices)

    for attempt in (
        s.voices.create(user, VoiceSpec(name="Mine", provider_voice_id="en")),
        s.voices.update(user, voice.id, {"name": "Hijacked"}),
        s.voices.delete(user, voice.id),
    ):
        with pytest.raises(PermissionDenied) as error:
            await attempt
        assert error.value.code == "admin_only"
        assert error.value.category is ErrorCategory.PERMISSION
    assert s.db.voices == before


async def test_an_admin_adds_a_voice(s: Services, admin: User) -> None:
    spec = VoiceSpec(name="  Nova ", provider_voice_id="en-gb", language="en", priority=3)
    voice = await s.voices.create(admin, spec)
    stored = s.db.voices[voice.id]
    assert stored.name == "Nova"
    assert (stored.provider, stored.provider_voice_id, stored.language) == ("espeak", "en-gb", "en")
    assert stored.published
    assert stored.created_at == stored.updated_at == s.clock()


async def test_a_voice_of_a_provider_not_running_here_cannot_be_added(
    s: Services, admin: User
) -> None:
    with pytest.raises(ValidationError) as error:
        await s.voices.create(admin, VoiceSpec("Rachel", "21m00", provider="elevenlabs"))
    assert error.value.code == "unknown_provider"
    assert s.db.voices == {}


async def test_update_rejects_unknown_fields(s: Services, admin: User) -> None:
    voice = s.add_voice("Alex")
    with pytest.raises(ValidationError) as error:
        await s.voices.update(admin, voice.id, {"name": "Ok", "colour": "red", "id": uuid7()})
    assert error.value.code == "unknown_field"
    assert "colour" in error.value.message
    assert "id" in error.value.message
    assert s.db.voices[voice.id].name == "Alex"


async def test_an_admin_updates_a_voice(s: Services, admin: User) -> None:
    voice = s.add_voice("Alex", priority=1)
    s.clock.advance(60)
    updated = await s.voices.update(admin, voice.id, {"name": "Alexa", "published": False})
    stored = s.db.voices[voice.id]
    assert stored == updated
    assert (stored.name, stored.published, stored.priority) == ("Alexa", False, 1)
    assert stored.updated_at == s.clock()
    assert stored.created_at == voice.created_at


async def test_an_update_that_breaks_a_voice_changes_nothing(s: Services, admin: User) -> None:
    voice = s.add_voice("Alex")
    with pytest.raises(ValidationError) as blank:
        await s.voices.update(admin, voice.id, {"name": "   "})
    assert blank.value.code == "voice_name_blank"
    with pytest.raises(ValidationError) as provider:
        await s.voices.update(admin, voice.id, {"provider": "nowhere"})
    assert provider.value.code == "unknown_provider"
    with pytest.raises(NotFound):
        await s.voices.update(admin, uuid7(), {"name": "Ghost"})
    assert s.db.voices[voice.id].name == "Alex"
    assert s.db.voices[voice.id].provider == "espeak"


async def test_deleting_a_voice_removes_its_samples(s: Services, admin: User) -> None:
    s.storage.objects.clear()
    key = "samples/x/1.mp3"
    await s.storage.put(key, b"ID3", "audio/mpeg")
    voice = s.add_voice("Alex", samples=[VoiceSample(id=uuid7(), key=key)])
    keep = s.add_voice("Keep")

    await s.voices.delete(admin, voice.id)

    assert list(s.db.voices) == [keep.id]
    assert key not in s.storage.objects
    with pytest.raises(NotFound):
        await s.voices.delete(admin, voice.id)


DEFAULTS = (
    VoiceSpec("Alex", "en-us", priority=10),
    VoiceSpec("Brit", "en-gb", priority=5),
    VoiceSpec("Rachel", "21m00", provider="elevenlabs", priority=1),
)


async def test_seed_adds_the_defaults_with_a_sample_each_only_when_empty(s: Services) -> None:
    assert await s.voices.seed(DEFAULTS) == 3

    voices = sorted(s.db.voices.values(), key=lambda v: -v.priority)
    assert [v.name for v in voices] == ["Alex", "Brit", "Rachel"]
    for voice in voices[:2]:
        (sample,) = voice.samples
        assert sample.key == f"samples/{voice.id}/1.mp3"
        assert s.storage.objects[sample.key].data == FakeSpeech.default_audio(SAMPLE_TEXT)
        assert await s.voices.sample_urls(voice) == [f"/media/{sample.key}"]
    assert voices[2].samples == []  # no elevenlabs here: no sample, but the voice is listed
    assert [c.provider_voice_id for c in s.speech["espeak"].calls] == ["en-us", "en-gb"]

    assert await s.voices.seed(DEFAULTS) == 0  # idempotent
    assert len(s.db.voices) == 3
    assert len(s.speech["espeak"].calls) == 2


async def test_seed_leaves_an_existing_gallery_alone(s: Services) -> None:
    s.add_voice("Curated")
    assert await s.voices.seed(DEFAULTS) == 0
    assert [v.name for v in s.db.voices.values()] == ["Curated"]
    assert s.speech["espeak"].calls == []
    assert s.storage.objects == {}
