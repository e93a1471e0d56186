"""The voice gallery (C1), accounts and sessions, and the public playback page (C4, C5)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from tests.unit.fakes import FakeSpeech, Services, make_services
from voiceqr.application.accounts.policy import Client, hash_token
from voiceqr.application.voices.gallery import SAMPLE_TEXT, VoiceSpec
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import GenerationStatus, new_public_code
from voiceqr.domain.playback.events import PlaybackCounts
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import VoiceSample

CLIENT = Client(ip="203.0.113.7", user_agent="pytest")
PASSWORD = "correct horse battery"


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def user(s: Services) -> User:
    return s.add_user("user@example.com")


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("admin@example.com", role=Role.ADMIN)


# --- the voice gallery -----------------------------------------------------------------


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
    voice = s.add_voice("Alex", samples=[VoiceSample(key=key)])
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


# --- accounts --------------------------------------------------------------------------


async def test_creating_a_user_normalizes_the_email_and_hashes_the_password(s: Services) -> None:
    user = await s.accounts.create_user(
        email="  Ann.Lee@Example.COM ", name=" ", password=PASSWORD, role=Role.USER, actor=OPERATOR
    )
    stored = s.db.users[user.id]
    assert stored.email == "ann.lee@example.com"
    assert stored.name  # a blank name falls back to something readable
    assert PASSWORD not in stored.password_hash
    assert stored.role is Role.USER
    assert await s.accounts.get_by_email("ANN.LEE@example.com") == stored


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-email", PASSWORD, "email_invalid"),
        ("ann@example.com", "short", "password_too_short"),
        ("ann@example.com", "x" * 1025, "password_too_long"),
    ],
)
async def test_creating_a_user_validates_email_and_password(
    s: Services, email: str, password: str, code: str
) -> None:
    with pytest.raises(ValidationError) as error:
        await s.accounts.create_user(
            email=email, name="Ann", password=password, role=Role.USER, actor=OPERATOR
        )
    assert error.value.code == code
    assert s.db.users == {}


async def test_an_email_can_have_only_one_account(s: Services) -> None:
    await s.accounts.create_user(
        email="ann@example.com", name="Ann", password=PASSWORD, role=Role.USER, actor=OPERATOR
    )
    with pytest.raises(Conflict) as error:
        await s.accounts.create_user(
            email="ANN@example.com",
            name="Other",
            password=PASSWORD,
            role=Role.ADMIN,
            actor=OPERATOR,
        )
    assert error.value.code == "email_taken"
    assert [u.name for u in await s.accounts.list_users(OPERATOR)] == ["Ann"]


async def test_signing_in_with_the_right_password_gives_a_working_session(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)

    signed_in = await s.accounts.sign_in(client=CLIENT, email=" Ann@Example.com", password=PASSWORD)

    assert signed_in.user.id == user.id
    assert signed_in.session.expires_at == s.clock() + timedelta(hours=12)
    assert len(signed_in.token) >= 43  # 256 random bits
    assert signed_in.token not in s.sessions.sessions  # stored by hash only
    assert hash_token(signed_in.token) in s.sessions.sessions
    assert await s.accounts.user_for_session(signed_in.token) == user
    other = await s.accounts.sign_in(client=CLIENT, email="ann@example.com", password=PASSWORD)
    assert other.token != signed_in.token


async def test_wrong_password_and_unknown_email_fail_the_same_way(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    errors = []
    for email, password in (
        ("ann@example.com", PASSWORD + "!"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ):
        with pytest.raises(AuthenticationFailed) as error:
            await s.accounts.sign_in(client=CLIENT, email=email, password=password)
        errors.append((error.value.code, error.value.message, error.value.category))
    assert (
        errors
        == [
            ("bad_credentials", "The email or password is not right.", ErrorCategory.AUTHENTICATION)
        ]
        * 3
    )
    assert s.hasher.verified == 3  # unknown and malformed emails are hashed too (same timing)
    assert s.sessions.sessions == {}


async def test_a_session_ends_after_being_idle_too_long() -> None:
    s = make_services(session_idle=timedelta(minutes=30), session_absolute=timedelta(hours=12))
    user = s.add_user(password=PASSWORD)
    token = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token

    s.clock.advance(minutes=29)
    assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=29)  # 58 min after signing in, 29 after the last visit
    assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=30)
    assert await s.accounts.user_for_session(token) is None
    assert s.sessions.sessions == {}  # an expired session is removed
    s.clock.advance(seconds=1)
    assert await s.accounts.user_for_session(token) is None


async def test_a_session_ends_at_its_absolute_limit_however_busy() -> None:
    s = make_services(session_idle=timedelta(hours=2), session_absolute=timedelta(hours=12))
    user = s.add_user(password=PASSWORD)
    token = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token

    for _ in range(7):  # every 90 minutes, up to 10.5 h
        s.clock.advance(minutes=90)
        assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=89)  # 11 h 59 min
    assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=1)
    assert await s.accounts.user_for_session(token) is None


async def test_signing_out_ends_the_session(s: Services) -> None:
    user = s.add_user(password=PASSWORD)
    keep = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token
    token = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token

    await s.accounts.sign_out(token)

    assert await s.accounts.user_for_session(token) is None
    assert await s.accounts.user_for_session(keep) == user  # other devices stay signed in
    await s.accounts.sign_out(token)  # twice is fine
    assert await s.accounts.user_for_session("never-issued") is None


async def test_an_outdated_password_hash_is_upgraded_on_sign_in(s: Services) -> None:
    user = s.add_user(password=PASSWORD)
    s.hasher.scheme = "fake2"
    await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)
    upgraded = s.db.users[user.id].password_hash
    assert upgraded.startswith("$fake2$")
    assert await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)


# --- playback --------------------------------------------------------------------------


async def test_the_page_of_a_completed_code_has_an_audio_url_and_a_pending_one_has_none(
    s: Services, user: User
) -> None:
    voice = s.add_voice("Alex")
    done = await s.generations.request(user, text="Listen to me", voice_id=voice.id)
    waiting = await s.generations.request(user, text="Not yet", voice_id=voice.id)
    await s.generations.process(done.id)

    page = await s.playback.page(done.public_code)
    assert page.status is GenerationStatus.COMPLETED
    assert page.audio_url == f"/media/audio/{done.id}/1.mp3"
    assert (page.code, page.text, page.voice_name) == (done.public_code, "Listen to me", "Alex")

    pending = await s.playback.page(waiting.public_code)
    assert pending.status is GenerationStatus.PENDING
    assert pending.audio_url is None
    assert pending.text == "Not yet"


@pytest.mark.parametrize("code", ["", "abc", "../../etc/passwd", "a/b/c/d/e/f/g/h", "x" * 65])
async def test_a_malformed_code_is_not_found_without_asking_the_database(
    s: Services, code: str
) -> None:
    opened = s.uow.opened
    with pytest.raises(NotFound) as error:
        await s.playback.page(code)
    assert error.value.code == "code_not_found"
    with pytest.raises(NotFound):
        await s.playback.record_scan(code)
    assert s.uow.opened == opened
    assert s.db.playback_events == []


async def test_an_unknown_code_is_not_found(s: Services) -> None:
    with pytest.raises(NotFound) as error:
        await s.playback.page(new_public_code())
    assert error.value.code == "code_not_found"


async def test_scans_and_listens_are_counted_per_generation(s: Services, user: User) -> None:
    voice = s.add_voice("Alex")
    first = await s.generations.request(user, text="One", voice_id=voice.id)
    second = await s.generations.request(user, text="Two", voice_id=voice.id)
    never = await s.generations.request(user, text="Three", voice_id=voice.id)

    await s.playback.record_scan(first.public_code, user_agent="Phone")
    await s.playback.record_scan(first.public_code)
    await s.playback.record_listen(first.public_code)
    await s.playback.record_scan(second.public_code, user_agent="x" * 2000)

    counts = await s.playback.counts([first.id, second.id, never.id])
    assert counts == {
        first.id: PlaybackCounts(scans=2, listens=1),
        second.id: PlaybackCounts(scans=1, listens=0),
        never.id: PlaybackCounts(scans=0, listens=0),
    }
    long_agent = next(e for e in s.db.playback_events if e.generation_id == second.id)
    assert len(long_agent.user_agent) == 500
    assert all(e.occurred_at == s.clock() for e in s.db.playback_events)
