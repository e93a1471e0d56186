"""Flags on fakes: staff flag by hand; filters and rules flag inside the transaction of
the generation they are about, and the flag is saved only with it."""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.moderation.cases import ModerationState
from voiceqr.domain.moderation.flags import FlagSource, ReasonCode
from voiceqr.domain.shared.errors import NotFound, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("ann@example.com", name="Ann")


@pytest.fixture
def moderator(s: Services) -> User:
    return s.add_user("mo@example.com", name="Mo", role=Role.MODERATOR)


async def a_generation(s: Services, owner: User, text: str = "Welcome to room 4") -> Generation:
    voice = s.add_voice("Alex")
    return await s.generations.request(owner, text=text, voice_id=voice.id)


async def test_a_rule_flag_is_saved_with_the_generations_transaction(
    s: Services, owner: User
) -> None:
    generation = await a_generation(s, owner)
    rule = uuid7()
    flags = s.platform.moderation.flags
    async with s.uow() as uow:
        flag = await flags.flag_automatically(
            uow, generation.id, FlagSource.RULE, ReasonCode.SPAM, rule_id=rule, note="5 in 1 min"
        )
        await uow.commit()
    assert [(f.id, f.rule_id, f.source) for f in s.db.flags] == [(flag.id, rule, FlagSource.RULE)]
    case = s.db.moderation_cases[generation.id]
    assert case.state is ModerationState.FLAGGED
    assert case.waiting


async def test_an_automatic_flag_goes_when_the_generations_transaction_is_rolled_back(
    s: Services, owner: User
) -> None:
    generation = await a_generation(s, owner)
    async with s.uow() as uow:
        await s.platform.moderation.flags.flag_automatically(
            uow, generation.id, FlagSource.FILTER, ReasonCode.HATE
        )
    assert s.db.flags == []
    assert s.db.moderation_cases == {}


async def test_an_automatic_flag_names_its_rule_only_when_a_rule_raised_it(
    s: Services, owner: User
) -> None:
    generation = await a_generation(s, owner)
    flags = s.platform.moderation.flags
    async with s.uow() as uow:
        with pytest.raises(ValidationError):
            await flags.flag_automatically(uow, generation.id, FlagSource.RULE, ReasonCode.SPAM)
        with pytest.raises(ValidationError):
            await flags.flag_automatically(
                uow, generation.id, FlagSource.FILTER, ReasonCode.SPAM, rule_id=uuid7()
            )
        with pytest.raises(ValidationError):
            await flags.flag_automatically(uow, generation.id, FlagSource.STAFF, ReasonCode.SPAM)
        with pytest.raises(NotFound):
            await flags.flag_automatically(uow, uuid7(), FlagSource.FILTER, ReasonCode.SPAM)


async def test_a_moderator_flags_a_generation_and_the_audit_log_says_why(
    s: Services, owner: User, moderator: User
) -> None:
    generation = await a_generation(s, owner)
    await s.platform.moderation.flags.flag(
        moderator, generation.id, ReasonCode.PERSONAL_DATA, note="a phone number"
    )
    (flag,) = s.db.flags
    assert (flag.source, flag.created_by, flag.note) == (
        FlagSource.STAFF,
        moderator.id,
        "a phone number",
    )
    assert [e.action for e in s.db.audit_events] == ["moderation.flag"]


async def test_a_plain_user_or_support_cannot_flag(s: Services, owner: User) -> None:
    generation = await a_generation(s, owner)
    helper = s.add_user("help@example.com", role=Role.SUPPORT)
    for who in (owner, helper):
        with pytest.raises(PermissionDenied):
            await s.platform.moderation.flags.flag(who, generation.id, ReasonCode.SPAM)
    assert s.db.flags == []


async def test_flagging_an_unknown_generation_is_not_found(s: Services, moderator: User) -> None:
    with pytest.raises(NotFound):
        await s.platform.moderation.flags.flag(moderator, UUID(int=7), ReasonCode.SPAM)
