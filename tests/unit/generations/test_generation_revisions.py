"""Edit and regenerate (G3) and the admins' edit-and-requeue (F3), on in-memory fakes.

The printed code never changes and always plays the newest audio that was made;
the earlier audio keeps playing while a new version is made or if it fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.unit.fakes import FakeSpeech, Services, make_services
from voiceqr.application.generations.revisions import Edit
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import Generation, GenerationStatus, RetryPolicy
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.voices.voice import Voice

T = TypeVar("T")

FIRST = "The east wing is closed today."
SECOND = "The east wing is open again."


def refused_for_good() -> SpeechError:
    return SpeechError(
        "The speech service refused this text.",
        category=ErrorCategory.VALIDATION,
        code="text_refused",
        retryable=False,
    )


async def made(s: Services, owner: User, voice: Voice, text: str = FIRST) -> Generation:
    """A generation whose first audio is ready."""
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    for generation_id in s.queue.take():
        await s.generations.process(generation_id)
    assert s.db.generation(generation.id).status is GenerationStatus.COMPLETED
    return s.db.generation(generation.id)


async def work(s: Services) -> list[str]:
    return [(await s.generations.process(gid)).action for gid in s.queue.take()]


def audio_at(s: Services, generation: Generation) -> bytes:
    key = s.db.generation(generation.id).audio_key
    assert key is not None
    return s.storage.objects[key].data


# --- the owner's edit -----------------------------------------------------------------------


async def test_regenerating_keeps_the_printed_code_and_plays_the_new_audio_once_made(
    s: Services, owner: User, voice: Voice
) -> None:
    first = await made(s, owner, voice)
    first_key = first.audio_key
    other = s.add_voice("Bea", provider_voice_id="en-gb")

    edited = await s.generation_revisions.edit(
        owner, first.id, Edit(text=SECOND, voice_id=other.id)
    )

    assert (edited.id, edited.public_code) == (first.id, first.public_code)
    assert (edited.revision, edited.status, edited.attempts) == (2, GenerationStatus.PENDING, 0)
    assert s.queue.enqueued == [first.id]  # handed over after the commit
    # Meanwhile the code keeps playing the first audio, with the first text.
    page = await s.playback.page(first.public_code)
    assert page.audio_url == f"/media/{first_key}"
    assert (page.text, page.voice_name) == (FIRST, "Alex")
    assert audio_at(s, first) == FakeSpeech.default_audio(FIRST)

    assert await work(s) == ["completed"]

    done = s.db.generation(first.id)
    assert (done.public_code, done.live_revision, done.status) == (
        first.public_code,
        2,
        GenerationStatus.COMPLETED,
    )
    assert done.audio_key != first_key
    assert audio_at(s, done) == FakeSpeech.default_audio(SECOND)
    assert s.speech["espeak"].calls[-1].voice_id == other.id
    page = await s.playback.page(first.public_code)
    assert page.audio_url == f"/media/{done.audio_key}"
    assert (page.text, page.voice_name) == (SECOND, "Bea")
    # The first version is kept and listed, newest first.
    assert first_key in s.storage.objects
    listed = await s.generation_revisions.list_for_owner(owner, first.id)
    assert [(r.number, r.text, r.status, r.live) for r in listed] == [
        (2, SECOND, GenerationStatus.COMPLETED, True),
        (1, FIRST, GenerationStatus.COMPLETED, False),
    ]
    assert [r.audio_url for r in listed] == [f"/media/{done.audio_key}", f"/media/{first_key}"]
    assert [r.voice_name for r in listed] == ["Bea", "Alex"]


async def test_a_page_lists_the_revisions_as_of_its_own_read(
    s: Services, owner: User, voice: Voice
) -> None:
    """The worker finishing between the page's two reads must not make it say both
    "being made" (status) and "ready, playing" (list)."""
    first = await made(s, owner, voice)
    shown = await s.generation_revisions.edit(owner, first.id, Edit(text=SECOND))
    await work(s)  # completes after the page read the generation

    listed = await s.generation_revisions.revisions_of(shown)

    assert [(r.number, r.status, r.live, r.audio_url is None) for r in listed] == [
        (2, GenerationStatus.PENDING, False, True),
        (1, GenerationStatus.COMPLETED, True, False),
    ]
    assert listed[0].completed_at is None


async def test_a_voice_only_edit_keeps_the_text(s: Services, owner: User, voice: Voice) -> None:
    first = await made(s, owner, voice)
    other = s.add_voice("Bea")
    edited = await s.generation_revisions.edit(owner, first.id, Edit(voice_id=other.id))
    assert (edited.text, edited.voice_id, edited.revision) == (FIRST, other.id, 2)


async def test_attempts_record_the_revision_they_made(
    s: Services, owner: User, voice: Voice
) -> None:
    first = await made(s, owner, voice)
    await s.generation_revisions.edit(owner, first.id, Edit(text=SECOND))
    await work(s)
    history = await s.generation_failures.attempts_for_owner(owner, first.id)
    assert [(a.number, a.revision) for a in history] == [(1, 1), (2, 2)]


async def test_when_the_new_version_fails_for_good_the_old_audio_keeps_playing(
    s: Services, owner: User, voice: Voice
) -> None:
    first = await made(s, owner, voice)
    s.speech["espeak"].then(refused_for_good())
    await s.generation_revisions.edit(owner, first.id, Edit(text=SECOND))

    assert await work(s) == ["failed"]

    failed = s.db.generation(first.id)
    assert failed.status is GenerationStatus.FAILED
    assert (failed.audio_key, failed.live_revision) == (first.audio_key, 1)
    assert (await s.playback.page(first.public_code)).text == FIRST
    listed = await s.generation_revisions.list_for_owner(owner, first.id)
    assert [(r.number, r.status, r.live) for r in listed] == [
        (2, GenerationStatus.FAILED, False),
        (1, GenerationStatus.COMPLETED, True),
    ]
    # A failed version can be edited again.
    third = await s.generation_revisions.edit(owner, first.id, Edit(text="Third try."))
    assert third.revision == 3


async def test_an_edit_while_a_version_is_being_made_is_refused_and_changes_nothing(
    s: Services, owner: User, voice: Voice
) -> None:
    pending = await s.generations.request(owner, text=FIRST, voice_id=voice.id)
    before = s.db.snapshot()
    with pytest.raises(Conflict) as refused:
        await s.generation_revisions.edit(owner, pending.id, Edit(text=SECOND))
    assert refused.value.code == "generation_busy"
    assert s.db.generations == before.generations
    assert s.db.generation_revisions == before.generation_revisions


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (Edit(), "nothing_to_change"),
        (Edit(text=FIRST), "nothing_changed"),
        (Edit(text="  " + FIRST + "\n"), "nothing_changed"),  # cleaned like a request
        (Edit(text="   "), "text_blank"),
        (Edit(text="x" * 101), "text_too_long"),
        (Edit(voice_id=UUID(int=7)), "unknown_voice"),
    ],
)
async def test_a_bad_edit_is_refused_and_writes_nothing(edit: Edit, code: str) -> None:
    s = make_services(speech=[FakeSpeech("espeak", max_text_length=100)])
    owner, voice = s.add_user(), s.add_voice()
    first = await made(s, owner, voice)
    before = s.db.snapshot()
    with pytest.raises(ValidationError) as refused:
        await s.generation_revisions.edit(owner, first.id, edit)
    assert refused.value.code == code
    assert s.db.generations == before.generations
    assert s.db.generation_revisions == before.generation_revisions
    assert s.queue.enqueued == []


async def test_an_unpublished_voice_cannot_be_picked(
    s: Services, owner: User, voice: Voice
) -> None:
    first = await made(s, owner, voice)
    hidden = s.add_voice("Hidden", published=False)
    with pytest.raises(ValidationError, match="gallery"):
        await s.generation_revisions.edit(owner, first.id, Edit(voice_id=hidden.id))


async def test_another_users_generation_cannot_be_edited_or_listed(
    s: Services, owner: User, voice: Voice
) -> None:
    first = await made(s, owner, voice)
    stranger = s.add_user("stranger@example.com")
    with pytest.raises(NotFound):
        await s.generation_revisions.edit(stranger, first.id, Edit(text=SECOND))
    with pytest.raises(NotFound):
        await s.generation_revisions.list_for_owner(stranger, first.id)
    assert s.db.generation(first.id).revision == 1


async def test_an_unverified_owner_cannot_edit(s: Services, voice: Voice) -> None:
    owner = s.add_user()
    first = await made(s, owner, voice)
    s.db.users[owner.id].email_verified_at = None
    unverified = s.db.users[owner.id]
    with pytest.raises(PermissionDenied):
        await s.generation_revisions.edit(unverified, first.id, Edit(text=SECOND))


async def test_a_late_worker_of_the_old_text_cannot_complete_the_new_revision() -> None:
    """Revision 1's worker hangs past its lease, the sweeper gives up on it, the owner
    edits; the hung worker then returns with audio of the old text and is ignored."""
    s = make_services(retry_policy=RetryPolicy(max_attempts=1))
    owner, voice = s.add_user(), s.add_voice()
    generation = await s.generations.request(owner, text=FIRST, voice_id=voice.id)
    started, release = asyncio.Event(), asyncio.Event()

    async def hang(call: Any) -> None:
        if call.text == FIRST:
            started.set()
            await release.wait()

    s.speech["espeak"].on_call = hang
    (queued,) = s.queue.take()
    stale = asyncio.create_task(s.generations.process(queued))
    await started.wait()
    s.clock.advance(s.lease.total_seconds() + 1)
    await s.generations.sweep()
    assert s.db.generation(generation.id).status is GenerationStatus.FAILED

    await s.generation_revisions.edit(owner, generation.id, Edit(text=SECOND))
    claimed = await s.generations._job()._claim(generation.id)  # revision 2, attempt 1
    assert claimed is not None
    release.set()
    assert (await stale).action == "skipped"
    current = s.db.generation(generation.id)
    assert (current.status, current.revision, current.audio_key) == (
        GenerationStatus.PROCESSING,
        2,
        None,
    )
    assert s.storage.objects == {}  # the late worker's audio was thrown away


async def test_deleting_removes_the_audio_of_every_revision(
    s: Services, owner: User, voice: Voice
) -> None:
    first = await made(s, owner, voice)
    await s.generation_revisions.edit(owner, first.id, Edit(text=SECOND))
    await work(s)
    assert len(s.storage.objects) == 2

    await s.generations.delete(owner, first.id)

    assert s.storage.objects == {}
    assert all(r.audio_key is None for r in s.db.generation_revisions.values())
    with pytest.raises(NotFound):
        await s.generation_revisions.list_for_owner(owner, first.id)


# --- the admins' edit-and-requeue (F3) --------------------------------------------------------


async def test_an_admin_corrects_a_failed_generation_and_requeues_it(
    s: Services, owner: User, voice: Voice
) -> None:
    admin = s.add_user("admin@example.com", role=Role.ADMIN)
    s.speech["espeak"].then(refused_for_good())
    generation = await s.generations.request(owner, text=FIRST, voice_id=voice.id)
    assert await work(s) == ["failed"]

    edited = await s.generation_revisions.edit_failed(
        admin, generation.id, Edit(text=SECOND), ip="203.0.113.9"
    )

    assert (edited.status, edited.revision, edited.attempts, edited.error_code) == (
        GenerationStatus.PENDING,
        2,
        0,
        None,
    )
    assert await work(s) == ["completed"]
    assert audio_at(s, edited) == FakeSpeech.default_audio(SECOND)
    (entry,) = s.db.audit_events
    assert (entry.action, entry.actor, entry.target_id, entry.ip) == (
        "generation.edit",
        "admin@example.com",
        str(generation.id),
        "203.0.113.9",
    )
    assert entry.details["revision"] == 2


async def test_only_a_failed_generation_can_be_edited_by_an_admin(
    s: Services, owner: User, voice: Voice
) -> None:
    admin = s.add_user("admin@example.com", role=Role.ADMIN)
    first = await made(s, owner, voice)
    with pytest.raises(Conflict):
        await s.generation_revisions.edit_failed(admin, first.id, Edit(text=SECOND))
    with pytest.raises(PermissionDenied):
        await s.generation_revisions.edit_failed(owner, first.id, Edit(text=SECOND))
    with pytest.raises(NotFound):
        await s.generation_revisions.edit_failed(admin, UUID(int=1), Edit(text=SECOND))
    assert s.db.generation(first.id).revision == 1


# --- the invariants, over any sequence of edits, completions and failures ----------------------


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


TEXTS = st.sampled_from(["One.", "Two.", "Three.", "Four."])


class RevisionMachine(RuleBasedStateMachine):
    """An owner edits while workers complete, fail, retry or vanish, in any order.

    Invariants: the id and code never change; revisions are numbered 1..n without a
    gap and the generation makes the newest; the live audio is always the newest
    completed revision's, stored under its own key with its own text's audio; an
    edit while a version is being made is refused and changes nothing.
    """

    @initialize()
    def start(self) -> None:
        self.s = make_services(retry_policy=RetryPolicy(max_attempts=2, base_seconds=1))
        self.owner = self.s.add_user()
        self.voices = [self.s.add_voice("Alex"), self.s.add_voice("Bea")]
        generation = run(
            self.s.generations.request(self.owner, text="Zero.", voice_id=self.voices[0].id)
        )
        self.id, self.code = generation.id, generation.public_code
        self.s.queue.take()
        self.completed: dict[int, str] = {}  # revision -> its text, for those made
        self.texts = {1: "Zero."}

    @property
    def g(self) -> Generation:
        return self.s.db.generation(self.id)

    @rule(text=TEXTS, voice=st.integers(0, 1))
    def edit(self, text: str, voice: int) -> None:
        before = self.g
        edit = Edit(text=text, voice_id=self.voices[voice].id)
        try:
            run(self.s.generation_revisions.edit(self.owner, self.id, edit))
        except Conflict:
            assert before.is_busy
            assert self.g == before
            return
        except ValidationError as exc:
            refusal = exc.code
            assert refusal == "nothing_changed"
            assert self.g == before
            return
        assert not before.is_busy
        self.texts[before.revision + 1] = text
        self.s.queue.take()

    @precondition(lambda self: self.g.is_due(self.s.clock()))
    @rule(outcome=st.sampled_from(["speak", "busy", "refused"]))
    def worker(self, outcome: str) -> None:
        revision = self.g.revision
        if outcome == "busy":
            self.s.speech["espeak"].then(
                SpeechError("busy", category=ErrorCategory.PROVIDER, code="busy", retryable=True)
            )
        elif outcome == "refused":
            self.s.speech["espeak"].then(refused_for_good())
        action = run(self.s.generations.process(self.id)).action
        if action == "completed":
            self.completed[revision] = self.texts[revision]

    @precondition(lambda self: self.g.is_due(self.s.clock()))
    @rule()
    def worker_vanishes(self) -> None:
        run(self.s.generations._job()._claim(self.id))
        self.s.clock.advance(self.s.lease.total_seconds() + 1)
        run(self.s.generations.sweep())
        self.s.queue.take()

    @rule()
    def time_passes(self) -> None:
        self.s.clock.advance(60)

    @invariant()
    def the_code_never_changes(self) -> None:
        assert (self.g.id, self.g.public_code) == (self.id, self.code)

    @invariant()
    def revisions_are_numbered_without_gaps(self) -> None:
        numbers = [r.number for r in run(self._revisions())]
        assert numbers == list(range(self.g.revision, 0, -1))

    @invariant()
    def the_live_audio_is_the_newest_completed_revisions(self) -> None:
        g = self.g
        if not self.completed:
            assert (g.audio_key, g.live_revision) == (None, None)
            return
        newest = max(self.completed)
        assert g.live_revision == newest
        assert g.audio_key is not None
        assert self.s.storage.objects[g.audio_key].data == FakeSpeech.default_audio(
            self.completed[newest]
        )
        page = run(self.s.playback.page(self.code))
        assert page.audio_url == f"/media/{g.audio_key}"
        assert page.text == self.completed[newest]

    @invariant()
    def every_made_version_keeps_its_own_audio(self) -> None:
        for revision in run(self._revisions()):
            if revision.number in self.completed:
                assert revision.audio_key is not None
                assert self.s.storage.objects[revision.audio_key].data == (
                    FakeSpeech.default_audio(self.completed[revision.number])
                )

    async def _revisions(self) -> list[Any]:
        async with self.s.uow() as uow:
            return await uow.generation_revisions.list_for(self.id)


RevisionMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_revision_rules = RevisionMachine.TestCase
