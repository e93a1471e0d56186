"""The time zone a signed-in reader's times are shown in: the profile's, else the
browser's (a cookie anybody can write), else UTC; and the way a time is written in it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.shared.time_zones import is_time_zone, time_zone_names
from voiceqr.entrypoints.http.kit.views import reader_zone, when

ZONES = st.sampled_from(time_zone_names())
ANY_TEXT = st.text(max_size=80)


@given(chosen=ZONES, browser=st.one_of(st.none(), ZONES, ANY_TEXT))
def test_the_zone_chosen_in_the_profile_always_wins(chosen: str, browser: str | None) -> None:
    assert reader_zone(chosen, browser).key == chosen


@given(browser=ZONES)
def test_without_a_profile_zone_the_browser_zone_is_used(browser: str) -> None:
    assert reader_zone("", browser).key == browser


@given(chosen=ANY_TEXT, browser=st.one_of(st.none(), ANY_TEXT))
def test_any_cookie_or_name_gives_a_zone_and_never_an_error(
    chosen: str, browser: str | None
) -> None:
    zone = reader_zone(chosen, browser)
    assert zone.key == "UTC" or is_time_zone(zone.key)


def test_a_percent_encoded_browser_zone_is_read_as_the_browser_wrote_it() -> None:
    assert reader_zone("", "America%2FArgentina%2FBuenos_Aires").key == (
        "America/Argentina/Buenos_Aires"
    )


def test_a_time_is_written_in_the_zone_and_named_after_it() -> None:
    moment = datetime(2026, 12, 6, 23, 45, tzinfo=UTC)
    assert when(moment, ZoneInfo("Asia/Kolkata")) == "2026-12-07 05:15 Asia/Kolkata"
    assert when(moment.replace(tzinfo=None), ZoneInfo("UTC")) == "2026-12-06 23:45 UTC"
