"""Publishing from the staff voice page when the speech provider cannot be asked whether
it knows the voice: the page says so (502, in words), and the voice stays unpublished."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

import pytest
import pytest_asyncio

from tests.integration import audio_files
from tests.integration.http.backoffice.test_admin_voice_pages import create_voice, upload
from tests.integration.http_helpers import Agent, RunningApp, embedded_app
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.voices.voice import Voice

pytestmark = pytest.mark.asyncio(loop_scope="module")


class UnreachableSynth:
    """Speaks, but cannot be asked which voices it knows (its voice list is down)."""

    provider = "espeak"
    max_text_length = 5000

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))

    async def accepts(self, provider_voice_ids: Collection[str]) -> frozenset[str]:
        raise SpeechError(
            "The speech provider could not be reached; please try again.",
            category=ErrorCategory.PROVIDER,
            code="provider_unreachable",
            retryable=True,
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    data = tmp_path_factory.mktemp("voiceqr-unreachable")
    async with embedded_app(data, speech={"espeak": UnreachableSynth()}) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app: RunningApp) -> Agent:
    return await app.new_user("staff@example.com", role=Role.ADMIN)


async def test_a_provider_that_cannot_be_asked_is_said_on_the_page(admin: Agent) -> None:
    voice_id = await create_voice(admin, "Unasked voice")
    assert (await upload(admin, voice_id, ("a.wav", audio_files.wav()))).status_code == 303
    page = await admin.open_form(f"/admin/voices/{voice_id}")

    pressed = await admin.post_form(f"/admin/voices/{voice_id}/publish", {}, form=page)

    assert pressed.status_code == 502
    assert 'role="alert"' in pressed.text
    assert "could not be reached; please try again" in pressed.text
    assert 'id="publish-form"' in pressed.text  # still there to press again
    assert (await admin.get(f"/api/v1/voices/{voice_id}")).json()["published"] is False
