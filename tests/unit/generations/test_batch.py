"""G6 on fakes: selecting many generations, batch delete, and the archive's files."""

from __future__ import annotations

import csv
import io
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import PUBLIC_BASE_URL, Services, make_services
from voiceqr.application.generations import batch
from voiceqr.application.generations.batch import (
    INDEX_COLUMNS,
    MAX_IDS,
    PAGE_SIZE,
    ArchiveFile,
    BatchAction,
    GenerationBatches,
    Selection,
    file_stem,
)
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice

SMALL_PAGE = 4
MORE_THAN_TWO_PAGES = 2 * SMALL_PAGE + 1


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filter's matches are read PAGE_SIZE at a time; pages of 4 let a handful of
    generations span three. (The real 200 would need 401 generations, and the fake
    database copies itself at every transaction: minutes instead of milliseconds.)"""
    assert SMALL_PAGE < PAGE_SIZE
    monkeypatch.setattr(batch, "PAGE_SIZE", SMALL_PAGE)


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("ann@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


@pytest.fixture
def batches(s: Services) -> GenerationBatches:
    return s.platform.generations.batches


async def spoken(s: Services, owner: User, voice: Voice, text: str) -> Generation:
    """A generation through the real use cases, processed to completion."""
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    await s.generations.process(generation.id)
    s.clock.advance(1)
    return await s.generations.get_for_owner(owner, generation.id)


async def remaining(s: Services, owner: User) -> set[str]:
    return {g.text for g in (await s.generations.history(owner, limit=200)).items}


async def files_of(batches: GenerationBatches, owner: User, **matching: object) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    archive = await batches.archive(owner, GenerationFilter(**matching))  # type: ignore[arg-type]
    async for f in archive:
        assert isinstance(f, ArchiveFile)
        body = b"".join([chunk async for chunk in f.chunks])
        assert len(body) == f.size, f.path
        found[f.path] = body
    return found


@pytest.mark.parametrize(
    "selection",
    [
        Selection(),
        Selection(ids=()),
        Selection(ids=(uuid7(),), matching=GenerationFilter()),
    ],
)
async def test_a_selection_is_ids_or_a_filter(
    batches: GenerationBatches, owner: User, selection: Selection
) -> None:
    with pytest.raises(ValidationError) as caught:
        await batches.select(owner, selection)
    assert caught.value.code == "bad_selection"


async def test_too_many_ids_are_refused(batches: GenerationBatches, owner: User) -> None:
    with pytest.raises(ValidationError) as caught:
        await batches.select(owner, Selection(ids=tuple(uuid7() for _ in range(MAX_IDS + 1))))
    assert caught.value.code == "too_many_ids"


async def test_one_foreign_id_fails_the_whole_batch_and_deletes_nothing(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    stranger = s.add_user("bob@example.com")
    mine = await spoken(s, owner, voice, "mine")
    theirs = await spoken(s, stranger, voice, "theirs")

    with pytest.raises(NotFound):
        await batches.apply(owner, BatchAction.DELETE, Selection(ids=(mine.id, theirs.id)))

    assert await remaining(s, owner) == {"mine"}
    assert await remaining(s, stranger) == {"theirs"}
    assert mine.audio_key is not None
    assert mine.audio_key in s.storage.objects


async def test_delete_by_ids_tombstones_them_and_removes_their_audio(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    a, b, c = [await spoken(s, owner, voice, t) for t in ("a", "b", "c")]

    result = await batches.apply(owner, BatchAction.DELETE, Selection(ids=(a.id, c.id, a.id)))

    assert result.count == 2  # a repeated id counts once
    assert await remaining(s, owner) == {"b"}
    assert a.audio_key not in s.storage.objects
    assert c.audio_key not in s.storage.objects
    assert b.audio_key in s.storage.objects


@pytest.mark.usefixtures("small_pages")
async def test_delete_by_filter_takes_every_page_of_matches(
    s: Services, owner: User, voice: Voice, batches: GenerationBatches
) -> None:
    for i in range(MORE_THAN_TWO_PAGES):
        generation_id = uuid7()
        s.db.generations[generation_id] = Generation(
            id=generation_id,
            owner_id=owner.id,
            voice_id=voice.id,
            text=f"failed {i}",
            public_code=new_public_code(),
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            status=GenerationStatus.FAILED,
        )
    kept = await spoken(s, owner, voice, "kept")

    matching = GenerationFilter(status=GenerationStatus.FAILED)
    result = await batches.apply(owner, BatchAction.DELETE, Selection(matching=matching))

    assert result.count == MORE_THAN_TWO_PAGES
    assert await remaining(s, owner) == {kept.text}


async def test_the_archive_holds_qr_codes_audio_and_an_index_of_every_match(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    done = await spoken(s, owner, voice, 'Quotes "and", commas')
    waiting = await s.generations.request(owner, text="not made yet", voice_id=voice.id)
    await spoken(s, s.add_user("bob@example.com"), voice, "someone else's")
    async with s.uow() as uow:
        await uow.preferences.save(UserPreferences(user_id=owner.id, qr_size=300))
        await uow.commit()

    files = await files_of(batches, owner)

    assert list(files)[-1] == "index.csv"
    rows = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    assert [r["id"] for r in rows] == [str(waiting.id), str(done.id)]  # newest first
    assert tuple(rows[0]) == INDEX_COLUMNS
    done_row, waiting_row = rows[1], rows[0]
    assert done_row["text"] == 'Quotes "and", commas'
    assert done_row["voice"] == "Alex"
    assert done_row["playback_url"] == f"{PUBLIC_BASE_URL}/p/{done.public_code}"
    assert done.audio_key is not None
    assert files[done_row["audio_file"]] == s.storage.objects[done.audio_key].data
    qr = files[done_row["qr_file"]]
    assert qr.endswith(f"300:{done_row['playback_url']}?s=q".encode())  # a scan, marked
    assert waiting_row["audio_file"] == ""
    assert waiting_row["status"] == "pending"
    assert waiting_row["qr_file"] in files
    assert len(files) == 4


async def test_audio_deleted_while_the_archive_is_made_is_left_out(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    done = await spoken(s, owner, voice, "vanishing")
    assert done.audio_key is not None
    await s.storage.delete(done.audio_key)

    files = await files_of(batches, owner)

    rows = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    assert rows[0]["audio_file"] == ""
    assert not any(path.startswith("audio/") for path in files)


async def test_text_that_a_spreadsheet_would_run_is_defused_in_the_index(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    formula = '=HYPERLINK("https://evil.example","click")'
    await spoken(s, owner, voice, formula)

    files = await files_of(batches, owner)

    [row] = csv.DictReader(io.StringIO(files["index.csv"].decode()))
    assert row["text"] == "'" + formula  # shown as text, never run
    assert row["voice"] == "Alex"


async def test_a_failed_generation_is_in_the_archive_without_a_qr_code(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    failed_id = uuid7()
    s.db.generations[failed_id] = Generation(
        id=failed_id,
        owner_id=owner.id,
        voice_id=voice.id,
        text="never spoken",
        public_code=new_public_code(),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        status=GenerationStatus.FAILED,
    )

    files = await files_of(batches, owner)

    (row,) = csv.DictReader(io.StringIO(files["index.csv"].decode()))
    assert row["status"] == "failed"
    assert row["qr_file"] == ""
    assert list(files) == ["index.csv"]


async def test_a_bad_filter_fails_before_the_archive_starts(
    batches: GenerationBatches, owner: User
) -> None:
    later, earlier = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        await batches.archive(owner, GenerationFilter(created_from=later, created_to=earlier))


@given(text=st.text(max_size=300))
def test_file_names_are_plain_ascii_and_end_with_the_public_code(text: str) -> None:
    code = new_public_code()
    generation = Generation(
        id=uuid7(),
        owner_id=uuid7(),
        voice_id=uuid7(),
        text=text,
        public_code=code,
        created_at=datetime(2026, 11, 25, 12, 30, 5, tzinfo=UTC),
    )
    stem = file_stem(generation)
    assert stem.startswith("20261125-123005-")
    assert stem.endswith(code)
    assert set(stem) <= set(string.ascii_lowercase + string.ascii_uppercase + string.digits + "-_")
    assert "--" not in stem.removesuffix(code)


@pytest.mark.usefixtures("small_pages")
async def test_the_index_lists_every_match_across_pages_newest_first(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    made = [await spoken(s, owner, voice, f"number {i}") for i in range(MORE_THAN_TWO_PAGES)]
    await s.playback.scan(made[0].public_code, Visit(user_agent="phone"))
    await s.store_playback_events()

    files = await files_of(batches, owner)

    rows = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    assert [r["text"] for r in rows] == [g.text for g in reversed(made)]
    assert [r["scans"] for r in rows] == ["0"] * (MORE_THAN_TWO_PAGES - 1) + ["1"]
    assert sum(path.startswith("audio/") for path in files) == MORE_THAN_TWO_PAGES


async def test_an_index_larger_than_memory_holds_spills_to_disk_and_stays_whole(
    s: Services, batches: GenerationBatches, owner: User, voice: Voice
) -> None:
    texts = [f"{i:02d} " + "long words " * 450 for i in range(20)]  # about 100 KB of index
    for text in texts:
        await spoken(s, owner, voice, text)

    files = await files_of(batches, owner)

    assert len(files["index.csv"]) > 1 << 16
    rows = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    assert [r["text"] for r in rows] == [t.strip() for t in reversed(texts)]


def test_a_titled_generation_is_named_by_its_title_in_the_archive() -> None:
    generation = Generation(
        id=uuid7(),
        owner_id=uuid7(),
        voice_id=uuid7(),
        text="Welcome to the east wing of the museum.",
        public_code="abcdefgh12345678",
        created_at=datetime(2026, 11, 25, 12, 30, 5, tzinfo=UTC),
        title="Salle d'été",
    )
    assert file_stem(generation) == "20261125-123005-salle-d-ete-abcdefgh12345678"
