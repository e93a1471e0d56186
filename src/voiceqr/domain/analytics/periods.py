"""The dates a dashboard asks about: a range of days in the owner's time zone, the
previous period of the same length beside it, and the buckets a chart draws.

Roll-ups are kept per UTC day and per UTC hour of each day, so a time zone is applied
by moving each hour to the local day, weekday and hour it falls on (daylight saving
time included): a chart's day in Sydney is made of the right 24 hours.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.time_zones import time_zone

DEFAULT_DAYS = 30  # a dashboard without dates shows the last 30 days, today included
MAX_DAYS = 400  # a longer range is refused: a year and a bit, to compare with last year


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class DateRange:
    """Days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def shifted(self, days: int) -> DateRange:
        step = timedelta(days=days)
        return DateRange(self.first + step, self.last + step)

    def previous(self) -> DateRange:
        """The period of the same length that ends the day before this one starts."""
        return self.shifted(-self.days)

    def each_day(self) -> Iterator[date]:
        for n in range(self.days):
            yield self.first + timedelta(days=n)


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the calendar day, ISO week or month that `day` is in."""
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    if bucket is Bucket.MONTH:
        return day.replace(day=1)
    return day


def buckets(days: DateRange, bucket: Bucket) -> list[DateRange]:
    """The range cut at calendar boundaries: contiguous pieces, in order, each within one
    day, week or month (the first and last may be partial)."""
    pieces: list[DateRange] = []
    start = days.first
    for day in days.each_day():
        following = day + timedelta(days=1)
        if day == days.last or bucket_start(following, bucket) != bucket_start(day, bucket):
            pieces.append(DateRange(start, day))
            start = following
    return pieces


def previous_buckets(pieces: list[DateRange]) -> list[DateRange]:
    """Each bucket moved back by the length of the whole range: bucket i of the previous
    period lines up with bucket i of this one, however months and weeks fall."""
    if not pieces:
        return []
    length = (pieces[-1].last - pieces[0].first).days + 1
    return [piece.shifted(-length) for piece in pieces]


@dataclass(frozen=True, slots=True)
class Period:
    """What a dashboard shows: a range of local days, in a time zone."""

    days: DateRange
    zone: ZoneInfo

    @property
    def utc_days(self) -> DateRange:
        """The UTC days that hold every hour of the local days (one more each side
        unless the zone is UTC)."""
        if self.zone.key == "UTC":
            return self.days
        return DateRange(self.days.first - timedelta(days=1), self.days.last + timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as moments: from local midnight of its first day to local
        midnight after its last (for events kept with their time, such as listens)."""
        start = datetime.combine(self.days.first, datetime.min.time(), self.zone)
        end = datetime.combine(self.days.last + timedelta(days=1), datetime.min.time(), self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def local(self, day: date, hour: int) -> datetime:
        """Where the UTC hour `hour` of `day` falls in this time zone."""
        return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).astimezone(self.zone)


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"`{name}` must be a date such as 2026-05-01, not '{value[:40]}'.",
            code="invalid_date",
        ) from None


def period(first: str | None, last: str | None, zone: str | None, *, now: datetime) -> Period:
    """The period a dashboard asked for: `first` and `last` as ISO dates (both included)
    in time zone `zone`. Without them, the last 30 days up to today there."""
    tz = time_zone(zone)
    today = now.astimezone(tz).date()
    end = _date("to", last) if last else None
    start = _date("from", first) if first else None
    if end is None:
        end = today if start is None else min(today, start + timedelta(days=DEFAULT_DAYS - 1))
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError("`from` must be on or before `to`.", code="invalid_date_range")
    days = DateRange(start, end)
    if days.days > MAX_DAYS:
        raise ValidationError(
            f"The range is {days.days} days; ask for at most {MAX_DAYS} at a time.",
            code="date_range_too_long",
        )
    return Period(days, tz)


def hour_of_week(moment: datetime) -> int:
    """0 (Monday 00:00-01:00) to 167 (Sunday 23:00-24:00), in `moment`'s own zone."""
    return moment.weekday() * 24 + moment.hour


@functools.lru_cache(maxsize=8192)
def local_hours(zone: ZoneInfo, day: date) -> tuple[tuple[date, int], ...]:
    """Where each UTC hour (0-23) of `day` starts in `zone`: its local day and hour.

    Kept for the days asked about: a dashboard of a year asks for 8,760 hours, and the
    same days again on the next request. A day with one UTC offset (nearly all) is
    arithmetic; a day the clocks change on is read hour by hour.
    """
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    offsets = {
        midnight.astimezone(zone).utcoffset(),
        (midnight + timedelta(hours=23)).astimezone(zone).utcoffset(),
    }
    if len(offsets) == 1:
        offset = next(iter(offsets))
        assert offset is not None
        minutes = int(offset.total_seconds() // 60)
        found = []
        for hour in range(24):
            shift, at = divmod(hour * 60 + minutes, 24 * 60)
            found.append((day + timedelta(days=shift), at // 60))
        return tuple(found)
    return tuple(
        ((local := (midnight + timedelta(hours=hour)).astimezone(zone)).date(), local.hour)
        for hour in range(24)
    )


@dataclass(frozen=True, slots=True)
class Stretch:
    """UTC days whose every hour moves into the time zone by the same offset (`minutes`),
    landing within the days kept; `minutes` is None for days to be read hour by hour
    (the clocks change on them, or some of their hours fall outside the days kept)."""

    days: DateRange
    minutes: int | None


@functools.lru_cache(maxsize=256)
def stretches(
    zone: ZoneInfo, days: DateRange, keep: DateRange | None = None
) -> tuple[Stretch, ...]:
    """`days` cut into stretches of one offset, in order (see `Stretch`). Kept for the
    ranges asked about, as `local_hours` is: a year and the year before are 730 days
    whose offsets are looked up one by one, and a dashboard asks for the same ones on
    each request of the day."""
    found: list[Stretch] = []
    for day in days.each_day():
        slots = local_hours(zone, day)
        minutes: int | None = None
        if keep is None or (slots[0][0] in keep and slots[-1][0] in keep):
            offsets = {
                datetime.combine(day, datetime.min.time(), UTC).astimezone(zone).utcoffset(),
                datetime.combine(day, datetime.max.time(), UTC).astimezone(zone).utcoffset(),
            }
            if len(offsets) == 1 and (offset := offsets.pop()) is not None:
                minutes = int(offset.total_seconds() // 60)
        last = found[-1] if found else None
        if last is not None and last.minutes == minutes and minutes is not None:
            found[-1] = Stretch(DateRange(last.days.first, day), minutes)
        else:
            found.append(Stretch(DateRange(day, day), minutes))
    return tuple(found)


def next_day_from(minutes: int) -> int:
    """With a UTC offset of `minutes` (0 or more), the first UTC hour of a day that is
    on the next local day (24: none)."""
    return min(24, -(-(24 * 60 - minutes) // 60))


def previous_day_before(minutes: int) -> int:
    """With a negative UTC offset, the UTC hours of a day before this one are on the
    previous local day."""
    return -(minutes // 60)
