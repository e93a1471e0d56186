"""When a day is rolled up, and how long raw events are kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from voiceqr.domain.analytics.periods import DateRange

# Events reach the database in batches (every second embedded, a Redis stream read by
# the workers otherwise): a UTC day is rolled up once it has been over this long, so
# the last hits of the day are in.
LATE_EVENTS = timedelta(minutes=10)


def days_to_roll_up(
    rolled_through: date | None, first_event: date | None, *, now: datetime
) -> DateRange | None:
    """The completed UTC days not rolled up yet, oldest first; None if there are none."""
    last_complete = (now.astimezone(UTC) - LATE_EVENTS).date() - timedelta(days=1)
    if rolled_through is not None:
        first = rolled_through + timedelta(days=1)
    elif first_event is not None:
        first = first_event
    else:
        return None
    if first > last_complete:
        return None
    return DateRange(first, last_complete)


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the 31st becomes the month's
    last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def retention_cutoff(now: datetime, months: int, rolled_through: date | None) -> datetime | None:
    """Raw events before this moment may be deleted: older than `months`, and on a day
    already rolled up (a day not rolled up keeps its events whatever their age)."""
    if rolled_through is None:
        return None
    oldest_kept = months_before(now.astimezone(UTC), months)
    after_rollups = datetime.combine(rolled_through + timedelta(days=1), datetime.min.time(), UTC)
    return min(oldest_kept, after_rollups)
