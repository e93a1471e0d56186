"""The text filter on requests, edits and voice comparisons: blocked text is refused
before anything is written or spoken, held text waits for a moderator, flagged text
is made and the moderators are told."""

from __future__ import annotations

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.generations.revisions import Edit
from voiceqr.application.moderation.filters import TermInput
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.moderation.flags import FlagSource, ReasonCode
from voiceqr.domain.shared.errors import IllegalTransition, PermissionDenied, ValidationError
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("ann@example.com", name="Ann")


@pytest.fixture
def moderator(s: Services) -> User:
    return s.add_user("mo@example.com", name="Mo", role=Role.MODERATOR)


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


async def staff_terms(s: Services, moderator: User, *entries: TermInput) -> None:
    await s.platform.moderation.terms.replace(moderator, entries, reason="spam wave")


async def test_blocked_text_is_refused_with_nothing_written_queued_or_spoken(
    s: Services, owner: User, voice: Voice
) -> None:
    with pytest.raises(ValidationError) as refused:
        await s.generations.request(owner, text="k i l l  y o u r s e l f", voice_id=voice.id)
    assert refused.value.code == "text_not_allowed"
    assert "list" not in refused.value.message
    assert s.db.generations == {}
    assert s.db.flags == []
    assert s.queue.jobs == []
    assert s.speech["espeak"].calls == []


