"""Comparing voices side by side on fakes: previews made by the generation pipeline,
shared by voice and text, limited per user per day, never in the history, expiring."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import FakeSpeech, Services, make_services
from voiceqr.application.generations.previews import PROCESS_PREVIEW, ComparisonView
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import RetryPolicy
from voiceqr.domain.generations.previews import (
    DailyAllowance,
    PreviewLimitReached,
    preview_text,
)
from voiceqr.domain.shared.errors import (
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice
from voiceqr.logs import JsonFormatter

TEXT = "Welcome to the museum. The east wing opens at ten."


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


@pytest.fixture
def voices(s: Services) -> list[Voice]:
    return [
        s.add_voice(name, provider_voice_id=pid)
        for name, pid in (("Alex", "en-us"), ("Brit", "en-gb"), ("Kiwi", "en-nz"), ("Ola", "nb"))
    ]


def ids(voices: list[Voice]) -> list[UUID]:
    return [v.id for v in voices]


async def run_jobs(s: Services) -> list[str]:
    """What a worker does with the preview jobs handed over so far."""
    jobs, s.queue.jobs = s.queue.jobs, []
    previews = s.platform.generations.previews
    return [await previews.process(UUID(i[0])) for task, i in jobs if task == PROCESS_PREVIEW]


async def compare(
    s: Services, user: User, voice_ids: list[UUID], text: str = TEXT
) -> ComparisonView:
    return await s.platform.generations.previews.compare(user, text=text, voice_ids=voice_ids)


async def test_each_picked_voice_reads_the_text_through_the_job_queue(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    asked = await compare(s, ann, ids(voices[:3]))
    assert [r.status for r in asked.readings] == ["pending"] * 3
    assert [r.voice_name for r in asked.readings] == ["Alex", "Brit", "Kiwi"]
    assert asked.new_previews == 3
    assert not asked.done

    assert await run_jobs(s) == ["completed"] * 3
    seen = await s.platform.generations.previews.comparison(ann, asked.id)
    assert seen.done
    assert [r.status for r in seen.readings] == ["completed"] * 3
    for reading in seen.readings:
        assert reading.audio_url is not None
        key = reading.audio_url.removeprefix("/media/")
        assert s.storage.objects[key].data.startswith(b"ID3")
    spoken = [(c.text, c.provider_voice_id) for c in s.speech["espeak"].calls]
    assert spoken == [(TEXT, "en-us"), (TEXT, "en-gb"), (TEXT, "en-nz")]


async def test_a_second_compare_of_the_same_text_and_voice_is_instant_for_anyone(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    await compare(s, ann, ids(voices[:2]))
    await run_jobs(s)
    bob = s.add_user("bob@example.com")

    again = await compare(s, bob, ids(voices[:2]), text=f"  {TEXT.replace(' ', '   ')}\n")

    assert again.new_previews == 0
    assert again.done
    assert all(r.audio_url for r in again.readings)
    assert s.queue.jobs == []
    assert len(s.speech["espeak"].calls) == 2  # no second synthesis


async def test_a_changed_voice_is_read_again(s: Services, ann: User, voices: list[Voice]) -> None:
    await compare(s, ann, ids(voices[:2]))
    await run_jobs(s)
    changed = s.db.voices[voices[0].id]
    changed.provider_voice_id = "en-us+f3"
    changed.updated_at = s.clock.advance(minutes=1)

    again = await compare(s, ann, ids(voices[:2]))

    assert again.new_previews == 1
    assert [r.status for r in again.readings] == ["pending", "completed"]
    await run_jobs(s)
    assert s.speech["espeak"].calls[-1].provider_voice_id == "en-us+f3"


@pytest.mark.parametrize(
    ("picked", "text", "code"),
    [
        (1, TEXT, "too_few_voices"),
        (5, TEXT, "too_many_voices"),
        (2, "x" * 301, "text_too_long"),
        (2, "   ", "text_blank"),
    ],
)
async def test_a_bad_compare_is_refused_and_saves_nothing(
    s: Services, ann: User, voices: list[Voice], picked: int, text: str, code: str
) -> None:
    fifth = s.add_voice("Fifth", provider_voice_id="fr")
    with pytest.raises(ValidationError) as refused:
        await compare(s, ann, ids([*voices, fifth][:picked]), text=text)
    assert refused.value.code == code
    assert s.db.voice_previews == {}
    assert s.db.voice_comparisons == {}


async def test_300_characters_are_fine(s: Services, ann: User, voices: list[Voice]) -> None:
    asked = await compare(s, ann, ids(voices[:2]), text="y" * 300)
    assert len(asked.text) == 300


async def test_the_same_voice_twice_is_refused(s: Services, ann: User, voices: list[Voice]) -> None:
    with pytest.raises(ValidationError) as refused:
        await compare(s, ann, [voices[0].id, voices[0].id])
    assert refused.value.code == "duplicate_voices"


async def test_an_unpublished_voice_is_not_found_for_users_but_staff_may_compare_it(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    hidden = s.add_voice("Hidden", provider_voice_id="de", published=False)
    with pytest.raises(NotFound) as refused:
        await compare(s, ann, [voices[0].id, hidden.id])
    assert refused.value.code == "voice_not_found"
    with pytest.raises(NotFound):
        await compare(s, ann, [voices[0].id, uuid7()])
    assert s.db.voice_previews == {}

    admin = s.add_user("admin@example.com", role=Role.ADMIN)
    asked = await compare(s, admin, [voices[0].id, hidden.id])
    assert asked.new_previews == 2


async def test_an_unverified_user_cannot_compare(s: Services, voices: list[Voice]) -> None:
    new = s.add_user("new@example.com", verified=False)
    with pytest.raises(PermissionDenied):
        await compare(s, new, ids(voices[:2]))


async def test_the_daily_limit_counts_only_new_previews(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    for n in range(10):  # 20 new previews: the whole day's allowance
        await compare(s, ann, ids(voices[:2]), text=f"Text number {n}.")
        s.clock.advance(minutes=1)
    await run_jobs(s)

    with pytest.raises(PreviewLimitReached) as refused:
        await compare(s, ann, ids(voices[:2]), text="One more text.")
    assert refused.value.category is ErrorCategory.RATE_LIMITED
    assert "20 new previews" in refused.value.message
    # The first two previews leave the 24 hours 10 minutes after the last was made.
    assert refused.value.retry_after == pytest.approx(24 * 3600 - 10 * 60, abs=2)
    assert len(s.db.voice_previews) == 20

    cached = await compare(s, ann, ids(voices[:2]), text="Text number 3.")
    assert cached.new_previews == 0
    assert cached.done

    bob = s.add_user("bob@example.com")  # another user's day is their own
    assert (await compare(s, bob, ids(voices[:2]), text="One more text.")).new_previews == 2

    s.clock.advance(seconds=refused.value.retry_after)
    assert (await compare(s, ann, ids(voices[2:]), text="One more text.")).new_previews == 2


async def test_the_user_sees_only_their_own_comparisons(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    asked = await compare(s, ann, ids(voices[:2]))
    bob = s.add_user("bob@example.com")
    with pytest.raises(NotFound):
        await s.platform.generations.previews.comparison(bob, asked.id)


async def test_previews_are_not_in_the_history(s: Services, ann: User, voices: list[Voice]) -> None:
    await compare(s, ann, ids(voices[:2]))
    await run_jobs(s)
    assert s.db.generations == {}
    assert (await s.generations.history(ann)).items == []
    assert await s.generations.list_for_owner(ann) == []


async def test_a_failing_preview_is_retried_and_a_final_failure_is_shown_then_made_again(
    ann: User,
) -> None:
    def busy() -> SpeechError:
        return SpeechError(
            "The speech service is busy.",
            category=ErrorCategory.PROVIDER,
            code="provider_busy",
            retryable=True,
        )

    speech = FakeSpeech("espeak").then(busy(), FakeSpeech.default_audio(TEXT), busy())
    s = make_services(speech=[speech], retry_policy=RetryPolicy(max_attempts=2))
    s.db.put_user(ann)
    one, two = s.add_voice("Alex"), s.add_voice("Brit", provider_voice_id="en-gb")
    asked = await compare(s, ann, [one.id, two.id])
    assert sorted(await run_jobs(s)) == ["completed", "retry_scheduled"]
    s.clock.advance(hours=1)
    await s.platform.generations.previews.sweep()
    assert await run_jobs(s) == ["failed"]

    seen = await s.platform.generations.previews.comparison(ann, asked.id)
    assert sorted(r.status for r in seen.readings) == ["completed", "failed"]
    failed = next(r for r in seen.readings if r.status == "failed")
    assert failed.error_message == "The speech service is busy."
    assert failed.audio_url is None

    again = await compare(s, ann, [one.id, two.id])
    assert again.new_previews == 1  # the failed one is made anew (and counts)
    assert await run_jobs(s) == ["completed"]


async def test_a_lost_worker_s_preview_is_put_back_by_the_sweep(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    asked = await compare(s, ann, ids(voices[:2]))
    s.queue.jobs = []  # the broker lost them
    preview_id = asked.readings[0].preview_id
    stored = s.db.voice_previews[preview_id]
    stored.claim(s.clock(), timedelta(seconds=300))  # a worker took it and died
    s.clock.advance(seconds=301)

    assert await s.platform.generations.previews.sweep() == 2
    assert sorted(await run_jobs(s)) == ["completed", "completed"]


async def test_expired_previews_and_their_audio_are_deleted(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    old = await compare(s, ann, ids(voices[:2]), text="Old text.")
    await run_jobs(s)
    s.clock.advance(days=4)
    await compare(s, ann, ids(voices[1:3]), text="Old text.")  # uses Brit's again
    await run_jobs(s)
    keys = {p.id: p.audio_key for p in s.db.voice_previews.values()}
    s.clock.advance(days=3, seconds=1)

    assert await s.platform.generations.previews.expire() == 1  # only Alex's
    alex = old.readings[0].preview_id
    assert alex not in s.db.voice_previews
    assert len(s.db.voice_previews) == 2
    assert keys[alex] not in s.storage.objects
    assert len(s.db.voice_comparisons) == 1  # the old comparison went with its week
    seen = await s.platform.generations.previews.comparison(ann, next(iter(s.db.voice_comparisons)))
    assert [r.status for r in seen.readings] == ["completed", "completed"]

    s.clock.advance(days=5)
    assert await s.platform.generations.previews.expire() == 2
    assert s.db.voice_previews == {}
    assert s.db.voice_comparisons == {}
    assert not any(k.startswith("previews/") for k in s.storage.objects)


async def test_a_preview_deleted_while_it_was_being_made_leaves_no_audio(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    asked = await compare(s, ann, ids(voices[:2]))
    preview_id = asked.readings[0].preview_id

    async def deleted_meanwhile(_call: object) -> None:
        s.db.voice_previews.pop(preview_id, None)

    s.speech["espeak"].on_call = deleted_meanwhile
    assert (await run_jobs(s))[0] == "skipped"
    assert not any(str(preview_id) in k for k in s.storage.objects)


def test_text_is_read_alike_whatever_its_spacing() -> None:
    assert preview_text("  Hello\n\n  world\t!  ") == "Hello world !"


@given(
    per_day=st.integers(min_value=1, max_value=30),
    gaps=st.lists(st.integers(min_value=0, max_value=7200), min_size=1, max_size=60),
    wanted=st.integers(min_value=1, max_value=4),
)
def test_the_allowance_never_lets_more_than_a_day_s_worth_through(
    per_day: int, gaps: list[int], wanted: int
) -> None:
    """Whatever the pace of asking, no 24 hours hold more new previews than allowed,
    and the Retry-After of a refusal is when asking again succeeds."""
    allowance = DailyAllowance(per_day=per_day)
    now = datetime(2026, 1, 1).astimezone()
    made: list[datetime] = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        recent = [m for m in made if m >= now - allowance.window]
        try:
            allowance.check(made=recent, wanted=wanted, now=now)
        except PreviewLimitReached as refused:
            assert wanted > per_day or len(recent) + wanted > per_day
            if wanted <= per_day:
                later = now + timedelta(seconds=refused.retry_after)
                allowance.check(
                    made=[m for m in made if m >= later - allowance.window],
                    wanted=wanted,
                    now=later,
                )
            continue
        made.extend([now] * wanted)
        assert len([m for m in made if m > now - allowance.window]) <= per_day


async def test_a_compare_during_the_reading_leaves_the_worker_its_claim(
    s: Services, ann: User, voices: list[Voice]
) -> None:
    await compare(s, ann, ids(voices[:2]))
    bob = s.add_user("bob@example.com")
    during: list[ComparisonView] = []

    async def bob_compares_too(_call: object) -> None:
        if not during:
            during.append(await compare(s, bob, ids(voices[:2])))

    s.speech["espeak"].on_call = bob_compares_too
    assert await run_jobs(s) == ["completed", "completed"]
    assert during[0].new_previews == 0
    assert [r.status for r in during[0].readings] == ["processing", "pending"]
    assert (await s.platform.generations.previews.comparison(bob, during[0].id)).done


async def test_a_preview_job_logs_each_step_with_its_preview_and_attempt(
    s: Services, ann: User, voices: list[Voice], caplog: pytest.LogCaptureFixture
) -> None:
    asked = await compare(s, ann, ids(voices[:2]))
    first = str(asked.readings[0].preview_id)

    with caplog.at_level(logging.DEBUG):
        await run_jobs(s)

    formatter = JsonFormatter()
    lines = [
        json.loads(formatter.format(r))
        for r in caplog.records
        if r.name == "voiceqr.application.generations.previews"
    ]
    mine = [line for line in lines if line.get("preview_id") == first]
    assert [line["step"] for line in mine] == ["claim", "synthesize", "store", "complete"]
    assert all(line["attempt"] == 1 and line["category"] is None for line in mine)
    assert mine[2]["audio_key"] == f"previews/{first}/1.mp3"
