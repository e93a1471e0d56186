"""Counting people, not requests: the visit rule, visitor keys, salt rotation, and what
the owner sees counted (bots and their own views left out)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from tests.unit.fakes.clock import FakeClock
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.playback.events import (
    Device,
    PlaybackCounts,
    PlaybackEvent,
    PlaybackEventKind,
)
from voiceqr.domain.playback.visits import (
    VISIT_WINDOW,
    mark_visits,
    network_of,
    placement_of,
    primary_language,
    referrer_host,
    visitor_keys,
)
from voiceqr.domain.shared.errors import RateLimited
from voiceqr.domain.shared.ids import uuid7

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CODES = [UUID(int=1), UUID(int=2)]


hits = st.lists(
    st.tuples(
        st.sampled_from(CODES),
        st.sampled_from(list(PlaybackEventKind)),
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=0, max_value=180),  # minutes after START
    ),
    max_size=30,
)


@given(hits=hits, earlier=st.integers(min_value=1, max_value=90))
def test_a_hit_starts_a_visit_unless_the_same_visitor_hit_the_same_code_lately(
    hits: list[tuple[UUID, PlaybackEventKind, str, int]], earlier: int
) -> None:
    events = [
        PlaybackEvent(uuid7(), code, kind, START + timedelta(minutes=m), visitor=v)
        for code, kind, v, m in hits
    ]
    seen = {(CODES[0], PlaybackEventKind.SCAN, "a"): START - timedelta(minutes=earlier)}

    starts = mark_visits(events, seen)

    # The rule, written the slow way: nothing of the same kind, code and visitor within
    # the window before it (stored before, or earlier in the batch; ties: batch order).
    order = sorted(range(len(events)), key=lambda i: events[i].occurred_at)
    for rank, i in enumerate(order):
        e = events[i]
        before = [seen.get((e.generation_id, e.kind, e.visitor))] + [
            events[j].occurred_at
            for j in order[:rank]
            if (events[j].generation_id, events[j].kind, events[j].visitor)
            == (e.generation_id, e.kind, e.visitor)
        ]
        recent = [t for t in before if t is not None and e.occurred_at - t < VISIT_WINDOW]
        assert starts[i] == (not recent)


def test_a_visit_goes_on_across_midnight_through_yesterdays_key() -> None:
    code = CODES[0]
    before_midnight = datetime(2026, 12, 6, 23, 50, tzinfo=UTC)
    seen = {(code, PlaybackEventKind.SCAN, "key-with-salt-of-the-6th"): before_midnight}
    after = PlaybackEvent(
        uuid7(),
        code,
        PlaybackEventKind.SCAN,
        before_midnight + timedelta(minutes=20),
        visitor="key-with-salt-of-the-7th",
        previous_visitor="key-with-salt-of-the-6th",
    )

    assert mark_visits([after], seen) == [False]


@given(a=st.ip_addresses(v=4), b=st.ip_addresses(v=4), agent=st.text(max_size=40), code=st.text())
def test_a_visitor_key_depends_on_the_network_not_the_address(
    a: object, b: object, agent: str, code: str
) -> None:
    salts = (b"s" * 32, b"t" * 32)
    today, yesterday = visitor_keys(salts, code, str(a), agent)
    same_network = network_of(str(a)) == network_of(str(b))
    assert (visitor_keys(salts, code, str(b), agent)[0] == today) == same_network
    assert today != yesterday
    assert str(a) not in today


def test_networks_are_a_24_or_a_64() -> None:
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert network_of("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert network_of("not an address") == ""


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_is_read_quickly_to_the_network_the_standard_library_reads(
    address: object,
) -> None:
    network = ipaddress.ip_network(f"{address}/24", strict=False)
    assert network_of(str(address)) == str(network)


def test_what_is_no_dotted_address_has_no_network() -> None:
    assert network_of("203.0.113.256") == ""
    assert network_of("203.0.113") == ""
    assert network_of("203.0.113.7.1") == ""
    assert network_of("\u0662.0.113.7") == ""  # digits of another script: no address
    assert network_of(" 203.0.113.7") == ""


def test_what_a_request_says_of_itself_is_tidied() -> None:
    assert placement_of(" Lobby Door! ") == "lobby-door"
    assert placement_of(None) == ""
    assert referrer_host("https://news.example.org/a?b=c") == "news.example.org"
    assert referrer_host("not a url") == ""
    assert primary_language("pt-BR,pt;q=0.9,en;q=0.8") == "pt"
    assert primary_language("*") == ""


# --- the use case --------------------------------------------------------------------


@pytest.fixture
def s() -> Services:
    return make_services(clock=FakeClock(START))


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


PHONE = Visit(
    address="203.0.113.7",
    user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    country="PT",
    referer="https://news.example.org/story",
    languages="pt-PT,pt;q=0.9",
    source="q",
    placement="Lobby",
)


async def test_one_visitor_is_one_scan_per_half_hour_and_every_hit_is_kept(
    s: Services, owner: User
) -> None:
    voice = s.add_voice()
    made = await s.generations.request(owner, text="Hello", voice_id=voice.id)
    for _ in range(3):
        await s.playback.scan(made.public_code, PHONE)
    s.clock.advance(minutes=31)
    await s.playback.scan(made.public_code, PHONE)
    await s.playback.scan(made.public_code, Visit(address="198.51.100.1", user_agent="Firefox"))
    await s.store_playback_events()

    assert await s.playback.counts([made.id]) == {made.id: PlaybackCounts(scans=3, listens=0)}
    assert len(s.db.playback_events) == 5
    stored = s.db.playback_events[0]
    first = stored.event
    assert (first.source, first.placement, first.country, first.language) == (
        "qr",
        "lobby",
        "PT",
        "pt",
    )
    assert first.referrer_host == "news.example.org"
    assert stored.device == Device(device="mobile", os="iOS 17", browser="Mobile Safari 17")


async def test_bots_and_the_owners_own_views_are_kept_but_not_counted(
    s: Services, owner: User
) -> None:
    voice = s.add_voice()
    made = await s.generations.request(owner, text="Hello", voice_id=voice.id)
    preview = Visit(address="192.0.2.1", user_agent="Slackbot-LinkExpanding 1.0")
    await s.playback.scan(made.public_code, preview)
    mine = Visit(address="192.0.2.9", user_agent=PHONE.user_agent, viewer_id=owner.id)
    await s.playback.scan(made.public_code, mine)
    await s.playback.scan(made.public_code, PHONE)
    await s.store_playback_events()

    assert await s.playback.counts([made.id]) == {made.id: PlaybackCounts(scans=1, listens=0)}
    assert [(e.device.bot, e.event.owner_view) for e in s.db.playback_events] == [
        (True, False),
        (False, True),
        (False, False),
    ]


async def test_listens_count_once_per_visit_and_are_limited_per_visitor(
    s: Services, owner: User
) -> None:
    voice = s.add_voice()
    made = await s.generations.request(owner, text="Hello", voice_id=voice.id)
    for _ in range(10):
        await s.playback.record_listen(made.public_code, PHONE)
    with pytest.raises(RateLimited):
        await s.playback.record_listen(made.public_code, PHONE)
    await s.store_playback_events()

    assert await s.playback.counts([made.id]) == {made.id: PlaybackCounts(scans=0, listens=1)}


async def test_salts_last_a_day_and_are_deleted_after_48_hours(s: Services, owner: User) -> None:
    voice = s.add_voice()
    made = await s.generations.request(owner, text="Hello", voice_id=voice.id)
    await s.playback.scan(made.public_code, PHONE)
    s.clock.advance(days=1)
    await s.playback.scan(made.public_code, PHONE)
    await s.store_playback_events()
    first, second = (stored.event for stored in s.db.playback_events)

    assert first.visitor != second.visitor  # a new day, a new key
    assert second.previous_visitor == first.visitor  # ...that still knows yesterday's
    assert len(s.db.visitor_salts) == 3  # the 5th, the 6th and the 7th
    s.clock.advance(days=1)  # the 8th: the 6th began 48 hours ago (and the 5th before)
    assert await s.playback.forget_expired_salts() == 2
    assert sorted(s.db.visitor_salts) == [(START + timedelta(days=1)).date()]
