"""Structured logs of background work: every step of a generation job logs the
generation id, the attempt and the failure category, as fields a JSON log collector
can filter on (not only inside the message)."""

from __future__ import annotations

import json
import logging
from uuid import UUID

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.domain.generations.generation import RetryPolicy
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.logs import JsonFormatter

LOGGERS = (
    "voiceqr.application.generations.generations",
    "voiceqr.application.generations.failures",
)


@pytest.fixture
def s() -> Services:
    return make_services(retry_policy=RetryPolicy(max_attempts=2, base_seconds=30.0))


def busy() -> SpeechError:
    return SpeechError(
        "The speech service is busy.",
        category=ErrorCategory.PROVIDER,
        code="provider_busy",
        retryable=True,
    )


def job_lines(caplog: pytest.LogCaptureFixture, generation_id: UUID) -> list[dict[str, object]]:
    """The JSON lines the job's records become with VOICEQR_LOG_FORMAT=json."""
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name in LOGGERS]
    return [line for line in lines if line.get("generation_id") == str(generation_id)]


async def test_a_successful_job_logs_each_step_with_its_generation_and_attempt(
    s: Services, caplog: pytest.LogCaptureFixture
) -> None:
    owner, voice = s.add_user(), s.add_voice()
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)

    with caplog.at_level(logging.DEBUG):
        await s.generations.process(generation.id)

    lines = job_lines(caplog, generation.id)
    assert [line["step"] for line in lines] == ["claim", "synthesize", "store", "complete"]
    for line in lines:
        assert line["attempt"] == 1
        assert "category" in line
        assert line["category"] is None  # nothing failed
    assert lines[2]["audio_key"] == f"audio/{generation.id}/1.mp3"


async def test_a_failing_job_logs_the_category_on_every_failure_step(
    s: Services, caplog: pytest.LogCaptureFixture
) -> None:
    owner, voice = s.add_user(), s.add_voice()
    s.speech["espeak"].then(busy(), busy())
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)

    with caplog.at_level(logging.DEBUG):
        await s.generations.process(generation.id)
        due = s.db.generation(generation.id).next_attempt_at
        assert due is not None
        s.clock.set(due)
        await s.generations.process(generation.id)

    lines = job_lines(caplog, generation.id)
    assert [(line["step"], line["attempt"]) for line in lines] == [
        ("claim", 1),
        ("fail", 1),
        ("retry_scheduled", 1),
        ("claim", 2),
        ("notify", 2),  # the owner's mail is written in the transaction that fails it
        ("fail", 2),
        ("final_failure", 2),
    ]
    failures = [line for line in lines if line["step"] != "claim"]
    assert all(line["category"] == "provider" for line in failures)
    assert lines[1]["code"] == "provider_busy"
    assert lines[5]["action"] == "failed"
    assert lines[2]["next_attempt_at"] is not None
    assert lines[-1]["level"] == "warning"


async def test_a_lost_worker_is_logged_with_its_attempt(
    s: Services, caplog: pytest.LogCaptureFixture
) -> None:
    owner, voice = s.add_user(), s.add_voice()
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)

    async def worker_dies(_call: object) -> None:
        raise SystemExit  # the process is gone mid-job: nothing is recorded

    s.speech["espeak"].on_call = worker_dies
    with pytest.raises(SystemExit):
        await s.generations.process(generation.id)
    s.clock.advance(seconds=s.lease.total_seconds() + 1)

    with caplog.at_level(logging.DEBUG):
        await s.generations.sweep()

    [expired] = [
        line for line in job_lines(caplog, generation.id) if line["step"] == "lease_expired"
    ]
    assert expired["attempt"] == 1
    assert expired["category"] == "system"
    assert expired["action"] == "retry_scheduled"
