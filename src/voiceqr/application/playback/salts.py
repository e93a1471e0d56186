"""The salts visitor keys are made with: one per UTC day, shared by every process
through the database, remembered here so a scan reads the database once a day at most."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import date, datetime

from voiceqr.application.playback.ports import PlaybackUnitOfWork
from voiceqr.domain.playback.visits import expired_salt_days_before, salt_days

SALT_BYTES = 32


class VisitorSalts:
    def __init__(self, *, uow: Callable[[], PlaybackUnitOfWork]) -> None:
        self._uow = uow
        self._known: dict[date, bytes] = {}
        self._reading = asyncio.Lock()

    async def of(self, now: datetime) -> tuple[bytes, bytes]:
        """(today's salt, yesterday's) for a hit at `now`."""
        today, yesterday = salt_days(now)
        known = self._known
        if today not in known or yesterday not in known:
            async with self._reading:
                if today not in self._known or yesterday not in self._known:
                    await self._read(today, yesterday)
        return self._known[today], self._known[yesterday]

    async def forget_expired(self, now: datetime) -> int:
        """Delete the salts past their 48 hours (a periodic job); returns how many."""
        before = expired_salt_days_before(now)
        self._known = {day: salt for day, salt in self._known.items() if day >= before}
        async with self._uow() as uow:
            deleted = await uow.visitor_salts.delete_before(before)
            await uow.commit()
        return deleted

    async def _read(self, *days: date) -> None:
        async with self._uow() as uow:
            found = {
                day: await uow.visitor_salts.get_or_add(day, secrets.token_bytes(SALT_BYTES))
                for day in days
            }
            await uow.commit()
        # Only the days asked for: older ones are no longer used here.
        self._known = found