async def test_a_held_text_waits_for_review_and_is_not_queued(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(
        owner, text="D0uble your B1TCOIN now", voice_id=voice.id
    )
    assert generation.status is GenerationStatus.PENDING_REVIEW
    assert s.queue.jobs == []
    assert not s.db.generations[generation.id].is_due(s.clock())
    assert [(f.source, f.reason) for f in s.db.flags] == [(FlagSource.FILTER, ReasonCode.SPAM)]


async def test_a_moderator_approving_a_held_text_queues_it(
    s: Services, owner: User, moderator: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="crypto giveaway today", voice_id=voice.id)
    held = s.platform.moderation.held
    assert [m.generation_id for m in await held.waiting(moderator)] == [generation.id]
    approved = await held.approve(moderator, generation.id, reason="a real raffle")
    assert approved.status is GenerationStatus.PENDING
    assert s.queue.enqueued == [generation.id]
    assert await held.waiting(moderator) == []
    assert s.db.audit_events[-1].action == "generation.review.approve"


async def test_a_rejected_held_text_is_never_made(
    s: Services, owner: User, moderator: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="crypto giveaway today", voice_id=voice.id)
    rejected = await s.platform.moderation.held.reject(moderator, generation.id, reason="scam")
    assert rejected.status is GenerationStatus.FAILED
    assert rejected.error_code == "text_not_approved"
    assert s.queue.jobs == []
    with pytest.raises(IllegalTransition):
        await s.platform.moderation.held.approve(moderator, generation.id, reason="oops")


async def test_only_moderators_decide_on_held_texts(s: Services, owner: User, voice: Voice) -> None:
    generation = await s.generations.request(owner, text="crypto giveaway today", voice_id=voice.id)
    with pytest.raises(PermissionDenied):
        await s.platform.moderation.held.approve(owner, generation.id, reason="mine")


async def test_a_flagged_text_is_made_and_the_moderators_are_told(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="Claim your prize!", voice_id=voice.id)
    assert generation.status is GenerationStatus.PENDING
    assert s.queue.enqueued == [generation.id]
    assert [(f.source, f.generation_id) for f in s.db.flags] == [(FlagSource.FILTER, generation.id)]


async def test_ordinary_text_raises_no_flag(s: Services, owner: User, voice: Voice) -> None:
    await s.generations.request(owner, text="Welcome to a classic class act", voice_id=voice.id)
    assert s.db.flags == []


async def test_the_staffs_blocked_domain_refuses_links_to_it_and_its_subdomains(
    s: Services, owner: User, moderator: User, voice: Voice
) -> None:
    await staff_terms(s, moderator, TermInput("domain", "https://bad.example/", "block", "spam"))
    with pytest.raises(ValidationError, match="not allowed"):
        await s.generations.request(owner, text="Go to shop.BAD.example now", voice_id=voice.id)
    made = await s.generations.request(owner, text="Go to good.example", voice_id=voice.id)
    assert made.status is GenerationStatus.PENDING


async def test_an_allowed_term_overrides_the_shipped_list(
    s: Services, owner: User, moderator: User, voice: Voice
) -> None:
    await staff_terms(s, moderator, TermInput("term", "claim your prize", "allow"))
    await s.generations.request(owner, text="Claim your prize at the desk", voice_id=voice.id)
    assert s.db.flags == []


async def test_an_edit_is_screened_like_a_request(s: Services, owner: User, voice: Voice) -> None:
    generation = await s.generations.request(owner, text="Welcome", voice_id=voice.id)
    for gid in s.queue.take():
        await s.generations.process(gid)
    with pytest.raises(ValidationError, match="not allowed"):
        await s.generation_revisions.edit(owner, generation.id, Edit(text="heil hitler"))
    assert s.db.generations[generation.id].text == "Welcome"
    held = await s.generation_revisions.edit(owner, generation.id, Edit(text="send bitcoin"))
    assert held.status is GenerationStatus.PENDING_REVIEW
    assert s.queue.jobs == []


async def test_a_blocked_title_is_refused_with_nothing_written_queued_or_spoken(
    s: Services, owner: User, voice: Voice
) -> None:
    with pytest.raises(ValidationError) as refused:
        await s.generations.request(
            owner, text="Welcome", voice_id=voice.id, title="k i l l  y o u r s e l f"
        )
    assert refused.value.code == "text_not_allowed"
    assert "list" not in refused.value.message
    assert "title" in refused.value.message
    assert s.db.generations == {}
    assert s.db.flags == []
    assert s.queue.jobs == []
    assert s.speech["espeak"].calls == []


async def test_a_held_title_holds_the_request_and_a_flagged_one_flags_it(
    s: Services, owner: User, voice: Voice
) -> None:
    held = await s.generations.request(
        owner, text="Welcome", voice_id=voice.id, title="Double your bitcoin"
    )
    assert held.status is GenerationStatus.PENDING_REVIEW
    assert s.queue.jobs == []
    flagged = await s.generations.request(
        owner, text="Welcome", voice_id=voice.id, title="Claim your prize!"
    )
    assert flagged.status is GenerationStatus.PENDING
    assert [(f.source, f.generation_id) for f in s.db.flags] == [
        (FlagSource.FILTER, held.id),
        (FlagSource.FILTER, flagged.id),
    ]
    assert all(f.note.startswith("In the title: ") for f in s.db.flags)


async def test_a_renamed_title_is_screened_like_a_new_one(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="Welcome", voice_id=voice.id, title="Hi")
    for gid in s.queue.take():
        await s.generations.process(gid)
    version = s.db.generations[generation.id].version

    for edit in (Edit(title="heil hitler"), Edit(text="Welcome back", title="heil hitler")):
        with pytest.raises(ValidationError) as refused:
            await s.generation_revisions.edit(owner, generation.id, edit)
        assert refused.value.code == "text_not_allowed"
    kept = s.db.generations[generation.id]
    assert (kept.title, kept.text, kept.version) == ("Hi", "Welcome", version)
    assert s.queue.jobs == []

    # An existing generation's title shows at once: one the filter would hold is refused
    # too, alone or with a new text, and nothing is written.
    for edit in (Edit(title="Crypto giveaway"), Edit(text="Welcome back", title="send bitcoin")):
        with pytest.raises(ValidationError) as held:
            await s.generation_revisions.edit(owner, generation.id, edit)
        assert held.value.code == "title_needs_review"
    kept = s.db.generations[generation.id]
    assert (kept.title, kept.text, kept.version) == ("Hi", "Welcome", version)
    assert s.queue.jobs == []
    assert s.db.flags == []

    # A title the filter only flags is saved and put before the moderators.
    renamed = await s.generation_revisions.edit(
        owner, generation.id, Edit(title="Claim your prize!")
    )
    assert renamed.status is GenerationStatus.COMPLETED
    assert s.db.generations[generation.id].title == "Claim your prize!"
    assert [f.source for f in s.db.flags] == [FlagSource.FILTER]
    assert s.db.flags[0].note.startswith("In the title: ")


async def test_a_voice_comparison_never_speaks_blocked_or_held_text(
    s: Services, owner: User, voice: Voice
) -> None:
    other = s.add_voice("Bea")
    for text in ("kill yourself", "send bitcoin"):
        with pytest.raises(ValidationError, match="not allowed"):
            await s.platform.generations.previews.compare(
                owner, text=text, voice_ids=[voice.id, other.id]
            )
    assert s.db.voice_previews == {}


async def test_a_bad_staff_entry_changes_nothing(s: Services, moderator: User) -> None:
    await staff_terms(s, moderator, TermInput("term", "spam offer", "hold", "spam"))
    with pytest.raises(ValidationError):
        await staff_terms(
            s,
            moderator,
            TermInput("term", "ok", "block", "spam"),
            TermInput("domain", "no", "block"),
        )
    assert [t.text for t in s.db.filter_terms] == ["spam offer"]


async def test_support_cannot_edit_the_terms(s: Services) -> None:
    support = s.add_user("sue@example.com", role=Role.SUPPORT)
    with pytest.raises(PermissionDenied):
        await s.platform.moderation.terms.list_all(support)
