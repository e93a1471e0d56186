"""How the staff pages word a ticket's service times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from voiceqr.entrypoints.http.backoffice.support.pages import duration


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (None, "not yet"),
        (timedelta(seconds=30), "under a minute"),
        (timedelta(minutes=7, seconds=59), "7 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_service_times_read_in_days_hours_and_minutes(span: timedelta | None, said: str) -> None:
    assert duration(span) == said
