"""Playback in the background: storing the scans and listens the page appended to the
event log (in the web process on the embedded platform, in every worker otherwise)."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Consumer


async def store_playback_events(platform: Platform) -> None:
    await platform.playback.playback.deliver_events()


CONSUMERS = (Consumer("playback events", store_playback_events),)
