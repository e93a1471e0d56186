"""The public playback page: what a code shows, and scans and listens counted per code."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus, new_public_code
from voiceqr.domain.playback.events import PlaybackCounts
from voiceqr.domain.shared.errors import Gone, NotFound
from voiceqr.domain.shared.ids import uuid7

PHONE = Visit(address="203.0.113.7", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)")
LAPTOP = Visit(address="192.0.2.44", user_agent="Mozilla/5.0 (X11; Linux x86_64)")


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def user(s: Services) -> User:
    return s.add_user("user@example.com")


async def test_the_page_of_a_completed_code_has_an_audio_url_and_a_pending_one_has_none(
    s: Services, user: User
) -> None:
    voice = s.add_voice("Alex")
    done = await s.generations.request(user, text="Listen to me", voice_id=voice.id)
    waiting = await s.generations.request(user, text="Not yet", voice_id=voice.id)
    await s.generations.process(done.id)

    page = await s.playback.page(done.public_code)
    assert page.status is GenerationStatus.COMPLETED
    assert page.audio_url == f"/media/audio/{done.id}/1.mp3"
    assert (page.code, page.text, page.voice_name) == (done.public_code, "Listen to me", "Alex")

    pending = await s.playback.page(waiting.public_code)
    assert pending.status is GenerationStatus.PENDING
    assert pending.audio_url is None
    assert pending.text == "Not yet"


@pytest.mark.parametrize("code", ["", "abc", "../../etc/passwd", "a/b/c/d/e/f/g/h", "x" * 65])
async def test_a_malformed_code_is_not_found_without_asking_the_database(
    s: Services, code: str
) -> None:
    opened = s.uow.opened
    with pytest.raises(NotFound) as error:
        await s.playback.page(code)
    assert error.value.code == "code_not_found"
    with pytest.raises(NotFound):
        await s.playback.scan(code, PHONE)
    assert s.uow.opened == opened
    assert s.playback_events.appended == []


async def test_an_unknown_code_is_not_found(s: Services) -> None:
    with pytest.raises(NotFound) as error:
        await s.playback.page(new_public_code())
    assert error.value.code == "code_not_found"


async def test_scans_and_listens_are_counted_per_generation(s: Services, user: User) -> None:
    voice = s.add_voice("Alex")
    first = await s.generations.request(user, text="One", voice_id=voice.id)
    second = await s.generations.request(user, text="Two", voice_id=voice.id)
    never = await s.generations.request(user, text="Three", voice_id=voice.id)

    await s.playback.scan(first.public_code, PHONE)
    await s.playback.scan(first.public_code, LAPTOP)
    await s.playback.record_listen(first.public_code, PHONE)
    await s.playback.scan(second.public_code, Visit(address="198.51.100.9", user_agent="x" * 2000))
    assert await s.playback.counts([first.id]) == {first.id: PlaybackCounts()}  # not yet stored

    await s.store_playback_events()
    counts = await s.playback.counts([first.id, second.id, never.id])
    assert counts == {
        first.id: PlaybackCounts(scans=2, listens=1),
        second.id: PlaybackCounts(scans=1, listens=0),
        never.id: PlaybackCounts(scans=0, listens=0),
    }
    events = [stored.event for stored in s.db.playback_events]
    long_agent = next(e for e in events if e.generation_id == second.id)
    assert len(long_agent.user_agent) == 500
    assert all(e.occurred_at == s.clock() for e in events)


async def test_a_scan_reads_no_database_once_its_code_is_known(s: Services, user: User) -> None:
    voice = s.add_voice("Alex")
    made = await s.generations.request(user, text="Hello", voice_id=voice.id)
    await s.generations.process(made.id)
    await s.playback.scan(made.public_code, PHONE)
    opened = s.uow.opened

    for _ in range(50):
        page = await s.playback.scan(made.public_code, PHONE)

    assert page.text == "Hello"
    assert s.uow.opened == opened
    assert len(s.playback_events.appended) == 51


async def test_a_deleted_code_is_gone_at_once_in_the_process_that_deleted_it(
    s: Services, user: User
) -> None:
    voice = s.add_voice("Alex")
    made = await s.generations.request(user, text="Hello", voice_id=voice.id)
    await s.generations.process(made.id)
    assert (await s.playback.scan(made.public_code, PHONE)).audio_url is not None

    await s.generations.delete(user, made.id)

    with pytest.raises(Gone) as error:
        await s.playback.scan(made.public_code, PHONE)
    assert error.value.code == "audio_removed"
    with pytest.raises(Gone):
        await s.playback.record_listen(made.public_code, PHONE)
    assert len(s.playback_events.appended) == 1  # the scan before the delete only


async def test_a_completed_code_plays_at_once_in_the_process_that_made_it(
    s: Services, user: User
) -> None:
    voice = s.add_voice("Alex")
    made = await s.generations.request(user, text="Hello", voice_id=voice.id)
    assert (await s.playback.page(made.public_code)).audio_url is None

    await s.generations.process(made.id)

    assert (await s.playback.page(made.public_code)).audio_url is not None


async def test_events_of_a_generation_that_is_gone_are_dropped_and_a_batch_stores_once(
    s: Services, user: User
) -> None:
    voice = s.add_voice("Alex")
    made = await s.generations.request(user, text="Hello", voice_id=voice.id)
    await s.playback.scan(made.public_code, PHONE)
    batch = list(s.playback_events.appended)
    orphan = dataclasses.replace(batch[0], id=uuid7(), generation_id=uuid7())

    await s.playback.store_events([*batch, orphan])
    await s.playback.store_events(batch)  # handed over twice after a crash

    assert [e.event.id for e in s.db.playback_events] == [batch[0].id]
