"""The voice gallery: what users and staff see, curating voices, and seeding samples."""

from __future__ import annotations

import copy

import pytest

from tests.unit.fakes import FakeSpeech, Services, make_services
from voiceqr.application.voices.gallery import (
    SAMPLE_TEXT,
    BatchAction,
    Removal,
    VoiceSpec,
)
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.playback.events import Device, PlaybackEvent, PlaybackEventKind, StoredEvent
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.choosing import VoiceQuery, VoiceSort
from voiceqr.domain.voices.voice import Editor, Voice, VoiceSample


def sample(n: int = 1) -> VoiceSample:
    return VoiceSample(id=uuid7(), key=f"samples/x/{n}.mp3")


@pytest.fixture
def s() -> Services:
    return make_services(
        speech=[
            FakeSpeech("espeak", voice_ids={"en-us", "en-gb", "en-gb-x-rp"}),
            FakeSpeech("elevenlabs", voice_ids={"21m00"}),
        ]
    )


@pytest.fixture
def user(s: Services) -> User:
    return s.add_user("user@example.com")


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("admin@example.com", role=Role.ADMIN, name="Ada Admin")


def audit(s: Services) -> list[tuple[str, str]]:
    return [(e.action, e.target_id) for e in s.db.audit_events]


# Users choosing a voice.


async def test_users_see_published_voices_of_configured_providers_only_admins_see_all() -> None:
    s = make_services()  # espeak only
    low = s.add_voice("Low", priority=1)
    high = s.add_voice("High", priority=9)
    also_high = s.add_voice("Another", priority=9)
    draft = s.add_voice("Draft", published=False, priority=50)
    elsewhere = s.add_voice("Rachel", provider="elevenlabs", priority=90)
    admin = s.add_user("root@example.com", role=Role.ADMIN)

    shown = [v.id for v in await s.voices.list_for(s.add_user("u@example.com"))]
    assert shown == [also_high.id, high.id, low.id]  # priority first, then name
    assert [v.id for v in await s.voices.list_for(None)] == shown
    everything = [v.id for v in await s.voices.list_for(admin)]
    assert everything == [elsewhere.id, draft.id, also_high.id, high.id, low.id]
    browsed = await s.voices.browse(None, VoiceQuery())
    assert [c.voice.id for c in browsed] == shown
    staff_view = await s.voices.browse(admin, VoiceQuery())
    assert {c.voice.id: c.voice.published for c in staff_view}[draft.id] is False


async def test_an_unpublished_voice_is_hidden_from_users_but_not_from_admins(
    s: Services, user: User, admin: User
) -> None:
    draft = s.add_voice("Draft", published=False)
    with pytest.raises(NotFound) as error:
        await s.voices.get(draft.id, user=user)
    assert error.value.code == "voice_not_found"
    with pytest.raises(NotFound):
        await s.voices.card(draft.id)
    with pytest.raises(NotFound):
        await s.voices.get(uuid7(), user=admin)
    assert (await s.voices.get(draft.id, user=admin)).name == "Draft"


async def test_users_search_and_filter_the_gallery(s: Services, user: User) -> None:
    s.add_voice(
        "Oliver",
        provider_voice_id="en-gb-x-rp",
        description="Formal British narrator",
        type="male",
        language="English",
        accent="British",
        age="adult",
        style="formal",
        use_cases=("narration", "museum-guide"),
        tags=("classic",),
        categories=("Premium",),
    )
    s.add_voice(
        "Ava",
        description="Bright voice for adverts",
        type="female",
        language="en",
        accent="American",
        age="young",
        style="bright",
        use_cases=("advertising",),
        tags=("friendly",),
    )
    s.add_voice("Hidden narrator", published=False, description="Formal")

    async def names(**asked: str) -> list[str]:
        return [c.voice.name for c in await s.voices.browse(user, VoiceQuery(**asked))]

    assert await names(text="NARRATOR") == ["Oliver"]  # the description, any case
    assert await names(text="av") == ["Ava"]  # part of the name
    assert await names(gender="Female") == ["Ava"]
    assert await names(language="en-GB") == ["Ava", "Oliver"]  # "English" and "en" alike
    assert await names(language="fr") == []
    assert await names(accent="british") == ["Oliver"]
    assert await names(age="young", style="bright") == ["Ava"]
    assert await names(use_case="museum-guide") == ["Oliver"]
    assert await names(tag="Friendly") == ["Ava"]
    assert await names(category="premium") == ["Oliver"]
    assert await names(text="formal", gender="female") == []


