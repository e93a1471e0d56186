"""Listen-through on the owner's dashboards, on the fakes: the account's average share
heard and completion rate, codes ranked by listen-through, one code's curve and
sentences, all for the listens started in the period; and the time zone a dashboard
is shown in (asked for, else the profile's, else UTC)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.unit.fakes import Services, make_services
from tests.unit.fakes.clock import FakeClock
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.listening import MIN_LISTENS_TO_RANK
from voiceqr.domain.analytics.periods import Bucket
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.playback.listening import ALL_HEARD
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.errors import NotFound

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FIRST_HALF = (1 << 10) - 1
TEXT = "Welcome to the east wing. This painting was finished in 1889."


@pytest.fixture
def s() -> Services:
    return make_services(clock=FakeClock(NOW))


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


async def _code(s: Services, owner: User, text: str = TEXT) -> Generation:
    voice = s.add_voice()
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    await s.generations.process(generation.id)
    return s.db.generation(generation.id)


async def _listen(s: Services, code: Generation, heard: int, times: int = 1) -> None:
    for _ in range(times):
        await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=heard)


async def test_the_account_summary_has_the_average_share_heard_and_the_completion_rate(
    s: Services, owner: User
) -> None:
    half, whole = await _code(s, owner), await _code(s, owner, "Another one.")
    await _listen(s, half, FIRST_HALF)
    await _listen(s, whole, ALL_HEARD)
    dashboards = s.platform.analytics.dashboards

    summary = await dashboards.summary(owner, dashboards.period(None, None, None))

    assert summary.listening.listens == 2
    assert summary.listening.average_share == 0.75
    assert summary.listening.completion_rate == 0.5


async def test_listens_started_before_the_period_are_not_in_its_listen_through(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    await _listen(s, code, ALL_HEARD)  # on 10 March
    s.clock.advance(days=2)
    await _listen(s, code, FIRST_HALF)  # on 12 March
    dashboards = s.platform.analytics.dashboards

    board = await dashboards.dashboard(
        owner, dashboards.period("2026-03-11", "2026-03-12", None), Bucket.DAY, code.id
    )

    assert board.summary.listening.listens == 1
    assert board.summary.listening.average_share == 0.5
    assert board.summary.listening.retention == (1.0,) * 10 + (0.0,) * 10
    everything = await dashboards.summary(owner, dashboards.period("2026-03-01", None, None))
    assert everything.listening.listens == 2


async def test_the_period_of_listens_is_in_the_time_zone_asked_for(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    await _listen(s, code, ALL_HEARD)  # 12:00 UTC on 10 March: 01:00 on 11 March in Auckland
    dashboards = s.platform.analytics.dashboards

    in_utc = await dashboards.summary(owner, dashboards.period("2026-03-10", "2026-03-10", "UTC"))
    auckland = dashboards.period("2026-03-10", "2026-03-10", "Pacific/Auckland")
    in_auckland = await dashboards.summary(owner, auckland)

    assert (in_utc.listening.listens, in_auckland.listening.listens) == (1, 0)


async def test_one_codes_dashboard_has_its_curve_and_the_share_that_heard_each_sentence(
    s: Services, owner: User
) -> None:
    code = await _code(s, owner)
    other = await _code(s, owner, "Not this one.")
    await _listen(s, code, FIRST_HALF, times=3)
    await _listen(s, other, ALL_HEARD)
    dashboards = s.platform.analytics.dashboards

    board = await dashboards.dashboard(
        owner, dashboards.period(None, None, None), Bucket.DAY, code.id
    )

    # The same figures as the listen-through page computes, for this code only.
    assert board.summary.listening == await s.playback.listen_through(owner, code.id)
    assert board.summary.listening.listens == 3
    assert [(x.text, x.share) for x in board.summary.listening.sentences] == [
        ("Welcome to the east wing.", 1.0),
        ("This painting was finished in 1889.", 0.0),
    ]
    assert board.best_by_listen_through == []


async def test_best_performing_codes_need_enough_listens_and_go_by_share_heard(
    s: Services, owner: User
) -> None:
    once = await _code(s, owner, "Heard once, to the end.")
    half = await _code(s, owner, "Heard half way, often.")
    most = await _code(s, owner, "Heard to the end, often.")
    await _listen(s, once, ALL_HEARD)
    await _listen(s, half, FIRST_HALF, times=MIN_LISTENS_TO_RANK)
    await _listen(s, most, ALL_HEARD, times=MIN_LISTENS_TO_RANK + 1)
    dashboards = s.platform.analytics.dashboards
    period = dashboards.period(None, None, None)

    best = await dashboards.best_listened(owner, period)
    board = await dashboards.dashboard(owner, period, Bucket.DAY)

    assert [(c.public_code, c.listening.average_share) for c in best] == [
        (most.public_code, 1.0),
        (half.public_code, 0.5),
    ]
    assert board.best_by_listen_through == best


async def test_another_owners_code_and_listens_stay_theirs(s: Services, owner: User) -> None:
    theirs = await _code(s, s.add_user("other@example.com"))
    await _listen(s, theirs, ALL_HEARD, times=MIN_LISTENS_TO_RANK)
    dashboards = s.platform.analytics.dashboards
    period = dashboards.period(None, None, None)

    with pytest.raises(NotFound):
        await dashboards.dashboard(owner, period, Bucket.DAY, theirs.id)
    assert (await dashboards.summary(owner, period)).listening.listens == 0
    assert await dashboards.best_listened(owner, period) == []


async def test_a_dashboard_is_in_the_zone_asked_for_else_the_profiles_else_utc(
    s: Services, owner: User
) -> None:
    dashboards = s.platform.analytics.dashboards
    assert (await dashboards.period_for(owner, None, None, None)).zone.key == "UTC"

    await s.platform.profile.update(owner, {"time_zone": "Asia/Tokyo"})
    assert (await dashboards.period_for(owner, None, None, None)).zone.key == "Asia/Tokyo"
    asked = await dashboards.period_for(owner, None, None, "Europe/Paris")
    assert asked.zone.key == "Europe/Paris"


async def test_a_profile_zone_the_database_no_longer_knows_reads_as_none(
    s: Services, owner: User
) -> None:
    # As if the time zone database dropped a name after it was chosen.
    stored = UserPreferences.defaults(owner.id)
    object.__setattr__(stored, "time_zone", "Europe/Gone")
    s.db.preferences[owner.id] = stored
    dashboards = s.platform.analytics.dashboards

    assert await dashboards.preferred_zone(owner) is None
    assert (await dashboards.period_for(owner, None, None, None)).zone.key == "UTC"
