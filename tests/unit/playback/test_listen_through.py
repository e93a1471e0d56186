"""Listen-through of a code: the player reports what each listen heard, and the owner
sees how far listeners went, per audio revision and sentence by sentence."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.generations.revisions import Edit
from voiceqr.application.playback.playback import HEARD_REPORTS_PER_VISITOR, Visit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.playback.listening import ALL_HEARD, BUCKETS
from voiceqr.domain.shared.errors import Gone, NotFound, RateLimited, ValidationError

FIRST_HALF = (1 << 10) - 1
SECOND_HALF = ALL_HEARD ^ FIRST_HALF
TEXT = "Welcome to the east wing. This painting was finished in 1889."


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


async def made(s: Services, owner: User, text: str = TEXT) -> Generation:
    voice = s.add_voice("Alex")
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    await s.generations.process(generation.id)
    return generation


async def test_a_listen_heard_half_way_shows_as_half_heard_and_not_completed(
    s: Services, owner: User
) -> None:
    code = await made(s, owner)
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=FIRST_HALF)

    stats = await s.playback.listen_through(owner, code.id)
    assert stats.listens == 1
    assert stats.average_share == 0.5
    assert stats.completion_rate == 0.0
    assert stats.retention == (1.0,) * 10 + (0.0,) * 10
    assert [sentence.text for sentence in stats.sentences] == [
        "Welcome to the east wing.",
        "This painting was finished in 1889.",
    ]
    assert [sentence.share for sentence in stats.sentences] == [1.0, 0.0]


async def test_reports_of_one_listen_grow_it_and_never_shrink_it(s: Services, owner: User) -> None:
    code = await made(s, owner)
    listen = uuid.uuid4()
    for heard in (0b1, FIRST_HALF, 0b11, SECOND_HALF):
        await s.playback.record_heard(code.public_code, listen_id=listen, heard=heard)

    stats = await s.playback.listen_through(owner, code.id)
    assert stats.listens == 1
    assert stats.completion_rate == 1.0
    assert stats.retention == (1.0,) * BUCKETS
    assert len(s.db.listens) == 1


async def test_many_listens_make_a_retention_curve_and_a_completion_rate(
    s: Services, owner: User
) -> None:
    code = await made(s, owner)
    for heard in (ALL_HEARD, ALL_HEARD, FIRST_HALF, 0b1):
        await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=heard)

    stats = await s.playback.listen_through(owner, code.id)
    assert stats.listens == 4
    assert stats.completion_rate == 0.5
    assert stats.retention[0] == 1.0
    assert stats.retention[5] == 0.75
    assert stats.retention[15] == 0.5
    assert stats.average_share == pytest.approx((1 + 1 + 0.5 + 0.05) / 4)


async def test_a_regenerated_code_starts_a_new_curve(s: Services, owner: User) -> None:
    code = await made(s, owner)
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=ALL_HEARD)
    page_of_the_first_audio = await s.playback.page(code.public_code)
    assert page_of_the_first_audio.revision == 1

    await s.generation_revisions.edit(owner, code.id, Edit(text="A new text. Short."))
    # Until the new audio is made, the code plays (and reports for) the first one.
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=FIRST_HALF)
    await s.generations.process(code.id)
    assert (await s.playback.page(code.public_code)).revision == 2

    fresh = await s.playback.listen_through(owner, code.id)
    assert fresh.listens == 0
    assert [sentence.text for sentence in fresh.sentences] == ["A new text.", "Short."]

    # A page opened before the regeneration still reports for the audio it played.
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=0b1, revision=1)
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=SECOND_HALF)
    stats = await s.playback.listen_through(owner, code.id)
    assert stats.listens == 1
    assert stats.retention == (0.0,) * 10 + (1.0,) * 10
    assert sorted(listen.revision for listen in s.db.listens.values()) == [1, 1, 1, 2]


async def test_a_listen_id_of_another_code_is_not_taken_over(s: Services, owner: User) -> None:
    first, second = await made(s, owner), await made(s, owner, "Another code.")
    listen = uuid.uuid4()
    await s.playback.record_heard(first.public_code, listen_id=listen, heard=0b1)
    await s.playback.record_heard(second.public_code, listen_id=listen, heard=ALL_HEARD)

    assert (await s.playback.listen_through(owner, first.id)).average_share == 0.05
    assert (await s.playback.listen_through(owner, second.id)).listens == 0


@pytest.mark.parametrize("heard", [-1, ALL_HEARD + 1, 1 << 40])
async def test_a_report_outside_twenty_buckets_is_refused(
    s: Services, owner: User, heard: int
) -> None:
    code = await made(s, owner)
    with pytest.raises(ValidationError) as error:
        await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=heard)
    assert error.value.code == "invalid_heard"
    assert s.db.listens == {}


@pytest.mark.parametrize("revision", [0, 2, 99])
async def test_a_report_for_audio_the_code_never_played_is_refused(
    s: Services, owner: User, revision: int
) -> None:
    code = await made(s, owner)
    with pytest.raises(ValidationError) as error:
        await s.playback.record_heard(
            code.public_code, listen_id=uuid.uuid4(), heard=0b1, revision=revision
        )
    assert error.value.code == "audio_revision_not_played"


async def test_a_code_whose_audio_is_not_made_yet_takes_no_report(s: Services, owner: User) -> None:
    voice = s.add_voice("Alex")
    waiting = await s.generations.request(owner, text="Not yet.", voice_id=voice.id)
    with pytest.raises(ValidationError):
        await s.playback.record_heard(waiting.public_code, listen_id=uuid.uuid4(), heard=0b1)


async def test_a_report_that_heard_nothing_stores_nothing(s: Services, owner: User) -> None:
    code = await made(s, owner)
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=0)
    assert s.db.listens == {}


async def test_reports_for_unknown_and_deleted_codes_are_refused_like_their_pages(
    s: Services, owner: User
) -> None:
    code = await made(s, owner)
    with pytest.raises(NotFound):
        await s.playback.record_heard("doesNotExist123", listen_id=uuid.uuid4(), heard=1)
    await s.generations.delete(owner, code.id)
    with pytest.raises(Gone):
        await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=1)


async def test_a_report_of_a_cached_code_reads_no_database(s: Services, owner: User) -> None:
    code = await made(s, owner)
    await s.playback.scan(code.public_code, Visit())  # the code is remembered from here on
    opened = s.uow.opened
    await s.playback.record_heard(code.public_code, listen_id=uuid.uuid4(), heard=0b1)
    assert s.uow.opened == opened + 1  # the one write of the report, no lookup


async def test_only_the_owner_sees_a_codes_listen_through(s: Services, owner: User) -> None:
    code = await made(s, owner)
    other = s.add_user("other@example.com")
    with pytest.raises(NotFound) as error:
        await s.playback.listen_through(other, code.id)
    assert error.value.code == "generation_not_found"
    with pytest.raises(NotFound):
        await s.playback.listen_through(owner, UUID(int=1))


async def test_reports_are_limited_per_client_address(s: Services, owner: User) -> None:
    code = await made(s, owner)
    limit, _ = HEARD_REPORTS_PER_VISITOR
    for _ in range(limit):
        await s.playback.record_heard(
            code.public_code, listen_id=uuid.uuid4(), heard=1, visit=Visit(address="203.0.113.9")
        )
    with pytest.raises(RateLimited):
        await s.playback.record_heard(
            code.public_code, listen_id=uuid.uuid4(), heard=1, visit=Visit(address="203.0.113.9")
        )
    # Another visitor is not held back by that one.
    await s.playback.record_heard(
        code.public_code, listen_id=uuid.uuid4(), heard=1, visit=Visit(address="198.51.100.7")
    )
    assert len(s.db.listens) == limit + 1