async def test_the_gallery_sorts_by_name_newest_and_popularity(s: Services, user: User) -> None:
    old = s.add_voice("Zed", priority=1)
    s.clock.advance(60)
    new = s.add_voice("Amy", priority=0)
    s.clock.advance(60)
    used = s.add_voice("Mia", priority=5)
    generation = await s.generations.request(user, text="Hello there", voice_id=used.id)
    await s.generations.request(user, text="Hello again", voice_id=used.id)
    await s.generations.request(user, text="Once", voice_id=old.id)
    listen = PlaybackEvent(uuid7(), generation.id, PlaybackEventKind.LISTEN, s.clock())
    s.db.playback_events += [
        StoredEvent(listen),
        StoredEvent(PlaybackEvent(uuid7(), generation.id, PlaybackEventKind.LISTEN, s.clock())),
        StoredEvent(listen, device=Device(bot=True)),  # bots are not counted
        StoredEvent(PlaybackEvent(uuid7(), generation.id, PlaybackEventKind.SCAN, s.clock())),
    ]

    async def order(sort: VoiceSort) -> list[str]:
        return [c.voice.name for c in await s.voices.browse(user, VoiceQuery(sort=sort))]

    assert await order(VoiceSort.NAME) == ["Amy", "Mia", "Zed"]
    assert await order(VoiceSort.NEWEST) == ["Mia", "Amy", "Zed"]
    assert await order(VoiceSort.POPULAR) == ["Mia", "Zed", "Amy"]
    assert await order(VoiceSort.RECOMMENDED) == ["Mia", "Zed", "Amy"]  # priority
    cards = {c.voice.id: c.popularity for c in await s.voices.browse(user, VoiceQuery())}
    assert (cards[used.id].uses, cards[used.id].listens) == (2, 2)
    assert (cards[old.id].uses, cards[old.id].listens) == (1, 0)
    assert (cards[new.id].uses, cards[new.id].listens) == (0, 0)
    assert (await s.voices.card(used.id)).popularity.uses == 2


async def test_recommended_voices_for_a_content_type_come_first(s: Services, user: User) -> None:
    s.add_voice("Top", priority=9, use_cases=("advertising",))
    s.add_voice("Guide", priority=1, use_cases=("museum-guide",), language="English")
    s.add_voice("Guide FR", priority=5, use_cases=("museum-guide",), language="French")

    async def names(**asked: str) -> list[str]:
        return [c.voice.name for c in await s.voices.browse(user, VoiceQuery(**asked))]

    assert await names(content_type="museum-guide") == ["Guide FR", "Guide", "Top"]
    text = "Le musée présente une collection de peintures du siècle dernier et des sculptures."
    assert await names(sample_text=text) == ["Guide FR", "Guide", "Top"]
    english = "This painting from the museum collection shows the artist at work in the studio."
    assert await names(sample_text=english) == ["Guide", "Guide FR", "Top"]
    with pytest.raises(ValidationError) as error:
        VoiceQuery(content_type="karaoke")
    assert error.value.code == "unknown_use_case"


async def test_the_filter_menus_list_the_values_of_published_voices(s: Services) -> None:
    s.add_voice("A", type="male", language="English", accent="Scottish", tags=("warm",))
    s.add_voice("B", type="female", language="English", use_cases=("news", "children"))
    s.add_voice("C", type="robot", accent="Martian", published=False, tags=("secret",))

    options = await s.voices.filters()

    assert options.genders == ("female", "male")
    assert options.languages == ("English",)
    assert options.accents == ("Scottish",)
    assert options.use_cases == ("children", "news")  # in the known list's order
    assert options.tags == ("warm",)


# Staff curating the gallery.


