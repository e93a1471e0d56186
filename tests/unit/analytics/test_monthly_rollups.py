"""Monthly roll-ups: a range is read as the rolled-up months it covers whole or mostly
(less their days outside it) and the days at its edges, and that sum is the sum of its
days, whatever order days are rolled up in."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.analytics.periods import MAX_DAYS, DateRange
from voiceqr.domain.analytics.rollups import month_end, months_to_roll_up, split_by_month

START = date(2024, 1, 1)
SPAN = 3 * 365  # the days of the model below: three years from START

ranges = st.builds(
    lambda first, length: DateRange(first, first + timedelta(days=length - 1)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(min_value=1, max_value=MAX_DAYS),
)


def _months_worth_reading(days: DateRange, through: date | None) -> list[date]:
    """The rolled-up months the range covers whole or more than half of."""
    month = days.first.replace(day=1)
    found = []
    while month <= days.last:
        end = month_end(month)
        covered = (min(end, days.last) - max(month, days.first)).days + 1
        if through is not None and end <= through and 2 * covered > (end - month).days + 1:
            found.append(month)
        month = end + timedelta(days=1)
    return found


def _each_day(ranges: tuple[DateRange, ...] | list[DateRange]) -> list[date]:
    return [day for days in ranges for day in days.each_day()]


@given(ranges, st.none() | st.integers(min_value=-500, max_value=500))
def test_a_range_is_its_rolled_up_months_less_the_days_outside_and_the_days_around_them(
    days: DateRange, shift: int | None
) -> None:
    through = None if shift is None else days.last + timedelta(days=shift)
    split = split_by_month(days, through)

    months = [split.months] if split.months else []
    # Each day of the range is read once: in a month, or in an edge; the days of the
    # months outside the range are subtracted, once each.
    read = sorted(_each_day([*months, *split.edges]))
    assert len(read) == len(set(read))
    assert sorted(set(read) - set(_each_day(split.less))) == list(days.each_day())
    assert set(_each_day(split.less)) <= set(_each_day(months))
    assert len(_each_day(split.less)) == len(set(_each_day(split.less)))
    assert not set(_each_day(split.less)) & set(days.each_day())
    assert list(split.edges) == sorted(split.edges, key=lambda r: r.first)
    assert len(split.edges) <= 2
    assert len(split.less) <= 2
    # Every rolled-up month covered whole or more than half is read as a month, and
    # only those: fewer rows than its days one by one.
    expected = _months_worth_reading(days, through)
    if split.months is None:
        assert expected == []
        assert split.edges == (days,)
    else:
        assert split.months.first.day == 1
        assert split.months.last == month_end(split.months.last)
        assert through is not None
        assert split.months.last <= through
        month, found = split.months.first, []
        while month <= split.months.last:
            found.append(month)
            month = month_end(month) + timedelta(days=1)
        assert found == expected


def test_a_year_to_yesterday_is_twelve_months_less_six_days_and_six_days() -> None:
    split = split_by_month(DateRange(date(2025, 12, 7), date(2026, 12, 6)), date(2026, 12, 5))
    assert split.months == DateRange(date(2025, 12, 1), date(2026, 11, 30))
    assert split.less == (DateRange(date(2025, 12, 1), date(2025, 12, 6)),)
    assert split.edges == (DateRange(date(2026, 12, 1), date(2026, 12, 6)),)


def test_a_range_covering_half_a_month_or_less_reads_its_days() -> None:
    split = split_by_month(DateRange(date(2026, 3, 17), date(2026, 4, 30)), date(2026, 5, 1))
    assert split.months == DateRange(date(2026, 4, 1), date(2026, 4, 30))
    assert split.less == ()
    assert split.edges == (DateRange(date(2026, 3, 17), date(2026, 3, 31)),)


class _Store:
    """The roll-ups as numbers: a day's tally, and each month's, made as the adapter
    makes them (the months `months_to_roll_up` names, from the days' tallies)."""

    def __init__(self) -> None:
        self.daily: dict[date, int] = {}
        self.monthly: dict[date, int] = {}
        self.through: date | None = None
        self.months_made = 0

    def roll_up(self, day: date, tally: int) -> None:
        self.daily[day] = tally
        for month in months_to_roll_up(self.through, day):
            self.monthly[month] = sum(
                n for d, n in self.daily.items() if month <= d <= month_end(month)
            )
            self.months_made += 1
        if self.through is None or self.through < day:
            self.through = day

    def summed(self, days: DateRange) -> int:
        split = split_by_month(days, self.through)
        total = sum(n for d, n in self.daily.items() if any(d in edge for edge in split.edges))
        total -= sum(n for d, n in self.daily.items() if any(d in days for days in split.less))
        if split.months is not None:
            total += sum(n for m, n in self.monthly.items() if m in split.months)
        return total


steps = st.lists(
    st.tuples(st.integers(min_value=-60, max_value=40), st.integers(min_value=0, max_value=9)),
    min_size=1,
    max_size=60,
)


@given(steps, st.lists(st.tuples(st.integers(0, SPAN), st.integers(1, MAX_DAYS)), min_size=1))
def test_summing_months_and_edges_says_what_the_days_say_whatever_the_order_of_rolling_up(
    moves: list[tuple[int, int]], asked: list[tuple[int, int]]
) -> None:
    """Days rolled up in order, skipped, or again (with new tallies, as late events
    would give): each range read from the months and edges sums its days exactly."""
    store = _Store()
    day = START
    for move, tally in moves:
        day = max(START, min(START + timedelta(days=SPAN), day + timedelta(days=move)))
        store.roll_up(day, tally)
    for first, length in asked:
        days = DateRange(START + timedelta(days=first), START + timedelta(days=first + length - 1))
        assert store.summed(days) == sum(n for d, n in store.daily.items() if d in days)


def test_a_pass_day_after_day_makes_each_month_once_on_its_last_day() -> None:
    store = _Store()
    made: list[date] = []
    for day in DateRange(date(2026, 1, 15), date(2026, 4, 10)).each_day():
        made += months_to_roll_up(store.through, day)
        store.roll_up(day, 1)
    assert made == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    # A day of a complete month rolled up again makes that month again, and only it.
    assert months_to_roll_up(date(2026, 4, 10), date(2026, 2, 14)) == [date(2026, 2, 1)]
    assert months_to_roll_up(date(2026, 4, 10), date(2026, 4, 2)) == []
    # Skipping ahead completes the months on the way.
    assert months_to_roll_up(date(2026, 4, 10), date(2026, 7, 3)) == [
        date(2026, 4, 1),
        date(2026, 5, 1),
        date(2026, 6, 1),
    ]
