"""A voice's samples managed by staff: uploads all or nothing, spoken samples, relabel,
reorder and delete, each audited; nobody else may touch them."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from tests.unit.fakes.voices import audio
from voiceqr.application.voices.samples import MAX_FILES_PER_UPLOAD, UploadedFile
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    SpeechError,
    StorageError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.samples import (
    MAX_SAMPLES_PER_VOICE,
    clean_label,
    label_from_filename,
    reordered,
)
from voiceqr.domain.voices.voice import Voice, VoiceSample


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("admin@example.com", role=Role.ADMIN)


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Nova", published=False)


def stored(s: Services, voice: Voice) -> list[VoiceSample]:
    return s.db.voices[voice.id].samples


async def test_uploaded_files_become_samples_in_the_store_in_the_order_sent(
    s: Services, admin: User, voice: Voice
) -> None:
    added = await s.voice_samples.add_uploaded(
        admin,
        voice.id,
        [
            UploadedFile("Calm_take.wav", audio(2500, "a")),
            UploadedFile("C:\\x\\Bright.ogg", audio(4000)),
        ],
        ip="203.0.113.9",
    )

    assert [(x.label, x.duration_ms) for x in added] == [("Calm take", 2500), ("Bright", 4000)]
    assert stored(s, voice) == added
    for sample in added:
        assert sample.key == f"samples/{voice.id}/{sample.id}.mp3"
        assert s.storage.objects[sample.key].content_type == "audio/mpeg"
    assert s.storage.objects[added[0].key].data == b"ID3" + audio(2500, "a")
    (entry,) = s.db.audit_events
    assert (entry.action, entry.actor_id, entry.target_id, entry.ip) == (
        "voice.sample.add",
        admin.id,
        str(voice.id),
        "203.0.113.9",
    )
    assert entry.details["how"] == "uploaded"
    assert s.db.voices[voice.id].updated_at == s.clock()


async def test_an_upload_with_one_bad_file_stores_nothing(
    s: Services, admin: User, voice: Voice
) -> None:
    with pytest.raises(ValidationError) as refused:
        await s.voice_samples.add_uploaded(
            admin,
            voice.id,
            [UploadedFile("good.wav", audio()), UploadedFile("notes.mp3", b"just text")],
        )
    assert refused.value.code == "sample_not_audio"
    assert s.storage.objects == {}
    assert s.storage.puts == []  # every file is checked before any is stored
    assert stored(s, voice) == []
    assert s.db.audit_events == []


async def test_when_the_store_fails_half_way_what_was_stored_is_removed(
    s: Services, admin: User, voice: Voice
) -> None:
    files = [UploadedFile(f"{n}.wav", audio()) for n in range(3)]
    s.storage.fail_puts = 0
    original_put = s.storage.put
    puts = 0

    async def put_then_fail(key: str, data: bytes, content_type: str) -> None:
        nonlocal puts
        puts += 1
        if puts == 3:
            raise StorageError("The audio could not be saved.")
        await original_put(key, data, content_type)

    s.storage.put = put_then_fail  # type: ignore[method-assign]
    with pytest.raises(StorageError):
        await s.voice_samples.add_uploaded(admin, voice.id, files)
    assert s.storage.objects == {}
    assert len(s.storage.deletes) == 3
    assert stored(s, voice) == []


async def test_when_the_voice_is_deleted_meanwhile_the_stored_audio_is_removed(
    s: Services, admin: User, voice: Voice
) -> None:
    original_put = s.storage.put

    async def put_while_someone_deletes(key: str, data: bytes, content_type: str) -> None:
        await original_put(key, data, content_type)
        s.db.voices.pop(voice.id, None)

    s.storage.put = put_while_someone_deletes  # type: ignore[method-assign]
    with pytest.raises(NotFound):
        await s.voice_samples.add_uploaded(admin, voice.id, [UploadedFile("a.wav", audio())])
    assert s.storage.objects == {}


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([], "no_sample_files"),
        ([UploadedFile("a.wav", audio())] * (MAX_FILES_PER_UPLOAD + 1), "too_many_files"),
        ([UploadedFile("empty.mp3", b"")], "sample_empty"),
        ([UploadedFile("long.wav", audio(600_000))], "sample_too_long"),
        ([UploadedFile("short.wav", audio(400))], "sample_too_short"),
        ([UploadedFile("big.wav", audio(2000, "x" * 2000))], "sample_too_large"),
    ],
    ids=["none", "too-many-files", "empty", "ten-minutes", "short", "too-large"],
)
async def test_refused_uploads_say_why_and_store_nothing(
    s: Services, admin: User, voice: Voice, files: list[UploadedFile], code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await s.voice_samples.add_uploaded(admin, voice.id, files)
    assert refused.value.code == code
    assert s.storage.objects == {}
    assert stored(s, voice) == []


async def test_a_voice_has_a_limited_number_of_samples(
    s: Services, admin: User, voice: Voice
) -> None:
    for _ in range(MAX_SAMPLES_PER_VOICE // 4):
        await s.voice_samples.add_uploaded(admin, voice.id, [UploadedFile("a.wav", audio())] * 4)
    with pytest.raises(ValidationError) as refused:
        await s.voice_samples.add_uploaded(admin, voice.id, [UploadedFile("a.wav", audio())])
    assert refused.value.code == "too_many_samples"
    assert len(stored(s, voice)) == MAX_SAMPLES_PER_VOICE


async def test_the_voice_speaks_a_sample_of_itself(s: Services, admin: User, voice: Voice) -> None:
    sample = await s.voice_samples.speak(admin, voice.id, "  Welcome to the museum.  ")

    assert [c.text for c in s.speech["espeak"].calls] == ["Welcome to the museum."]
    assert s.speech["espeak"].calls[0].voice_id == voice.id
    assert (sample.label, sample.duration_ms) == ("Spoken sample", 1500)
    assert s.storage.objects[sample.key].data.startswith(b"ID3")
    assert stored(s, voice) == [sample]
    (entry,) = s.db.audit_events
    assert entry.details["how"] == "spoken"


async def test_a_spoken_sample_refused_by_the_provider_stores_nothing(
    s: Services, admin: User, voice: Voice
) -> None:
    s.speech["espeak"].then(
        SpeechError("down", category=SpeechError.category, code="provider_down", retryable=True)
    )
    with pytest.raises(SpeechError):
        await s.voice_samples.speak(admin, voice.id, "Hello")
    assert s.storage.objects == {}
    assert stored(s, voice) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [("   ", "text_blank"), ("x" * 301, "text_too_long"), ("a\x00b", "control_characters")],
)
async def test_a_bad_sample_text_is_refused_before_speaking(
    s: Services, admin: User, voice: Voice, text: str, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await s.voice_samples.speak(admin, voice.id, text)
    assert refused.value.code == code
    assert s.speech["espeak"].calls == []


async def test_a_voice_whose_provider_is_not_here_cannot_speak_a_sample(
    s: Services, admin: User
) -> None:
    elsewhere = s.add_voice("Rachel", provider="elevenlabs")
    with pytest.raises(ValidationError) as refused:
        await s.voice_samples.speak(admin, elsewhere.id, "Hello")
    assert refused.value.code == "unknown_provider"


async def test_samples_are_relabelled_reordered_and_deleted(
    s: Services, admin: User, voice: Voice
) -> None:
    a, b, c = await s.voice_samples.add_uploaded(
        admin, voice.id, [UploadedFile(f"{n}.wav", audio()) for n in "abc"]
    )

    renamed = await s.voice_samples.relabel(admin, voice.id, b.id, "  Warm   and slow ")
    assert renamed.label == "Warm and slow"
    assert await s.voice_samples.reorder(admin, voice.id, [c.id, b.id, a.id]) == [c, renamed, a]
    await s.voice_samples.delete(admin, voice.id, c.id)

    assert stored(s, voice) == [renamed, a]
    assert c.key not in s.storage.objects
    assert a.key in s.storage.objects
    actions = [e.action for e in s.db.audit_events]
    assert actions == [
        "voice.sample.add",
        "voice.sample.relabel",
        "voice.sample.reorder",
        "voice.sample.delete",
    ]


async def test_a_reorder_must_name_every_sample_once(
    s: Services, admin: User, voice: Voice
) -> None:
    a, b = await s.voice_samples.add_uploaded(
        admin, voice.id, [UploadedFile(f"{n}.wav", audio()) for n in "ab"]
    )
    for ids in ([a.id], [a.id, a.id], [a.id, b.id, uuid7()], [b.id, uuid7()]):
        with pytest.raises(ValidationError) as refused:
            await s.voice_samples.reorder(admin, voice.id, ids)
        assert refused.value.code == "sample_order_mismatch"
    assert stored(s, voice) == [a, b]


async def test_a_published_voice_keeps_its_last_sample(s: Services, admin: User) -> None:
    voice = s.add_voice("Live", published=True)
    only, extra = await s.voice_samples.add_uploaded(
        admin, voice.id, [UploadedFile("a.wav", audio()), UploadedFile("b.wav", audio())]
    )
    await s.voice_samples.delete(admin, voice.id, extra.id)
    with pytest.raises(Conflict) as refused:
        await s.voice_samples.delete(admin, voice.id, only.id)
    assert refused.value.code == "last_sample_of_published_voice"
    assert stored(s, voice) == [only]
    assert only.key in s.storage.objects


async def test_unknown_voices_and_samples_are_not_found(
    s: Services, admin: User, voice: Voice
) -> None:
    with pytest.raises(NotFound) as missing:
        await s.voice_samples.add_uploaded(admin, uuid7(), [UploadedFile("a.wav", audio())])
    assert missing.value.code == "voice_not_found"
    for attempt in (
        s.voice_samples.delete(admin, voice.id, uuid7()),
        s.voice_samples.relabel(admin, voice.id, uuid7(), "New"),
    ):
        with pytest.raises(NotFound) as missing:
            await attempt
        assert missing.value.code == "sample_not_found"
    assert s.storage.objects == {}


async def test_only_those_who_manage_voices_touch_samples(
    s: Services, admin: User, voice: Voice
) -> None:
    (sample,) = await s.voice_samples.add_uploaded(
        admin, voice.id, [UploadedFile("a.wav", audio())]
    )
    before, objects = copy.deepcopy(s.db.voices), dict(s.storage.objects)
    for role in (Role.USER, Role.SUPPORT, Role.MODERATOR):
        someone = s.add_user(f"{role}@example.com", role=role)
        for attempt in (
            s.voice_samples.add_uploaded(someone, voice.id, [UploadedFile("b.wav", audio())]),
            s.voice_samples.speak(someone, voice.id, "Hello"),
            s.voice_samples.relabel(someone, voice.id, sample.id, "Mine"),
            s.voice_samples.reorder(someone, voice.id, [sample.id]),
            s.voice_samples.delete(someone, voice.id, sample.id),
        ):
            with pytest.raises(PermissionDenied):
                await attempt
    assert s.db.voices == before
    assert s.storage.objects == objects
    assert s.speech["espeak"].calls == []
    assert s.sample_audio.calls == ["a.wav"]


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("museum_intro.mp3", "museum intro"),
        ("C:\\Users\\ann\\Desktop\\Warm voice.WAV", "Warm voice"),
        ("/tmp/a/b/c.ogg", "c"),
        (".mp3", "Sample"),
        ("", "Sample"),
        ("x" * 200 + ".mp3", "Sample"),
    ],
)
def test_a_sample_is_first_labelled_after_its_file(filename: str, label: str) -> None:
    assert label_from_filename(filename) == label


@given(st.text(max_size=80))
def test_a_label_is_one_tidy_line_or_refused(text: str) -> None:
    refusal = ""
    try:
        label = clean_label(text)
    except ValidationError as refused:
        label, refusal = "", refused.code
    if refusal:
        assert refusal in {"sample_label_blank", "sample_label_too_long", "control_characters"}
    else:
        assert label == label.strip()
        assert "  " not in label
        assert "\n" not in label
        assert 0 < len(label) <= 60


@given(st.lists(st.uuids(), min_size=1, max_size=8, unique=True), st.randoms())
def test_reordering_keeps_every_sample_exactly_once(ids: list, random: object) -> None:
    samples = [VoiceSample(id=i, key=f"k/{i}") for i in ids]
    order = list(ids)
    random.shuffle(order)  # type: ignore[attr-defined]
    result = reordered(samples, order)
    assert [x.id for x in result] == order
    assert sorted(result, key=lambda x: x.id) == sorted(samples, key=lambda x: x.id)


async def test_a_deleted_sample_stays_deleted_when_its_audio_cannot_be_removed(
    s: Services, admin: User, voice: Voice
) -> None:
    a, b = await s.voice_samples.add_uploaded(
        admin, voice.id, [UploadedFile(f"{n}.wav", audio()) for n in "ab"]
    )

    async def store_down(key: str) -> None:
        raise StorageError("The audio store is down.")

    s.storage.delete = store_down  # type: ignore[method-assign]
    await s.voice_samples.delete(admin, voice.id, a.id)
    assert stored(s, voice) == [b]