async def test_only_admins_manage_voices(s: Services, user: User) -> None:
    voice = s.add_voice("Alex")
    before = copy.deepcopy(s.db.voices)

    for attempt in (
        s.voices.create(user, VoiceSpec(name="Mine", provider_voice_id="en-us")),
        s.voices.update(user, voice.id, {"name": "Hijacked"}),
        s.voices.delete(user, voice.id),
        s.voices.usage(user, voice.id),
        s.voices.reorder(user, [voice.id]),
        s.voices.batch(user, BatchAction.UNPUBLISH, [voice.id]),
    ):
        with pytest.raises(PermissionDenied) as error:
            await attempt
        assert error.value.code == "admin_only"
        assert error.value.category is ErrorCategory.PERMISSION
    assert s.db.voices == before
    assert s.db.audit_events == []


async def test_an_admin_adds_a_voice_which_says_who_made_it(s: Services, admin: User) -> None:
    spec = VoiceSpec(
        name="  Nova ",
        provider_voice_id="en-gb",
        language="en",
        accent="British",
        use_cases=("News", "narration"),
        tags=("  Calm  Voice ", "calm voice"),
        priority=3,
    )
    voice = await s.voices.create(admin, spec, ip="192.0.2.1")
    stored = s.db.voices[voice.id]
    assert stored.name == "Nova"
    assert (stored.provider, stored.provider_voice_id, stored.language) == ("espeak", "en-gb", "en")
    assert stored.use_cases == ("news", "narration")
    assert stored.tags == ("calm voice",)
    assert stored.published is False
    assert stored.created_at == stored.updated_at == s.clock()
    assert stored.created_by == stored.updated_by == Editor(admin.id, "Ada Admin")
    assert audit(s) == [("voice.create", str(voice.id))]


async def test_a_voice_of_a_provider_not_running_here_cannot_be_added() -> None:
    s = make_services()
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    with pytest.raises(ValidationError) as error:
        await s.voices.create(admin, VoiceSpec("Rachel", "21m00", provider="elevenlabs"))
    assert error.value.code == "unknown_provider"
    assert s.db.voices == {}


async def test_names_are_unique_per_provider_in_any_case(s: Services, admin: User) -> None:
    sam = await s.voices.create(admin, VoiceSpec("Sam", "en-us"))
    other = await s.voices.create(admin, VoiceSpec("Alex", "en-gb"))

    with pytest.raises(Conflict) as error:
        await s.voices.create(admin, VoiceSpec("  SAM ", "en-gb"))
    assert error.value.code == "voice_name_taken"
    with pytest.raises(Conflict):
        await s.voices.update(admin, other.id, {"name": "sam"})
    same_name_elsewhere = await s.voices.create(admin, VoiceSpec("Sam", "21m00", "elevenlabs"))

    assert s.db.voices[other.id].name == "Alex"
    assert {v.id for v in s.db.voices.values()} == {sam.id, other.id, same_name_elsewhere.id}
    await s.voices.update(admin, sam.id, {"name": "SAM"})  # its own name, in another case
    assert s.db.voices[sam.id].name == "SAM"


async def test_update_rejects_unknown_fields(s: Services, admin: User) -> None:
    voice = s.add_voice("Alex")
    with pytest.raises(ValidationError) as error:
        await s.voices.update(admin, voice.id, {"name": "Ok", "colour": "red", "id": uuid7()})
    assert error.value.code == "unknown_field"
    assert "colour" in error.value.message
    assert "id" in error.value.message
    assert s.db.voices[voice.id].name == "Alex"


