"""The moderation history on fakes: decisions on the owner's timeline, the public
transparency counts, every generation searched by moderators, claims and notes."""

from __future__ import annotations

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.moderation.decisions import DecisionRequest
from voiceqr.application.moderation.ports import CatalogueFilter
from voiceqr.application.playback.playback import Visit
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.moderation.cases import DecisionKind
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.shared.errors import IllegalTransition, PermissionDenied, ValidationError

PHONE = Visit(address="203.0.113.7", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)")
SPAM = DecisionRequest(DecisionKind.QUARANTINE, "Pill spam", ReasonCode.SPAM)


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("ann@example.com", name="Ann")


@pytest.fixture
def moderator(s: Services) -> User:
    return s.add_user("mo@example.com", name="Mo", role=Role.MODERATOR)


async def made(s: Services, owner: User, text: str) -> Generation:
    voice = s.add_voice("Alex")
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    await s.generations.process(generation.id)
    return s.db.generation(generation.id)


async def test_a_decision_shows_on_the_owners_timeline_with_who_and_why(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner, "Buy cheap pills")
    await s.platform.moderation.decisions.decide(moderator, generation.id, SPAM)
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    timeline = await s.platform.accounts.timeline.page(admin, owner.id, kinds=["moderation"])
    (entry,) = timeline.items
    assert entry.what == "Moderation: quarantined (spam or scam)"
    assert "Pill spam · by Mo" in entry.detail


async def test_transparency_counts_decisions_per_month_and_category(
    s: Services, owner: User, moderator: User
) -> None:
    for text in ("one", "two"):
        generation = await made(s, owner, text)
        await s.platform.moderation.decisions.decide(moderator, generation.id, SPAM)
    (count,) = await s.platform.moderation.transparency.per_month()
    assert (count.kind, count.reason_code, count.count) == (
        DecisionKind.QUARANTINE,
        ReasonCode.SPAM,
        2,
    )
    assert count.month == s.clock().date().replace(day=1)


async def test_moderators_search_every_owners_generations(
    s: Services, owner: User, moderator: User
) -> None:
    bob = s.add_user("bob@example.com", name="Bob")
    pills = await made(s, owner, "Buy cheap pills")
    garden = await made(s, bob, "Welcome to the garden")
    await s.platform.moderation.reports.report(garden.public_code, ReasonCode.SPAM, visit=PHONE)
    catalogue = s.platform.moderation.queue.catalogue

    async def ids(which: CatalogueFilter) -> list[object]:
        return [e.generation.id for e in (await catalogue(moderator, which)).entries]

    assert await ids(CatalogueFilter(text="chea")) == [pills.id]
    assert await ids(CatalogueFilter(owner="BOB")) == [garden.id]
    assert await ids(CatalogueFilter(reported=True)) == [garden.id]
    assert set(await ids(CatalogueFilter())) == {pills.id, garden.id}
    first = await catalogue(moderator, CatalogueFilter(), limit=1)
    rest = await catalogue(moderator, CatalogueFilter(), cursor=first.next_cursor, limit=1)
    assert first.entries[0].generation.id != rest.entries[0].generation.id
    with pytest.raises(PermissionDenied):
        await catalogue(owner, CatalogueFilter())
    with pytest.raises(ValidationError):
        await catalogue(moderator, CatalogueFilter(text="x " * 200))


async def test_a_claimed_item_is_marked_and_notes_are_kept_and_audited(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await made(s, owner, "Call 555 0100")
    other = s.add_user("mo2@example.com", role=Role.MODERATOR)
    queue = s.platform.moderation.queue
    with pytest.raises(ValidationError):
        await queue.claim(moderator, generation.id)  # not in the queue
    await s.platform.moderation.reports.report(
        generation.public_code, ReasonCode.PERSONAL_DATA, visit=PHONE
    )
    await queue.claim(moderator, generation.id)
    with pytest.raises(IllegalTransition):
        await queue.claim(other, generation.id)
    await queue.note(moderator, generation.id, "Checking whose number it is")
    with pytest.raises(ValidationError):
        await queue.note(moderator, generation.id, "   ")
    view = await queue.item(moderator, generation.id)
    assert view.claimed_by == "Mo"
    assert [n.body for n in view.notes] == ["Checking whose number it is"]
    await queue.unclaim(moderator, generation.id)
    assert (await queue.item(other, generation.id)).claimed_by is None
    assert [e.action for e in s.db.audit_events] == [
        "moderation.claim",
        "moderation.note",
        "moderation.unclaim",
    ]
