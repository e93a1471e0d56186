"""Playback in the background: storing the scans and listens the page appended to the
event log (in the web process on the embedded platform, in every worker otherwise), and
deleting visitor-key salts past their 48 hours."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Consumer, Periodic


async def store_playback_events(platform: Platform) -> None:
    await platform.playback.playback.deliver_events()


async def forget_expired_salts(platform: Platform) -> int:
    return await platform.playback.playback.forget_expired_salts()


CONSUMERS = (Consumer("playback events", store_playback_events),)
# Hourly: a salt goes within an hour of its 48 hours.
SCHEDULES = (Periodic("visitor salts", lambda _settings: 3600.0, forget_expired_salts),)