async def test_an_admin_updates_a_voice_which_says_who_changed_it(s: Services, admin: User) -> None:
    voice = s.add_voice("Alex", priority=1)
    s.clock.advance(60)
    updated = await s.voices.update(
        admin, voice.id, {"name": "Alexa", "published": False, "tags": ["new"]}
    )
    stored = s.db.voices[voice.id]
    assert stored == updated
    assert (stored.name, stored.published, stored.priority, stored.tags) == (
        "Alexa",
        False,
        1,
        ("new",),
    )
    assert stored.updated_at == s.clock()
    assert stored.created_at == voice.created_at
    assert stored.updated_by == Editor(admin.id, "Ada Admin")
    assert stored.created_by is None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "   "}, "voice_name_blank"),
        ({"provider": "nowhere"}, "unknown_provider"),
        ({"language": "x" * 51}, "voice_field_too_long"),
        ({"region": "x" * 200}, "voice_field_too_long"),
        ({"priority": 2**63}, "voice_priority_out_of_range"),
        ({"priority": -1_000_001}, "voice_priority_out_of_range"),
        ({"use_cases": ["karaoke"]}, "unknown_use_case"),
        ({"tags": ["x" * 31]}, "voice_label_too_long"),
        ({"tags": [f"t{i}" for i in range(21)]}, "voice_too_many_labels"),
        ({"categories": [" "]}, "voice_label_blank"),
    ],
)
async def test_an_update_that_breaks_a_voice_changes_nothing(
    s: Services, admin: User, changes: dict[str, object], code: str
) -> None:
    voice = s.add_voice("Alex")
    before = copy.deepcopy(s.db.voices)
    with pytest.raises(ValidationError) as error:
        await s.voices.update(admin, voice.id, changes)
    assert error.value.code == code
    with pytest.raises(NotFound):
        await s.voices.update(admin, uuid7(), {"name": "Ghost"})
    assert s.db.voices == before


async def test_publishing_needs_a_sample_and_a_voice_id_the_provider_accepts(
    s: Services, admin: User
) -> None:
    silent = s.add_voice("Silent", published=False)
    unknown = s.add_voice("Typo", provider_voice_id="en-uss", samples=[sample()], published=False)
    good = s.add_voice("Good", provider_voice_id="en-gb", samples=[sample()], published=False)

    with pytest.raises(ValidationError) as no_sample:
        await s.voices.update(admin, silent.id, {"published": True})
    assert no_sample.value.code == "voice_not_publishable"
    assert "Silent: it has no sample" in no_sample.value.message
    with pytest.raises(ValidationError) as typo:
        await s.voices.update(admin, unknown.id, {"published": True})
    assert "'en-uss'" in typo.value.message
    with pytest.raises(ValidationError):
        await s.voices.create(admin, VoiceSpec("Eager", "en-us", published=True))

    await s.voices.update(admin, good.id, {"published": True})
    assert s.db.voices[good.id].published
    with pytest.raises(ValidationError):  # a published voice keeps an accepted id
        await s.voices.update(admin, good.id, {"provider_voice_id": "en-zz"})
    with pytest.raises(ValidationError):  # ...and a sample
        await s.voices.update(admin, good.id, {"samples": []})
    assert not s.db.voices[silent.id].published
    assert not s.db.voices[unknown.id].published
    assert s.db.voices[good.id].provider_voice_id == "en-gb"
    assert [v.name for v in s.db.voices.values()] == ["Silent", "Typo", "Good"]


async def test_a_provider_that_cannot_be_asked_publishes_nothing(s: Services, admin: User) -> None:
    voice = s.add_voice("Good", provider_voice_id="en-gb", samples=[sample()], published=False)
    s.speech["espeak"].accepts_error = SpeechError(
        "The speech provider cannot be reached; please try again.",
        category=ErrorCategory.PROVIDER,
        code="provider_unreachable",
        retryable=True,
    )
    with pytest.raises(SpeechError) as error:
        await s.voices.batch(admin, BatchAction.PUBLISH, [voice.id])
    assert error.value.code == "provider_unreachable"
    assert not s.db.voices[voice.id].published
    assert s.db.audit_events == []


async def test_a_voice_in_use_is_unpublished_not_deleted(
    s: Services, admin: User, user: User
) -> None:
    s.storage.objects.clear()
    await s.storage.put("samples/x/1.mp3", b"ID3", "audio/mpeg")
    used = s.add_voice("Used", samples=[sample()])
    await s.generations.request(user, text="Hello", voice_id=used.id)
    await s.generations.request(user, text="Hello again", voice_id=used.id)

    assert await s.voices.usage(admin, used.id) == 2
    outcome = await s.voices.delete(admin, used.id)

    assert (outcome.outcome, outcome.generations) == (Removal.UNPUBLISHED, 2)
    assert s.db.voices[used.id].published is False
    assert "samples/x/1.mp3" in s.storage.objects  # its generations' voice still sounds
    assert audit(s)[-1] == ("voice.unpublish", str(used.id))
    assert s.db.audit_events[-1].details == {
        "name": "Used",
        "generations": 2,
        "instead_of": "delete",
    }


