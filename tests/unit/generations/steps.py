"""Steps the generations unit tests share: a text to speak, a busy provider, a worker."""

from __future__ import annotations

from tests.unit.fakes import Services
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError

TEXT = "Happy birthday, Grandma! Scan me."


def busy() -> SpeechError:
    return SpeechError(
        "The speech service is busy; it will be tried again.",
        category=ErrorCategory.PROVIDER,
        code="provider_busy",
        retryable=True,
        detail="HTTP 503",
    )


async def deliver_queued(s: Services) -> list[str]:
    """A worker consuming everything the queue holds; the actions taken."""
    return [(await s.generations.process(gid)).action for gid in s.queue.take()]
