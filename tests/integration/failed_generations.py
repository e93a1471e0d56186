"""Generations that failed for good, for the operators' recovery tests (F3) of the CLI,
the API and the admin pages: a speech provider whose quota is used up, and a data
directory with one failed and one pending generation."""

from __future__ import annotations

import asyncio
from uuid import UUID

from typer.testing import CliRunner

from voiceqr.bootstrap import Adapters, build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load


class QuotaGone:
    """A speech provider whose quota is used up: a final failure at once."""

    provider = "espeak"
    max_text_length = 5000

    async def synthesize(self, text: str, voice: object) -> object:
        raise SpeechError(
            "The speech quota is used up.",
            category=ErrorCategory.QUOTA,
            code="quota_exceeded",
            retryable=False,
        )


def make_generations(env: dict[str, str]) -> tuple[UUID, UUID]:
    """One generation that failed for good, one still pending."""

    seeded = CliRunner().invoke(app, ["voices", "list"], env=env)
    assert seeded.exit_code == 0  # a new data dir: seeded with real espeak

    async def work() -> tuple[UUID, UUID]:
        platform = build(load(env), Adapters(speech={"espeak": QuotaGone()}))
        await platform.start(worker=False)
        try:
            user = await platform.accounts.accounts.create_user(
                email="ops@example.com",
                name="Ops",
                password="a long password",
                role=Role.USER,
                actor=OPERATOR,
            )
            voice = (await platform.voices.list_for(user))[0]
            failed = await platform.generations.generations.request(
                user, text="Hello", voice_id=voice.id
            )
            await platform.generations.generations.process(failed.id)
            pending = await platform.generations.generations.request(
                user, text="Later", voice_id=voice.id
            )
            done = await platform.generations.generations.get_for_owner(user, failed.id)
            assert done.status is GenerationStatus.FAILED
            return failed.id, pending.id
        finally:
            await platform.stop()

    return asyncio.run(work())