async def test_deleting_an_unused_voice_removes_it_and_its_samples(
    s: Services, admin: User
) -> None:
    s.storage.objects.clear()
    key = "samples/x/1.mp3"
    await s.storage.put(key, b"ID3", "audio/mpeg")
    voice = s.add_voice("Alex", samples=[VoiceSample(id=uuid7(), key=key)])
    keep = s.add_voice("Keep")

    outcome = await s.voices.delete(admin, voice.id)

    assert (outcome.outcome, outcome.generations) == (Removal.DELETED, 0)
    assert list(s.db.voices) == [keep.id]
    assert key not in s.storage.objects
    with pytest.raises(NotFound):
        await s.voices.delete(admin, voice.id)
    with pytest.raises(NotFound):
        await s.voices.usage(admin, voice.id)


async def test_staff_reorder_the_whole_gallery(s: Services, admin: User) -> None:
    a, b, c = (s.add_voice(n, priority=p) for n, p in (("A", 3), ("B", 2), ("C", 1)))

    await s.voices.reorder(admin, [c.id, a.id, b.id])

    assert [v.name for v in await s.voices.list_all(admin)] == ["C", "A", "B"]
    assert audit(s) == [("voice.reorder", "gallery")]
    assert s.db.voices[c.id].updated_by == Editor(admin.id, "Ada Admin")
    before = copy.deepcopy(s.db.voices)
    for wrong in ([c.id, a.id], [c.id, a.id, b.id, uuid7()], [c.id, a.id, b.id, b.id]):
        with pytest.raises(ValidationError) as error:
            await s.voices.reorder(admin, wrong)
        assert error.value.code in ("voice_order_incomplete", "voice_order_twice")
    assert s.db.voices == before


async def test_a_batch_publish_is_all_or_none_and_names_the_voices_at_fault(
    s: Services, admin: User
) -> None:
    ready = s.add_voice("Ready", provider_voice_id="en-gb", samples=[sample()], published=False)
    silent = s.add_voice("Silent", published=False)
    typo = s.add_voice("Typo", provider_voice_id="nope", samples=[sample()], published=False)

    with pytest.raises(ValidationError) as error:
        await s.voices.batch(admin, BatchAction.PUBLISH, [ready.id, silent.id, typo.id])

    assert "Silent" in error.value.message
    assert "Typo" in error.value.message
    assert "Ready" not in error.value.message
    assert not any(v.published for v in s.db.voices.values())
    with pytest.raises(NotFound):
        await s.voices.batch(admin, BatchAction.UNPUBLISH, [ready.id, uuid7()])
    assert s.db.audit_events == []

    await s.voices.batch(admin, BatchAction.PUBLISH, [ready.id])
    assert s.db.voices[ready.id].published
    assert audit(s) == [("voice.publish", str(ready.id))]


async def test_a_batch_tags_untags_unpublishes_and_deletes(
    s: Services, admin: User, user: User
) -> None:
    a = s.add_voice("A", tags=("old",))
    b = s.add_voice("B")
    await s.generations.request(user, text="Hello", voice_id=b.id)

    await s.voices.batch(admin, BatchAction.TAG, [a.id, b.id], tag=" Festive ")
    assert (s.db.voices[a.id].tags, s.db.voices[b.id].tags) == (("old", "festive"), ("festive",))
    await s.voices.batch(admin, BatchAction.UNTAG, [a.id, b.id], tag="old")
    assert s.db.voices[a.id].tags == ("festive",)
    with pytest.raises(ValidationError):
        await s.voices.batch(admin, BatchAction.TAG, [a.id], tag="")
    await s.voices.batch(admin, BatchAction.UNPUBLISH, [a.id])
    assert not s.db.voices[a.id].published

    outcomes = await s.voices.batch(admin, BatchAction.DELETE, [a.id, b.id])

    assert [(o.voice_id, o.outcome) for o in outcomes] == [
        (a.id, Removal.DELETED),
        (b.id, Removal.UNPUBLISHED),
    ]
    assert list(s.db.voices) == [b.id]
    actions = [action for action, _ in audit(s)]
    assert actions == ["voice.tag"] * 2 + ["voice.untag"] * 2 + ["voice.unpublish"] + [
        "voice.delete",
        "voice.unpublish",
    ]


