"""Blocked text never reaches a speech provider: refused before any row is written or
any job queued, for a request, an edit and a voice comparison, in an espeak voice and
an ElevenLabs one (the look-alike server's request log is read, and espeak's calls)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.integration.elevenlabs_server import API_KEY, FakeElevenLabs
from tests.integration.http_helpers import (
    GENEROUS_LIMITS,
    Agent,
    RunningApp,
    running_app,
    wait_until_finished,
)
from voiceqr.adapters.speech.elevenlabs import ElevenLabsSynthesizer
from voiceqr.adapters.speech.espeak import EspeakSynthesizer
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.bootstrap.voices import ELEVENLABS_DEFAULT_VOICES
from voiceqr.domain.voices.voice import Voice
from voiceqr.settings import Settings, Speech

# Disguised entries of the shipped English list (block): spaced letters, leetspeak,
# full-width and Cyrillic look-alike letters.
BLOCKED = ("k i l l   y o u r s e l f", "h3il h1tler!", "ＫＩＬＬ yourself", "heil hіtler")  # noqa: RUF001
FINE = "The gallery opens at nine."


class RecordingEspeak(EspeakSynthesizer):
    """The real espeak adapter, remembering every text it was asked to speak."""

    def __init__(self) -> None:
        super().__init__()
        self.spoken: list[str] = []

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        self.spoken.append(text)
        return await super().synthesize(text, voice)


def refused_as_not_allowed(response: Any) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "text_not_allowed"
    assert "list" not in problem["detail"].lower()


async def made(agent: Agent, voice_id: str, text: str) -> dict[str, Any]:
    response = await agent.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
    assert response.status_code == 202, response.text
    return await wait_until_finished(agent, response.json()["id"])


async def test_blocked_text_never_reaches_espeak_or_elevenlabs(tmp_path: Path) -> None:
    fake = FakeElevenLabs()
    fake.voices |= {spec.provider_voice_id for spec in ELEVENLABS_DEFAULT_VOICES}
    fake.start()
    espeak = RecordingEspeak()
    eleven = ElevenLabsSynthesizer(api_key=API_KEY, base_url=fake.url, timeout=30)
    settings = Settings(
        data_dir=str(tmp_path),
        auth=GENEROUS_LIMITS,
        speech=Speech(providers="espeak,elevenlabs", elevenlabs_api_key=API_KEY),
    )
    try:
        async with running_app(settings, speech={"espeak": espeak, "elevenlabs": eleven}) as app:
            try:
                await check_every_way_in(app, fake, espeak)
            finally:
                app.call(eleven.aclose)  # its connections live on the app's event loop
    finally:
        fake.stop()


async def check_every_way_in(
    app: RunningApp, fake: FakeElevenLabs, espeak: RecordingEspeak
) -> None:
    alice = await app.new_user("alice@example.com")
    gallery = (await app.anonymous.get("/api/v1/voices")).json()
    by_provider = {v["provider"]: v["id"] for v in reversed(gallery)}
    assert set(by_provider) == {"espeak", "elevenlabs"}
    # What each provider said so far (the seeded samples), and a fine text in each: the
    # logs read below do record what is spoken.
    spoken = [await made(alice, voice_id, FINE) for voice_id in by_provider.values()]
    assert [g["status"] for g in spoken] == ["completed", "completed"]
    assert FINE in espeak.spoken
    assert any(r.json().get("text") == FINE for r in fake.requests)
    before = app.count_generations(alice.user.id)  # type: ignore[union-attr]

    for text in BLOCKED:
        for voice_id in by_provider.values():
            refused_as_not_allowed(
                await alice.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
            )
        for generation in spoken:
            refused_as_not_allowed(
                await alice.patch(f"/api/v1/generations/{generation['id']}", json={"text": text})
            )
        refused_as_not_allowed(
            await alice.post(
                "/api/v1/voices/compare",
                json={"text": text, "voice_ids": list(by_provider.values())},
            )
        )

    await asyncio.sleep(0.5)  # the in-process worker would have picked a queued job by now
    assert app.count_generations(alice.user.id) == before  # type: ignore[union-attr]
    texts_heard = [r.json().get("text", "") for r in fake.requests] + espeak.spoken
    assert not any(text in heard or heard in BLOCKED for text in BLOCKED for heard in texts_heard)
    for generation in spoken:
        kept = (await alice.get(f"/api/v1/generations/{generation['id']}")).json()
        assert (kept["text"], kept["revision"]) == (FINE, 1)
