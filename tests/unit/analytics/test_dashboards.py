"""The owner's dashboards on the fakes: what is counted, where it comes from (roll-ups
and today's raw events), and that nobody sees another owner's codes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from tests.unit.fakes.clock import FakeClock
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.periods import Bucket, period
from voiceqr.domain.analytics.tallies import Counts, Dimension
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.playback.events import (
    Device,
    PlaybackEvent,
    PlaybackEventKind,
    Source,
    StoredEvent,
)
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PHONE = Device(device="mobile", os="iOS 17", browser="Mobile Safari 17")
BOT = Device(bot=True, browser="Slackbot")


@pytest.fixture
def s() -> Services:
    return make_services(clock=FakeClock(NOW))


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


async def _code(s: Services, owner: User, text: str = "Welcome to the museum") -> Generation:
    voice = s.add_voice()
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    await s.generations.process(generation.id)
    return s.db.generation(generation.id)


def _hit(
    s: Services,
    generation_id: UUID,
    at: datetime,
    *,
    kind: PlaybackEventKind = PlaybackEventKind.SCAN,
    visitor: str = "v1",
    device: Device = PHONE,
    country: str = "FR",
    new_visit: bool = True,
    owner_view: bool = False,
    source: Source = Source.QR,
) -> None:
    event = PlaybackEvent(
        id=uuid7(),
        generation_id=generation_id,
        kind=kind,
        occurred_at=at,
        visitor=visitor,
        country=country,
        source=source,
        owner_view=owner_view,
    )
    s.db.playback_events.append(StoredEvent(event, device, new_visit))


async def test_a_scan_by_a_person_shows_on_the_dashboard_the_same_day(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    visit = Visit(address="203.0.113.7", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)")
    await s.playback.scan(code.public_code, visit)
    await s.playback.record_listen(code.public_code, visit)
    await s.store_playback_events()

    summary = await s.platform.analytics.dashboards.summary(
        owner, period(None, None, None, now=NOW)
    )
    assert (summary.codes, summary.counts.scans, summary.counts.listens) == (1, 1, 1)
    assert summary.counts.visitors == 1


async def test_bots_repeat_hits_and_the_owners_own_views_are_left_out_and_bots_are_said(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    _hit(s, code.id, NOW - timedelta(hours=1))
    _hit(s, code.id, NOW - timedelta(hours=1), new_visit=False)
    _hit(s, code.id, NOW - timedelta(hours=1), device=BOT, visitor="b")
    _hit(s, code.id, NOW - timedelta(hours=1), owner_view=True, visitor="me")

    summary = await s.platform.analytics.dashboards.summary(
        owner, period(None, None, None, now=NOW)
    )
    assert summary.counts == Counts(scans=1, listens=0, visitors=1, bots_left_out=1)


async def test_roll_ups_and_todays_raw_events_add_up_to_what_the_raw_events_say(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    for days_ago in range(5):
        for n in range(days_ago + 1):
            _hit(s, code.id, NOW - timedelta(days=days_ago, hours=n), visitor=f"v{n}")
    shown = period(None, None, None, now=NOW)
    dashboards = s.platform.analytics.dashboards
    before = await dashboards.summary(owner, shown)

    report = await s.platform.analytics.rollups.run()
    assert report.days == 4  # 6 March to 9 March; today (10 March) is not over
    assert s.db.analytics_rolled_through == date(2026, 3, 9)
    after = await dashboards.summary(owner, shown)
    assert after == before
    assert after.counts.scans == 15

    again = await s.platform.analytics.rollups.run()  # nothing new: nothing done
    assert again.days == 0
    assert await dashboards.summary(owner, shown) == before


async def test_rolling_a_day_up_again_replaces_it(s: Services, owner: User) -> None:
    code = await _code(s, owner)
    _hit(s, code.id, NOW - timedelta(days=1))
    await s.platform.analytics.rollups.run()
    rows = dict(s.db.analytics_daily)
    async with s.uow() as uow:
        await uow.analytics_rollups.roll_up(date(2026, 3, 9))
        await uow.commit()
    assert s.db.analytics_daily == rows


async def test_raw_events_past_the_retention_period_are_deleted_after_their_day_is_rolled_up(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    _hit(s, code.id, NOW - timedelta(days=500))
    _hit(s, code.id, NOW - timedelta(days=2))
    report = await s.platform.analytics.rollups.run()
    assert report.events_deleted == 1
    assert len(s.db.playback_events) == 1
    # The old day's roll-up stays.
    old = period("2024-10-01", "2024-12-31", None, now=NOW)
    assert (await s.platform.analytics.dashboards.summary(owner, old)).counts.scans == 1


async def test_the_timeseries_has_the_previous_period_beside_it(s: Services, owner: User) -> None:
    code = await _code(s, owner)
    _hit(s, code.id, datetime(2026, 3, 9, 10, tzinfo=UTC))
    _hit(s, code.id, datetime(2026, 3, 2, 10, tzinfo=UTC), kind=PlaybackEventKind.LISTEN)
    await s.platform.analytics.rollups.run()
    week = period("2026-03-04", "2026-03-10", None, now=NOW)

    series = await s.platform.analytics.dashboards.timeseries(owner, week, Bucket.DAY)
    assert len(series.points) == 7
    assert series.total == Counts(scans=1)
    assert series.previous_total == Counts(listens=1)
    monday = next(p for p in series.points if p.days.first == date(2026, 3, 9))
    assert monday.scans == 1
    assert monday.previous_days.first == date(2026, 3, 2)
    assert monday.previous_listens == 1


async def test_a_late_evening_scan_in_new_york_is_on_that_local_day_and_hour(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    _hit(s, code.id, datetime(2026, 3, 10, 2, 30, tzinfo=UTC))  # Monday 22:30 in New York
    shown = period("2026-03-09", "2026-03-09", "America/New_York", now=NOW)
    dashboards = s.platform.analytics.dashboards

    heatmap = await dashboards.heatmap(owner, shown)
    assert heatmap.scans[0][22] == 1
    assert sum(map(sum, heatmap.scans)) == 1
    series = await dashboards.timeseries(owner, shown, Bucket.DAY)
    assert [(p.days.first, p.scans) for p in series.points] == [(date(2026, 3, 9), 1)]


async def test_breakdowns_rank_values_by_scans(s: Services, owner: User) -> None:
    code = await _code(s, owner)
    for n, country in enumerate(["FR", "FR", "DE", ""]):
        _hit(s, code.id, NOW - timedelta(hours=n), visitor=f"v{n}", country=country)
    shown = period(None, None, None, now=NOW)
    found = await s.platform.analytics.dashboards.breakdown(owner, shown, Dimension.COUNTRY)
    assert [(r.value, r.counts.scans, r.share) for r in found.rows] == [
        ("FR", 2, 0.5),
        ("", 1, 0.25),
        ("DE", 1, 0.25),
    ]
    with pytest.raises(ValidationError):
        await s.platform.analytics.dashboards.breakdown(owner, shown, Dimension.HOUR)


async def test_top_codes_by_scans_and_by_listens(s: Services, owner: User) -> None:
    popular = await _code(s, owner, "Popular")
    listened = await _code(s, owner, "Listened")
    for n in range(3):
        _hit(s, popular.id, NOW - timedelta(days=2, hours=n), visitor=f"p{n}")
    _hit(s, listened.id, NOW - timedelta(hours=1), kind=PlaybackEventKind.LISTEN)
    await s.platform.analytics.rollups.run()
    shown = period(None, None, None, now=NOW)
    dashboards = s.platform.analytics.dashboards

    by_scans = await dashboards.top_codes(owner, shown, by="scans")
    assert [(t.text, t.counts.scans) for t in by_scans] == [("Popular", 3)]
    by_listens = await dashboards.top_codes(owner, shown, by="listens")
    assert [(t.text, t.counts.listens) for t in by_listens] == [("Listened", 1)]


async def test_another_owners_code_is_not_found_and_their_scans_are_not_counted(
    s: Services, owner: User
) -> None:
    theirs = await _code(s, s.add_user("other@example.com"))
    _hit(s, theirs.id, NOW - timedelta(hours=1))
    shown = period(None, None, None, now=NOW)
    dashboards = s.platform.analytics.dashboards

    with pytest.raises(NotFound):
        await dashboards.dashboard(owner, shown, Bucket.DAY, theirs.id)
    assert (await dashboards.summary(owner, shown)).counts == Counts()


async def test_one_codes_dashboard_counts_only_that_code(s: Services, owner: User) -> None:
    one = await _code(s, owner, "One")
    other = await _code(s, owner, "Other")
    _hit(s, one.id, NOW - timedelta(days=3))
    _hit(s, other.id, NOW - timedelta(days=3), visitor="x")
    _hit(s, other.id, NOW - timedelta(hours=1), visitor="y")
    await s.platform.analytics.rollups.run()
    shown = period(None, None, None, now=NOW)

    board = await s.platform.analytics.dashboards.dashboard(owner, shown, Bucket.WEEK, one.id)
    assert board.summary.counts.scans == 1
    assert board.summary.codes == 1
    assert board.breakdowns[Dimension.DEVICE].rows[0].value == "mobile"
    assert board.top_by_scans == []
    account = await s.platform.analytics.dashboards.dashboard(owner, shown, Bucket.MONTH)
    assert account.summary.counts.scans == 3
    assert account.summary.codes == 2


@pytest.mark.parametrize("zone", [None, "America/New_York", "Asia/Tokyo"])
async def test_every_panel_of_a_dashboard_says_what_the_panel_says_alone(
    s: Services, owner: User, zone: str | None
) -> None:
    # The page reads today's part of every panel at once; each panel alone reads its own.
    one = await _code(s, owner, "One")
    other = await _code(s, owner, "Other")
    for n in range(40):
        code = one if n % 3 else other
        at = NOW - timedelta(hours=5 * n + n % 4)
        country = "FR" if n % 2 else "DE"
        _hit(s, code.id, at, visitor=f"v{n % 5}", country=country, new_visit=n % 7 != 0)
    await s.platform.analytics.rollups.run()
    _hit(s, one.id, NOW - timedelta(minutes=10), visitor="v1", country="ES")
    dashboards = s.platform.analytics.dashboards
    shown = period(None, None, zone, now=NOW)
    for generation_id in (None, one.id):
        board = await dashboards.dashboard(owner, shown, Bucket.DAY, generation_id)
        assert board.summary == await dashboards.summary(owner, shown, generation_id)
        assert board.timeseries == await dashboards.timeseries(
            owner, shown, Bucket.DAY, generation_id
        )
        assert board.heatmap == await dashboards.heatmap(owner, shown, generation_id)
        for dimension, breakdown in board.breakdowns.items():
            assert breakdown == await dashboards.breakdown(owner, shown, dimension, generation_id)
        assert board.summary.counts.scans > 0


async def test_usage_counts_generations_characters_and_storage(s: Services, owner: User) -> None:
    await _code(s, owner, "Hello there")
    usage = await s.platform.analytics.dashboards.usage(owner)
    assert (usage.generations_total, usage.generations_this_month, usage.codes) == (1, 1, 1)
    assert usage.characters_spoken >= 0
    assert usage.storage_bytes > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(min_value=0, max_value=95 * 24), min_size=1, max_size=40),
    st.sampled_from(["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham"]),
    st.sampled_from(list(Bucket)),
)
def test_charts_in_a_time_zone_count_each_scan_on_its_local_day_weekday_and_hour(
    hours_ago: list[int], zone: str, bucket: Bucket
) -> None:
    """Whatever the zone (daylight saving, offsets of half and quarter hours), the
    roll-ups moved by their offset put each scan where the local clock showed the
    start of its UTC hour (roll-ups keep hours: in India a scan at 11:53 UTC counts
    at 16:30, the start of its hour there)."""

    async def check() -> None:
        s = make_services(clock=FakeClock(NOW))
        owner = s.add_user("owner@example.com")
        code = await _code(s, owner)
        moments = [NOW - timedelta(hours=h, minutes=7) for h in hours_ago]
        for n, at in enumerate(moments):
            _hit(s, code.id, at, visitor=f"v{n}")
        await s.platform.analytics.rollups.run()
        shown = period("2026-01-10", "2026-03-10", zone, now=NOW)
        dashboards = s.platform.analytics.dashboards

        local = [at.replace(minute=0).astimezone(ZoneInfo(zone)) for at in moments]
        inside = [t for t in local if t.date() in shown.days]
        heatmap = await dashboards.heatmap(owner, shown)
        expected = [[0] * 24 for _ in range(7)]
        for t in inside:
            expected[t.weekday()][t.hour] += 1
        assert heatmap.scans == expected

        series = await dashboards.timeseries(owner, shown, bucket)
        for point in series.points:
            assert point.scans == sum(1 for t in local if t.date() in point.days)
            assert point.previous_scans == sum(1 for t in local if t.date() in point.previous_days)

    asyncio.run(check())