# The default gallery.

DEFAULTS = (
    VoiceSpec("Alex", "en-us", priority=10, published=True, accent="American"),
    VoiceSpec("Brit", "en-gb", priority=5, published=True),
    VoiceSpec("Rachel", "21m00", provider="elevenlabs", priority=1, published=True),
)


async def test_seed_adds_the_defaults_with_a_sample_each_only_when_empty() -> None:
    s = make_services()  # espeak only
    assert await s.voices.seed(DEFAULTS) == 3

    voices = sorted(s.db.voices.values(), key=lambda v: -v.priority)
    assert [v.name for v in voices] == ["Alex", "Brit", "Rachel"]
    for voice in voices[:2]:
        (made,) = voice.samples
        assert made.key == f"samples/{voice.id}/{made.id}.mp3"
        assert s.storage.objects[made.key].data == FakeSpeech.default_audio(SAMPLE_TEXT)
        assert await s.voices.sample_urls(voice) == [f"/media/{made.key}"]
        assert voice.published
        assert voice.created_by == Editor(None, "default gallery")
    assert voices[0].accent == "American"
    assert voices[2].samples == []  # no elevenlabs here: no sample, so not published
    assert not voices[2].published
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


def test_the_default_galleries_have_eight_voices_with_accents_per_provider() -> None:
    from voiceqr.bootstrap.voices import DEFAULT_GALLERY

    assert set(DEFAULT_GALLERY) == {"espeak", "elevenlabs"}
    for specs in DEFAULT_GALLERY.values():
        voices = [Voice(id=uuid7(), **_fields(spec)) for spec in specs]  # valid voices
        assert len(voices) >= 8
        assert len({v.accent for v in voices}) >= 4
        assert all(v.use_cases and v.tags and v.published for v in voices)
        assert len({v.name.lower() for v in voices}) == len(voices)


def _fields(spec: VoiceSpec) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}


async def test_the_cli_names_a_voice_only_when_its_name_is_unambiguous(s: Services) -> None:
    from voiceqr.entrypoints.cli.voices import find_voice

    sam = s.add_voice("Sam", samples=[sample()])
    assert await find_voice(s.platform, " sAM ") == sam.id
    assert await find_voice(s.platform, str(sam.id)) == sam.id
    hidden = s.add_voice("Draft", published=False)
    with pytest.raises(ValidationError):
        await find_voice(s.platform, "Draft")  # `generate` picks published voices only
    assert await find_voice(s.platform, "draft", published_only=False) == hidden.id

    twin = s.add_voice("SAM", provider="elevenlabs", provider_voice_id="21m00")
    with pytest.raises(ValidationError) as error:
        await find_voice(s.platform, "Sam")
    assert error.value.code == "voice_name_ambiguous"
    assert f"{sam.id} (espeak)" in error.value.message
    assert f"{twin.id} (elevenlabs)" in error.value.message


async def test_the_landing_example_is_the_first_voice_a_visitor_can_hear() -> None:
    s = make_services()  # espeak only: Rachel (ElevenLabs) is never offered
    assert await s.voices.example() is None  # no gallery, no example (never a fake one)

    await s.voices.seed(DEFAULTS)
    found = await s.voices.example()

    assert found is not None
    voice, url = found
    assert voice.name == "Alex"  # the highest priority
    assert url == f"/media/{voice.samples[0].key}"
    assert s.storage.objects[voice.samples[0].key].data == FakeSpeech.default_audio(SAMPLE_TEXT)
