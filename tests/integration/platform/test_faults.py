"""Faults the background pipeline must survive, on real services.

(a) A worker is SIGKILLed in the middle of a job: its lease runs out, the sweeper of a
    second worker puts the generation back and it completes once, on attempt 2.
(b) ElevenLabs answers 429 (too_many_concurrent_requests, Retry-After) and then
    succeeds: the generation is retried no sooner than Retry-After and completes.
(c) The broker is down when a generation is requested: the request is accepted and
    saved as pending; once the broker is back a worker's sweeper hands it over.

Only the ElevenLabs API is a stand-in (a local fake HTTP server); PostgreSQL, Redis,
S3 (moto's server) and the `voiceqr` processes are real.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, reachable
from tests.integration.elevenlabs_server import (
    API_KEY,
    FAKE_MP3,
    VOICE_ID,
    FakeElevenLabs,
    RecordedRequest,
    elevenlabs_server,  # noqa: F401
)
from tests.integration.processes import (
    Deadline,
    MotoS3,
    Processes,
    clean_environ,
    moto_s3,  # noqa: F401
    processes,  # noqa: F401
    start_redis_server,
    wait_for_http,
    wait_until,
    wait_until_async,
)
from voiceqr.application.voices.gallery import SAMPLE_TEXT, VoiceSpec
from voiceqr.bootstrap import ELEVENLABS_DEFAULT_VOICES, Adapters, Platform, build
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample
from voiceqr.entrypoints.worker.registry import start_worker
from voiceqr.settings import load

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TEXT = "The museum closes at six; the last guided tour starts at five."
PASSWORD = "correct horse battery staple"
SPEECH_PATH = f"/v1/text-to-speech/{VOICE_ID}"


def elevenlabs_env(fake: FakeElevenLabs) -> dict[str, str]:
    return {
        "VOICEQR_SPEECH_PROVIDERS": "elevenlabs",
        "VOICEQR_SPEECH_ELEVENLABS_API_KEY": API_KEY,
        "VOICEQR_SPEECH_ELEVENLABS_BASE_URL": fake.url,
        "VOICEQR_SPEECH_ELEVENLABS_TIMEOUT_SECONDS": "30",
    }


def is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


async def new_user(platform: Platform, *, role: Role = Role.USER) -> User:
    return await platform.accounts.accounts.create_user(
        email=f"{uuid.uuid4().hex[:10]}@example.com",
        name="Grace",
        password=PASSWORD,
        role=role,
        actor=OPERATOR,
    )


def speech_requests(fake: FakeElevenLabs, text: str) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.json().get("text") == text]


async def published_voice(platform: Platform, admin: User) -> Voice:
    """Rachel, published with a sample (publishing asks the fake for its voice list)."""
    voice = await platform.voices.create(admin, VoiceSpec("Rachel", VOICE_ID, "elevenlabs"))
    sample = VoiceSample(id=uuid7(), key=f"samples/{voice.id}/set-up.mp3")
    return await platform.voices.update(admin, voice.id, {"samples": [sample], "published": True})


# --- (a) a worker killed mid-job ----------------------------------------------------------


async def test_worker_killed_mid_job_is_recovered_and_completes_exactly_once(
    moto_s3: MotoS3,  # noqa: F811
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    fresh_postgres: str,
    redis_url: str,
    tmp_path: Path,
    processes: Processes,  # noqa: F811 - last: stopped first, before the services
) -> None:
    deadline = Deadline(55)
    fake = elevenlabs_server
    fake.voices |= {spec.provider_voice_id for spec in ELEVENLABS_DEFAULT_VOICES}
    env = clean_environ(
        VOICEQR_DATABASE_URL=fresh_postgres,
        VOICEQR_QUEUE="redis",
        VOICEQR_QUEUE_REDIS_URL=redis_url,
        VOICEQR_QUEUE_STREAM=f"voiceqr:test:{uuid.uuid4().hex}",
        VOICEQR_DATA_DIR=str(tmp_path / "data"),
        VOICEQR_JOBS_LEASE_SECONDS="5",
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        VOICEQR_LOG_LEVEL="INFO",
        **elevenlabs_env(fake),
        **moto_s3.env(),
    )

    # The first worker starts while the gallery is seeded (one sample per voice).
    first_worker = processes.voiceqr("worker-1", "worker", env=env)
    seed = processes.voiceqr("voices-seed", "voices", "seed", env=env)
    assert "added 8 voices" in processes.finish(seed, timeout=deadline.left(30))
    assert len(fake.requests) == len(ELEVENLABS_DEFAULT_VOICES)
    assert all(r.json()["text"] == SAMPLE_TEXT for r in fake.requests)

    platform = build(load(env))
    await platform.start()
    try:
        user = await new_user(platform)
        voices = await platform.voices.list_for(user)
        voice = next(v for v in voices if v.provider_voice_id == VOICE_ID)

        # The next synthesis hangs far longer than the lease: the worker is stuck in it.
        fake.respond_slowly(45)
        generation = await platform.generations.generations.request(
            user, text=TEXT, voice_id=voice.id
        )

        async def current() -> Generation:
            return await platform.generations.generations.get_for_owner(user, generation.id)

        async def stuck_in_synthesis() -> Generation | None:
            g = await current()
            busy = g.status is GenerationStatus.PROCESSING and speech_requests(fake, TEXT)
            return g if busy else None

        processing = await wait_until_async(
            stuck_in_synthesis,
            timeout=deadline.left(30),
            what="the first worker to be inside the ElevenLabs call",
            processes=processes,
            watch=[first_worker],
        )
        assert processing.attempts == 1

        processes.kill(first_worker)
        assert first_worker.returncode == -signal.SIGKILL
        killed_at = time.monotonic()
        after_kill = await current()
        assert (after_kill.status, after_kill.attempts) == (GenerationStatus.PROCESSING, 1)

        second_worker = processes.voiceqr("worker-2", "worker", env=env)

        async def finished() -> Generation | None:
            g = await current()
            return g if g.is_finished else None

        done = await wait_until_async(
            finished,
            timeout=deadline.left(40),
            what="the second worker to finish the generation",
            processes=processes,
            watch=[second_worker],
        )
        recovered_after = time.monotonic() - killed_at

        assert done.status is GenerationStatus.COMPLETED, done
        assert done.attempts == 2
        assert done.audio_key == f"audio/{generation.id}/2.mp3"
        assert done.audio_bytes == len(FAKE_MP3)
        assert done.characters_billed == len(TEXT), "only the finished attempt is billed"
        assert done.error_code is None
        assert done.lease_expires_at is None
        # Recovery waited for the lease (5 s from the claim), not less.
        assert done.completed_at is not None
        assert processing.lease_expires_at is not None
        assert done.completed_at >= processing.lease_expires_at
        assert recovered_after < 30

        # One audio object, the second attempt's; the killed attempt stored nothing.
        assert moto_s3.keys(f"audio/{generation.id}/") == [done.audio_key]
        stored = moto_s3.client().get_object(Bucket=moto_s3.bucket, Key=done.audio_key)
        assert stored["Body"].read() == FAKE_MP3
        assert await platform.generations.audio(done) == FAKE_MP3

        # ElevenLabs saw the 8 samples, then exactly two calls for this text.
        calls = speech_requests(fake, TEXT)
        assert len(calls) == 2
        assert len(fake.requests) == len(ELEVENLABS_DEFAULT_VOICES) + 2
        for call in calls:
            assert call.path == SPEECH_PATH
            assert call.headers["xi-api-key"] == API_KEY
            assert call.query["output_format"] == ["mp3_44100_128"]
        assert "generation lease expired" in second_worker.output()
        assert "generation completed" in second_worker.output()

        # Nothing runs it again: a few more sweeps change nothing.
        await asyncio.sleep(1.5)
        again = await current()
        assert (again.status, again.attempts, again.version) == (
            done.status,
            done.attempts,
            done.version,
        )
        assert len(speech_requests(fake, TEXT)) == 2
        assert moto_s3.keys(f"audio/{generation.id}/") == [done.audio_key]
    finally:
        await platform.stop()
    assert deadline.elapsed < 60


# --- (b) ElevenLabs 429 with Retry-After, then success --------------------------------------


async def test_rate_limited_generation_is_retried_after_retry_after(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    fresh_postgres: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deadline = Deadline(40)
    fake = elevenlabs_server
    arrivals: list[float] = []
    record = fake._record

    def record_with_time(request: RecordedRequest) -> None:
        arrivals.append(time.monotonic())
        record(request)

    monkeypatch.setattr(fake, "_record", record_with_time)
    # Retry-After (2 s) is longer than the backoff after attempt 1 (1 s +/- 20 %), so the
    # retry's timing shows the header was obeyed and not just the backoff.
    retry_after = 2.0
    settings = load(
        {
            "VOICEQR_DATABASE_URL": fresh_postgres,
            "VOICEQR_QUEUE": "memory",
            "VOICEQR_DATA_DIR": str(tmp_path / "data"),
            "VOICEQR_JOBS_RETRY_BASE_SECONDS": "1",
            **elevenlabs_env(fake),
        }
    )
    platform = build(settings)
    await start_worker(platform)
    try:
        admin = await new_user(platform, role=Role.ADMIN)
        voice = await published_voice(platform, admin)
        fake.requests.clear()  # the voice list publishing asked for is not under test
        arrivals.clear()
        fake.respond_too_many_concurrent_requests(retry_after=f"{retry_after:g}")

        generation = await platform.generations.generations.request(
            admin, text=TEXT, voice_id=voice.id
        )

        async def current() -> Generation:
            return await platform.generations.generations.get_for_owner(admin, generation.id)

        async def retry_scheduled() -> Generation | None:
            g = await current()
            return g if g.attempts == 1 and g.status is GenerationStatus.PENDING else None

        waiting = await wait_until_async(
            retry_scheduled, timeout=deadline.left(15), what="the 429 to be recorded"
        )
        assert waiting.error_code == "too_many_concurrent_requests"
        assert waiting.error_category is not None
        assert waiting.error_category.value == "provider"
        assert waiting.next_attempt_at is not None
        assert waiting.updated_at is not None
        assert waiting.next_attempt_at - waiting.updated_at >= timedelta(seconds=retry_after)
        assert len(arrivals) == 1

        async def swept_until_finished() -> Generation | None:
            await platform.generations.generations.sweep()
            g = await current()
            return g if g.is_finished else None

        done = await wait_until_async(
            swept_until_finished,
            timeout=deadline.left(20),
            what="the retried generation to finish",
            interval=0.1,
        )

        assert done.status is GenerationStatus.COMPLETED, done
        assert done.attempts == 2
        assert done.error_code is None
        assert done.audio_key == f"audio/{generation.id}/2.mp3"
        assert len(arrivals) == 2
        assert arrivals[1] - arrivals[0] >= retry_after
        assert all(r.path == SPEECH_PATH for r in fake.requests)
        # Local storage: the audio files are in the data directory.
        media = settings.data_path / "media"
        stored = sorted(p.name for p in (media / "audio" / str(generation.id)).iterdir())
        assert stored == ["2.mp3"]
        assert await platform.generations.audio(done) == FAKE_MP3
    finally:
        await platform.stop()
    assert deadline.elapsed < 60


async def test_a_job_that_fails_during_its_hand_over_keeps_its_retry_schedule(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    fresh_postgres: str,
    tmp_path: Path,
) -> None:
    """The default broker hits this interleaving now and then (a fast failure beats the
    enqueuer's bookkeeping); a broker that runs the job in place always does."""
    from taskiq import InMemoryBroker

    fake = elevenlabs_server
    settings = load(
        {
            "VOICEQR_DATABASE_URL": fresh_postgres,
            "VOICEQR_DATA_DIR": str(tmp_path / "data"),
            "VOICEQR_JOBS_RETRY_BASE_SECONDS": "1",
            **elevenlabs_env(fake),
        }
    )
    platform = build(settings, Adapters(broker=InMemoryBroker(await_inplace=True)))
    await start_worker(platform)
    try:
        admin = await new_user(platform, role=Role.ADMIN)
        voice = await published_voice(platform, admin)
        fake.respond_too_many_concurrent_requests(retry_after="1")

        generation = await platform.generations.generations.request(
            admin, text=TEXT, voice_id=voice.id
        )

        retry = await platform.generations.generations.get_for_owner(admin, generation.id)
        assert (retry.status, retry.attempts) == (GenerationStatus.PENDING, 1)
        assert retry.enqueued_at is None, "the retry is marked as sent, so no sweep sends it"
    finally:
        await platform.stop()


# --- (c) the broker is down when a generation is requested -----------------------------------


async def _generation_row(database_url: str, generation_id: str) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        row = await connection.fetchrow(
            "SELECT status, attempts, enqueued_at FROM generations WHERE id = $1",
            uuid.UUID(generation_id),
        )
    finally:
        await connection.close()
    assert row is not None
    return dict(row)


def test_generation_requested_while_broker_is_down_is_handed_over_later(
    fresh_postgres: str,
    tmp_path: Path,
    processes: Processes,  # noqa: F811 - last: stopped first, before the services
) -> None:
    deadline = Deadline(55)
    redis_port = free_port()
    redis = start_redis_server(processes, redis_port)
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    email = "ada@example.com"
    env = clean_environ(
        VOICEQR_DATABASE_URL=fresh_postgres,
        VOICEQR_QUEUE="redis",
        VOICEQR_QUEUE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        VOICEQR_QUEUE_STREAM=f"voiceqr:test:{uuid.uuid4().hex}",
        VOICEQR_PUBLIC_BASE_URL=base,
        VOICEQR_DATA_DIR=str(tmp_path / "data"),
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        VOICEQR_LOG_LEVEL="INFO",
    )

    # Set up while Redis is up (the web app and the CLI connect to the broker at start).
    server = processes.voiceqr("serve", "serve", "--port", str(web_port), env=env)
    create_user = processes.voiceqr(
        "users-create",
        *("users", "create", email, "--name", "Ada", "--password-stdin"),
        env=env,
        stdin=PASSWORD + "\n",
    )
    seed = processes.voiceqr("voices-seed", "voices", "seed", env=env)
    processes.finish(create_user, timeout=deadline.left(30))
    processes.finish(seed, timeout=deadline.left(30))
    wait_for_http(f"{base}/healthz", timeout=deadline.left(30), processes=processes, watch=[server])

    # The broker goes away.
    processes.stop(redis)
    assert not reachable("127.0.0.1", redis_port, timeout=0.5)
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["queue"].startswith("unavailable")

    with httpx.Client(base_url=base, timeout=20) as client:
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        voice_id = client.get("/api/v1/voices").json()[0]["id"]

        asked_at = time.monotonic()
        response = client.post("/api/v1/generations", json={"text": TEXT, "voice_id": voice_id})
        answered_in = time.monotonic() - asked_at
        assert response.status_code == 202, response.text
        assert answered_in < 10, f"the request waited {answered_in:.1f}s on the broker"
        generation = response.json()
        assert (generation["status"], generation["attempts"]) == ("pending", 0)
        generation_id = generation["id"]
        wait_until(
            lambda: "the sweeper will send it once it is back" in server.output(),
            timeout=deadline.left(5),
            what="the web app to log the unavailable queue",
            processes=processes,
        )

        row = asyncio.run(_generation_row(fresh_postgres, generation_id))
        assert row == {"status": "pending", "attempts": 0, "enqueued_at": None}, row

        # The broker comes back (empty: it keeps nothing on disk) and a worker starts.
        start_redis_server(processes, redis_port, name="redis-server-again")
        worker = processes.voiceqr("worker", "worker", env=env)

        def finished() -> dict[str, Any] | None:
            body: dict[str, Any] = client.get(f"/api/v1/generations/{generation_id}").json()
            return body if body["status"] in ("completed", "failed") else None

        done = wait_until(
            finished,
            timeout=deadline.left(40),
            what="the worker to pick the pending generation up",
            processes=processes,
            watch=[server, worker],
        )
        assert done["status"] == "completed", done
        assert done["attempts"] == 1
        # The worker's sweeper (not a message kept by the broker) handed it over.
        assert "sweep: 1 done" in worker.output()

        audio = client.get(done["audio_url"])
        assert audio.status_code == 200, audio.text
        assert is_mp3(audio.content), audio.content[:16]
    row = asyncio.run(_generation_row(fresh_postgres, generation_id))
    assert row["status"] == "completed"
    assert deadline.elapsed < 60


async def test_the_web_app_starts_and_takes_requests_while_the_broker_is_down(
    tmp_path: Path,
) -> None:
    """Only workers need the broker at start; the app answers and keeps requests pending."""
    from litestar.testing import AsyncTestClient

    from voiceqr.entrypoints.http import create_app

    closed = free_port()
    settings = load(
        {
            "VOICEQR_DATA_DIR": str(tmp_path / "data"),
            "VOICEQR_QUEUE": "redis",
            "VOICEQR_QUEUE_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        }
    )
    platform = build(settings)
    async with AsyncTestClient(create_app(platform)) as client:
        admin = await new_user(platform, role=Role.ADMIN)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["queue"].startswith("unavailable")
        login = await client.post(
            "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
        )
        assert login.status_code == 200
        voice = (await client.get("/api/v1/voices")).json()[0]
        created = await client.post(
            "/api/v1/generations", json={"text": "Still here.", "voice_id": voice["id"]}
        )
        assert created.status_code == 202
        stored = await platform.generations.generations.get_for_owner(
            admin, uuid.UUID(created.json()["id"])
        )
        assert stored.status is GenerationStatus.PENDING
        assert stored.enqueued_at is None  # not handed over, so the next sweep sends it
