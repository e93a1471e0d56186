"""A clock that moves only when told to, and the instant every test starts at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


PUBLIC_BASE_URL = "https://voiceqr.test"


class FakeClock:
    """A clock that only moves when told to; returns timezone-aware UTC datetimes."""

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by `seconds` (and/or timedelta keywords: minutes=, hours=, ...)."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        self.now += step
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)
