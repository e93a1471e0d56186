"""When a day is rolled up, and how long raw events are kept."""

from __future__ import annotations

from dataclasses import dataclass
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


def hours_complete_until(now: datetime) -> datetime:
    """The end of the last complete UTC hour whose events are all in (the start of an
    hour): the hours before it may be rolled up."""
    return (now.astimezone(UTC) - LATE_EVENTS).replace(minute=0, second=0, microsecond=0)


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


# --- monthly roll-ups -------------------------------------------------------------------
#
# A year of one code's (or of the ranking's) days is many rows; the same tallies summed
# per UTC month are a twelfth of them. A month's tallies are the sum of its days', made
# once its last day is rolled up (and again when one of its days is), so a month is read
# from them only when it is rolled up: whole when the asked range covers it, less the
# days outside the range when it covers more than half of it; the days at the edges
# are read day by day.


def month_end(month: date) -> date:
    """The last day of the month `month` is in."""
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return following - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class MonthSplit:
    """A range of UTC days as whole months (`months`, from the first day of the first
    to the last day of the last; None without any), less the days of those months that
    are not in the range (`less`: none, one or two ranges), and the days read day by day
    around them (`edges`: none, one or two ranges, in order)."""

    months: DateRange | None
    edges: tuple[DateRange, ...]
    less: tuple[DateRange, ...] = ()


def split_by_month(days: DateRange, rolled_through: date | None) -> MonthSplit:
    """`days` read from the monthly roll-ups where it pays: each rolled-up month (its
    last day on or before `rolled_through`) it covers whole, or more than half of, the
    days of the latter outside the range being subtracted (30 days from the 7th read as
    a month less 6 days, not 24 days); the other days at its edges."""
    if rolled_through is None:
        return MonthSplit(None, (days,))
    whole: list[date] = []
    edges: list[DateRange] = []
    less: list[DateRange] = []
    month = days.first.replace(day=1)
    while month <= days.last:
        end = month_end(month)
        piece = DateRange(max(month, days.first), min(end, days.last))
        missing = (end - month).days + 1 - piece.days
        if end <= rolled_through and missing < piece.days:
            whole.append(month)
            if piece.first > month:
                less.append(DateRange(month, piece.first - timedelta(days=1)))
            if piece.last < end:
                less.append(DateRange(piece.last + timedelta(days=1), end))
        elif edges and edges[-1].last + timedelta(days=1) == piece.first:
            edges[-1] = DateRange(edges[-1].first, piece.last)
        else:
            edges.append(piece)
        month = end + timedelta(days=1)
    if not whole:
        return MonthSplit(None, (days,))
    return MonthSplit(DateRange(whole[0], month_end(whole[-1])), tuple(edges), tuple(less))


def months_to_roll_up(rolled_through: date | None, day: date) -> list[date]:
    """The months (their first days) whose tallies are made again when `day` is rolled
    up (again), `rolled_through` being the last day rolled up before: `day`'s month if
    it is complete by then, and every month completed on the way (whose last day comes
    after `rolled_through`, up to `day`), oldest first."""
    if rolled_through is None or rolled_through < day:
        through, completed_after = day, rolled_through or day
    else:
        through, completed_after = rolled_through, rolled_through
    own = day.replace(day=1)
    months = {own} if month_end(own) <= through else set()
    month = (completed_after + timedelta(days=1)).replace(day=1)
    while month_end(month) <= through:
        months.add(month)
        month = month_end(month) + timedelta(days=1)
    return sorted(months)
