"""G4 folders and tags, G5 search and filters, on in-memory fakes."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.generations.revisions import Edit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.generations.organising import (
    MAX_TAGS_PER_GENERATION,
    LabelKind,
    clean_label_name,
    matches_search,
    search_terms,
)
from voiceqr.domain.shared.errors import Conflict, NotFound, ValidationError
from voiceqr.domain.voices.voice import Voice

FOLDER, TAG = LabelKind.FOLDER, LabelKind.TAG


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


@pytest.fixture
def bob(s: Services) -> User:
    return s.add_user("bob@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


async def make(s: Services, owner: User, voice: Voice, *texts: str) -> list[Generation]:
    made = []
    for text in texts:
        made.append(await s.generations.request(owner, text=text, voice_id=voice.id))
        s.clock.advance(1)
    return made


async def listed(s: Services, owner: User, **filters: object) -> list[str]:
    page = await s.generations.history(owner, matching=GenerationFilter(**filters), limit=200)  # type: ignore[arg-type]
    return [g.text for g in page.items]


# --- names -----------------------------------------------------------------------------


def test_names_are_trimmed_and_inner_spaces_collapse() -> None:
    assert clean_label_name("  Museum   tour \t", FOLDER) == "Museum tour"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("   ", "folder_name_blank"),
        ("x" * 101, "folder_name_too_long"),
        ("a\x00b", "folder_name_invalid"),
    ],
)
def test_bad_folder_names_are_refused_with_a_reason(name: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_label_name(name, FOLDER)
    assert caught.value.code == code


def test_tag_names_are_shorter_than_folder_names() -> None:
    clean_label_name("x" * 50, TAG)
    with pytest.raises(ValidationError):
        clean_label_name("x" * 51, TAG)


async def test_names_are_unique_per_user_whatever_the_case(
    s: Services, ann: User, bob: User
) -> None:
    await s.folders.create(ann, FOLDER, "Museum")
    with pytest.raises(Conflict) as caught:
        await s.folders.create(ann, FOLDER, " MUSEUM ")
    assert caught.value.code == "folder_name_taken"
    await s.folders.create(bob, FOLDER, "museum")  # another user's names do not count
    await s.folders.create(ann, TAG, "museum")  # nor do tags against folders


async def test_renaming_may_change_only_the_case_but_not_take_another_name(
    s: Services, ann: User
) -> None:
    museum = await s.folders.create(ann, FOLDER, "museum")
    await s.folders.create(ann, FOLDER, "Zoo")
    assert (await s.folders.rename(ann, FOLDER, museum.id, "Museum")).name == "Museum"
    with pytest.raises(Conflict):
        await s.folders.rename(ann, FOLDER, museum.id, "zoo")
    names = [u.label.name for u in await s.folders.labels(ann, FOLDER)]
    assert names == ["Museum", "Zoo"]


async def test_another_users_folder_or_tag_is_not_found(
    s: Services, ann: User, bob: User, voice: Voice
) -> None:
    folder = await s.folders.create(ann, FOLDER, "Mine")
    tag = await s.folders.create(ann, TAG, "mine")
    [bobs] = await make(s, bob, voice, "bob's")
    for attempt in (
        s.folders.rename(bob, FOLDER, folder.id, "Taken over"),
        s.folders.delete(bob, FOLDER, folder.id),
        s.folders.delete(bob, TAG, tag.id),
        s.folders.move(bob, [bobs.id], folder.id),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert [u.label.name for u in await s.folders.labels(ann, FOLDER)] == ["Mine"]


# --- filing ----------------------------------------------------------------------------


async def test_deleting_a_folder_leaves_its_generations_in_no_folder(
    s: Services, ann: User, voice: Voice
) -> None:
    [g] = await make(s, ann, voice, "hello")
    folder = await s.folders.create(ann, FOLDER, "Tour")
    assert (await s.folders.move_one(ann, g.id, folder.id)).folder == folder
    [usage] = await s.folders.labels(ann, FOLDER)
    assert usage.generations == 1

    await s.folders.delete(ann, FOLDER, folder.id)

    assert (await s.folders.filings(ann, [g.id]))[g.id].folder is None
    assert await listed(s, ann) == ["hello"]


async def test_setting_tags_creates_missing_ones_and_drops_the_rest(
    s: Services, ann: User, voice: Voice
) -> None:
    [g] = await make(s, ann, voice, "hello")
    await s.folders.create(ann, TAG, "Kids")
    filing = await s.folders.set_tags(ann, g.id, ["kids", "Audio guide", "audio GUIDE"])
    assert [t.name for t in filing.tags] == ["Audio guide", "Kids"]  # existing name kept

    filing = await s.folders.set_tags(ann, g.id, ["Audio guide"])
    assert [t.name for t in filing.tags] == ["Audio guide"]
    assert {u.label.name: u.generations for u in await s.folders.labels(ann, TAG)} == {
        "Audio guide": 1,
        "Kids": 0,
    }


async def test_too_many_tags_save_nothing(s: Services, ann: User, voice: Voice) -> None:
    [g] = await make(s, ann, voice, "hello")
    names = [f"t{i}" for i in range(MAX_TAGS_PER_GENERATION + 1)]
    with pytest.raises(ValidationError):
        await s.folders.set_tags(ann, g.id, names)
    await s.folders.tag(ann, [g.id], names[:-1])
    with pytest.raises(ValidationError):
        await s.folders.tag(ann, [g.id], ["one more"])
    assert len((await s.folders.filings(ann, [g.id]))[g.id].tags) == MAX_TAGS_PER_GENERATION
    assert len(await s.folders.labels(ann, TAG)) == MAX_TAGS_PER_GENERATION


async def test_batch_filing_skips_other_users_generations(
    s: Services, ann: User, bob: User, voice: Voice
) -> None:
    mine = await make(s, ann, voice, "one", "two")
    [theirs] = await make(s, bob, voice, "bob's")
    folder = await s.folders.create(ann, FOLDER, "Tour")
    assert await s.folders.move(ann, [*(g.id for g in mine), theirs.id], folder.id) == 2
    await s.folders.tag(ann, [mine[0].id, theirs.id], ["x"])
    await s.folders.untag(ann, [mine[0].id], ["X", "never made"])

    assert (await s.folders.filings(bob, [theirs.id]))[theirs.id].folder is None
    assert await s.folders.labels(bob, TAG) == []
    assert (await s.folders.filings(ann, [mine[0].id]))[mine[0].id].tags == []
    with pytest.raises(NotFound):
        await s.folders.move_one(ann, theirs.id, None)
    with pytest.raises(NotFound):
        await s.folders.set_tags(ann, theirs.id, ["x"])


# --- search and filters ----------------------------------------------------------------


def test_search_terms_are_plain_words_whatever_is_typed() -> None:
    assert search_terms('Museum "tour" AND NOT (x* OR y:)') == (
        "museum",
        "tour",
        "and",
        "not",
        "x",
        "or",
        "y",
    )
    assert search_terms("  --- ") == ()
    with pytest.raises(ValidationError):
        search_terms("x" * 201)


def test_search_matches_word_prefixes_ignoring_case_and_accents() -> None:
    assert matches_search("Welcome to the Élan museum", ("mus", "elan"))
    assert not matches_search("Welcome to the museum", ("useum",))
    assert not matches_search("Welcome", ("welcome", "tour"))


async def test_search_and_filters_combine(s: Services, ann: User, bob: User, voice: Voice) -> None:
    other_voice = s.add_voice("Sam")
    a, b, c = await make(s, ann, voice, "Museum tour one", "Museum tour two", "Zoo tour")
    d = await s.generations.request(ann, text="Museum tour three", voice_id=other_voice.id)
    await make(s, bob, voice, "Museum tour of bob")
    folder = await s.folders.create(ann, FOLDER, "Tours")
    await s.folders.move(ann, [a.id, b.id, c.id, d.id], folder.id)
    await s.folders.tag(ann, [b.id, c.id, d.id], ["kids"])

    assert await listed(s, ann, text="museum") == [d.text, b.text, a.text]
    assert await listed(s, ann, text="mus", tag="KIDS") == [d.text, b.text]
    assert await listed(s, ann, text="mus", tag="kids", voice_id=voice.id) == [b.text]
    assert await listed(s, ann, folder_id=folder.id, tag="kids", text="zoo") == [c.text]
    assert await listed(s, ann, tag="nope") == []
    assert await listed(s, ann, text="!!!") == [d.text, c.text, b.text, a.text]


async def test_search_finds_a_generation_by_its_title_or_its_text(
    s: Services, ann: User, voice: Voice
) -> None:
    titled = await s.generations.request(
        ann, text="Welcome to room four", voice_id=voice.id, title="Starry Night"
    )
    s.clock.advance(1)
    await make(s, ann, voice, "Nothing about stars")

    assert await listed(s, ann, text="starry") == [titled.text]
    assert await listed(s, ann, text="night room") == [titled.text]  # a word from each
    assert await listed(s, ann, text="welcome") == [titled.text]
    await s.generation_revisions.edit(ann, titled.id, Edit(title=""))
    assert await listed(s, ann, text="starry") == []


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(st.sampled_from(["red", "green", "blue"]), min_size=1, max_size=25),
    tagged=st.lists(st.booleans(), min_size=25, max_size=25),
    page_size=st.integers(min_value=1, max_value=6),
    query=st.sampled_from(["", "re", "green", "blu"]),
    by_tag=st.booleans(),
)
def test_paging_through_a_filter_neither_repeats_nor_misses(
    words: list[str], tagged: list[bool], page_size: int, query: str, by_tag: bool
) -> None:
    async def run() -> None:
        s = make_services()
        owner, voice = s.add_user(), s.add_voice()
        made = []
        for i, word in enumerate(words):
            made.append(await s.generations.request(owner, text=f"{word} {i}", voice_id=voice.id))
            if i % 3:  # some share a creation time, so the id breaks the tie
                s.clock.advance(1)
        await s.folders.tag(owner, [g.id for g, t in zip(made, tagged, strict=False) if t], ["t"])
        matching = GenerationFilter(text=query or None, tag="t" if by_tag else None)
        expected = [
            g.id
            for g, t in zip(made, tagged, strict=False)
            if (not query or g.text.startswith(query)) and (t or not by_tag)
        ]
        expected = [
            g.id
            for g in sorted(made, key=lambda g: (g.created_at, g.id), reverse=True)
            if g.id in set(expected)
        ]
        seen, cursor = [], None
        while True:
            page = await s.generations.history(
                owner, matching=matching, cursor=cursor, limit=page_size
            )
            seen += [g.id for g in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == expected

    asyncio.run(run())
