"""The dates of a dashboard: ranges, buckets, the previous period and time zones."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.analytics.periods import (
    MAX_DAYS,
    Bucket,
    DateRange,
    bucket_start,
    buckets,
    hour_of_week,
    local_hours,
    period,
    previous_buckets,
)
from voiceqr.domain.analytics.rollups import (
    days_to_roll_up,
    hours_complete_until,
    months_before,
    retention_cutoff,
)
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.time_zones import time_zone

NOW = datetime(2026, 12, 6, 5, 30, tzinfo=UTC)

ranges = st.builds(
    lambda first, length: DateRange(first, first + timedelta(days=length - 1)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(min_value=1, max_value=MAX_DAYS),
)
kinds = st.sampled_from(list(Bucket))
zones = st.sampled_from(
    [
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
    ]
)


def test_an_hour_is_rolled_up_once_it_is_over_and_its_late_events_are_in() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert hours_complete_until(datetime(2026, 12, 5, 14, 9, tzinfo=UTC)) == datetime(
        2026, 12, 5, 13, tzinfo=UTC
    )
    assert hours_complete_until(datetime(2026, 12, 5, 14, 10, tzinfo=UTC)) == datetime(
        2026, 12, 5, 14, tzinfo=UTC
    )
    assert hours_complete_until(datetime(2026, 12, 6, 0, 5, tzinfo=paris)) == datetime(
        2026, 12, 5, 22, tzinfo=UTC
    )


@given(ranges, kinds)
def test_buckets_cover_the_range_in_order_without_gaps_each_within_one_calendar_bucket(
    days: DateRange, bucket: Bucket
) -> None:
    pieces = buckets(days, bucket)
    assert pieces[0].first == days.first
    assert pieces[-1].last == days.last
    for before, after in itertools.pairwise(pieces):
        assert after.first == before.last + timedelta(days=1)
    for piece in pieces:
        assert bucket_start(piece.first, bucket) == bucket_start(piece.last, bucket)
    # Only the first and last may be partial: each inner piece starts a calendar bucket.
    for piece in pieces[1:]:
        assert bucket_start(piece.first, bucket) == piece.first


@given(ranges, kinds)
def test_the_previous_period_has_the_same_length_ends_the_day_before_and_lines_up_bucket_by_bucket(
    days: DateRange, bucket: Bucket
) -> None:
    pieces = buckets(days, bucket)
    before = previous_buckets(pieces)
    assert len(before) == len(pieces)
    assert before[0].first == days.previous().first
    assert before[-1].last == days.first - timedelta(days=1)
    assert days.previous().days == days.days
    for now, then in zip(pieces, before, strict=True):
        assert now.days == then.days
        assert (now.first - then.first).days == days.days


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2080, 1, 1)), zones)
def test_an_hour_moves_to_the_weekday_and_hour_it_is_in_the_time_zone(
    moment: datetime, zone: str
) -> None:
    utc = moment.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
    local = utc.astimezone(ZoneInfo(zone))
    cell = hour_of_week(local)
    assert 0 <= cell < 168
    offset_hours = local.utcoffset().total_seconds() / 3600  # type: ignore[union-attr]
    if offset_hours.is_integer():
        assert cell == (hour_of_week(utc) + int(offset_hours)) % 168
    if zone == "UTC":
        assert cell == utc.weekday() * 24 + utc.hour


def test_without_dates_a_dashboard_shows_the_last_30_days_in_utc() -> None:
    shown = period(None, None, None, now=NOW)
    assert (shown.days.first, shown.days.last, shown.zone.key) == (
        date(2026, 11, 7),
        date(2026, 12, 6),
        "UTC",
    )


def test_today_is_the_owners_today_in_their_time_zone() -> None:
    assert period(None, None, "America/Los_Angeles", now=NOW).days.last == date(2026, 12, 5)
    assert period(None, None, "Pacific/Auckland", now=NOW).days.last == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("first", "last", "zone", "code"),
    [
        ("2026-13-01", None, None, "invalid_date"),
        ("yesterday", None, None, "invalid_date"),
        ("2026-05-02", "2026-05-01", None, "invalid_date_range"),
        ("2025-01-01", "2026-12-01", None, "date_range_too_long"),
        (None, None, "Mars/Olympus", "unknown_time_zone"),
        (None, None, "../../etc/passwd", "unknown_time_zone"),
    ],
)
def test_a_bad_date_a_range_too_long_or_an_unknown_time_zone_is_refused_with_its_reason(
    first: str | None, last: str | None, zone: str | None, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        period(first, last, zone, now=NOW)
    assert refused.value.code == code


def test_400_days_are_allowed() -> None:
    assert period("2025-01-01", "2026-02-04", None, now=NOW).days.days == 400
    assert time_zone("Europe/Paris").key == "Europe/Paris"


def test_a_day_is_rolled_up_once_it_is_over_and_its_late_events_are_in() -> None:
    just_after_midnight = datetime(2026, 12, 6, 0, 5, tzinfo=UTC)
    assert days_to_roll_up(date(2026, 12, 4), None, now=just_after_midnight) is None
    later = datetime(2026, 12, 6, 0, 15, tzinfo=UTC)
    assert days_to_roll_up(date(2026, 12, 4), None, now=later) == DateRange(
        date(2026, 12, 5), date(2026, 12, 5)
    )
    assert days_to_roll_up(None, date(2026, 12, 1), now=later) == DateRange(
        date(2026, 12, 1), date(2026, 12, 5)
    )
    assert days_to_roll_up(None, None, now=later) is None


@given(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2080, 1, 1)),
    st.integers(min_value=1, max_value=60),
)
def test_retention_goes_back_whole_calendar_months(moment: datetime, months: int) -> None:
    moment = moment.replace(tzinfo=UTC)
    earlier = months_before(moment, months)
    assert (moment.year * 12 + moment.month) - (earlier.year * 12 + earlier.month) == months
    assert earlier.day <= moment.day
    assert earlier.time() == moment.time()


def test_raw_events_of_a_day_not_rolled_up_are_kept_whatever_their_age() -> None:
    assert retention_cutoff(NOW, 13, None) is None
    assert retention_cutoff(NOW, 13, date(2026, 12, 5)) == datetime(2025, 11, 6, 5, 30, tzinfo=UTC)
    assert retention_cutoff(NOW, 13, date(2024, 1, 1)) == datetime(2024, 1, 2, tzinfo=UTC)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2080, 1, 1)), zones)
def test_each_utc_hour_of_a_day_lands_on_the_local_day_and_hour_the_clock_shows(
    day: date, zone: str
) -> None:
    tz = ZoneInfo(zone)
    for hour, (local_day, local_hour) in enumerate(local_hours(tz, day)):
        local = datetime(day.year, day.month, day.day, hour, tzinfo=UTC).astimezone(tz)
        assert (local_day, local_hour) == (local.date(), local.hour)


def test_the_hours_of_the_day_new_york_springs_forward() -> None:
    hours = local_hours(ZoneInfo("America/New_York"), date(2026, 3, 8))
    assert hours[6] == (date(2026, 3, 8), 1)  # 01:00 EST
    assert hours[7] == (date(2026, 3, 8), 3)  # 03:00 EDT: 02:00 never happened
