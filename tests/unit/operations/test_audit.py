"""The audit log of admin actions (O11) on fakes: what writes an entry, that the entry
is saved with the change or not at all, and how admins read it."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from tests.unit.fakes import START, Services, make_services
from voiceqr.application.shared.audit import record
from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.authz import OPERATOR, Actor
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.operations.audit import AuditEvent
from voiceqr.domain.shared.errors import (
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("root@example.com", role=Role.ADMIN)


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


def entries(s: Services, action: str | None = None) -> list[AuditEvent]:
    return [e for e in s.db.audit_events if action is None or e.action == action]


async def failed_generation(s: Services, owner: User, voice: Voice) -> UUID:
    s.speech["espeak"].then(
        SpeechError(
            "No characters left.",
            category=ErrorCategory.QUOTA,
            code="quota_exceeded",
            retryable=False,
        )
    )
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)
    await s.generations.process(generation.id)
    assert s.db.generation(generation.id).status is GenerationStatus.FAILED
    return generation.id


# --- what is recorded ---------------------------------------------------------------------


async def test_an_admin_retry_records_who_what_which_when_and_from_where(
    s: Services, admin: User, owner: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)

    await s.generation_failures.retry(admin, generation_id, ip="203.0.113.7")

    [entry] = entries(s)
    assert entry.action == "generation.retry"
    assert (entry.actor_id, entry.actor) == (admin.id, "root@example.com")
    assert (entry.target_type, entry.target_id) == ("generation", str(generation_id))
    assert entry.occurred_at == s.clock()
    assert entry.ip == "203.0.113.7"
    assert entry.details == {"owner_id": str(owner.id), "failure": "quota/quota_exceeded"}


async def test_an_operator_at_the_terminal_is_recorded_as_cli(
    s: Services, owner: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)

    report = await s.generation_failures.retry_many(OPERATOR, [generation_id, generation_id])

    assert report.retried == [generation_id]
    [entry] = entries(s)
    assert (entry.actor_id, entry.actor, entry.ip) == (None, "cli", "")


async def test_a_refused_retry_records_nothing(
    s: Services, admin: User, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)

    report = await s.generation_failures.retry_many(admin, [generation.id])

    assert generation.id in report.skipped
    assert entries(s) == []


async def test_a_cancel_and_its_entry_are_saved_together_or_not_at_all(
    s: Services, admin: User, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)
    s.uow.fail_commits = 1

    with pytest.raises(ConnectionError):
        await s.generation_failures.cancel(admin, generation.id, ip="198.51.100.1")
    assert entries(s) == []
    assert s.db.generation(generation.id).status is GenerationStatus.PENDING

    await s.generation_failures.cancel(admin, generation.id, ip="198.51.100.1")
    [entry] = entries(s, "generation.cancel")
    assert entry.target_id == str(generation.id)


async def test_voice_changes_by_admins_are_recorded(s: Services, admin: User) -> None:
    voice = await s.voices.create(admin, VoiceSpec("Nora", "en-gb"), ip="192.0.2.5")
    await s.voices.update(admin, voice.id, {"published": False, "priority": 3})
    await s.voices.delete(admin, voice.id)

    assert [e.action for e in entries(s)] == ["voice.create", "voice.update", "voice.delete"]
    assert all(e.target_id == str(voice.id) for e in entries(s))
    assert entries(s)[0].ip == "192.0.2.5"
    assert entries(s)[1].details == {"fields": ["priority", "published"]}
    assert entries(s)[2].details == {"name": "Nora"}


async def test_a_refused_voice_change_records_nothing(s: Services, admin: User) -> None:
    with pytest.raises(NotFound):
        await s.voices.delete(admin, UUID(int=1))
    with pytest.raises(PermissionDenied):
        await s.voices.create(s.add_user("ann@example.com"), VoiceSpec("Nora", "en-gb"))
    assert entries(s) == []


async def test_operator_account_actions_are_recorded(s: Services, owner: User) -> None:
    unverified = s.add_user("new@example.com", verified=False)

    staff, why = s.platform.accounts.staff, "asked on a ticket"
    await staff.set_status(OPERATOR, owner.id, UserStatus.DISABLED, reason=why)
    await staff.set_status(OPERATOR, owner.id, UserStatus.ACTIVE, reason=why)
    await staff.lock(OPERATOR, owner.id, until=s.clock() + timedelta(hours=1), reason=why)
    await staff.unlock(OPERATOR, owner.id, reason=why)
    await staff.verify_email(OPERATOR, unverified.id, reason=why)
    with pytest.raises(ValidationError):  # already verified: nothing changes
        await staff.verify_email(OPERATOR, unverified.id, reason=why)

    assert [(e.action, e.target_id, e.actor) for e in entries(s)] == [
        ("user.disable", str(owner.id), "cli"),
        ("user.enable", str(owner.id), "cli"),
        ("user.lock", str(owner.id), "cli"),
        ("user.unlock", str(owner.id), "cli"),
        ("user.verify", str(unverified.id), "cli"),
    ]
    assert entries(s)[0].details == {"email": owner.email, "reason": "asked on a ticket"}
    assert entries(s)[2].details["locked_until"] == (s.clock() + timedelta(hours=1)).isoformat()


async def test_an_account_that_does_not_exist_records_nothing(s: Services) -> None:
    with pytest.raises(NotFound):
        await s.platform.accounts.staff.set_status(
            OPERATOR, UUID(int=1), UserStatus.DISABLED, reason="asked on a ticket"
        )
    assert entries(s) == []


async def test_an_action_must_be_a_dotted_name(s: Services, admin: User) -> None:
    async with s.uow() as uow:
        with pytest.raises(ValidationError):
            await record(uow, admin, "Retry!", target=("generation", "x"), now=s.clock())


# --- reading the log ----------------------------------------------------------------------


async def write(s: Services, actor: Actor, action: str, count: int) -> None:
    async with s.uow() as uow:
        for i in range(count):
            await record(uow, actor, action, target=("thing", str(i)), now=s.clock())
            s.clock.advance(seconds=1)
        await uow.commit()


async def test_the_log_pages_newest_first_without_repeats(s: Services, admin: User) -> None:
    await write(s, admin, "generation.retry", 5)
    first = await s.audit.page(admin, limit=2)
    await write(s, admin, "generation.retry", 1)  # written meanwhile: never on older pages
    assert first.next_cursor is not None
    second = await s.audit.page(admin, limit=2, cursor=first.next_cursor)
    assert second.next_cursor is not None
    third = await s.audit.page(admin, limit=2, cursor=second.next_cursor)

    seen = [e.target_id for e in first.items + second.items + third.items]
    assert seen == ["4", "3", "2", "1", "0"]
    assert third.next_cursor is None


async def test_the_log_filters_by_action_prefix_and_actor(s: Services, admin: User) -> None:
    await write(s, admin, "generation.retry", 2)
    await write(s, admin, "generation.cancel", 1)
    await write(s, OPERATOR, "user.lock", 1)
    await write(s, admin, "generations.other", 1)  # not under "generation"

    async def actions(action: str | None = None, actor: str | None = None) -> list[str]:
        page = await s.audit.page(admin, action=action, actor=actor)
        return [e.action for e in page.items]

    assert await actions(action="generation") == [
        "generation.cancel",
        "generation.retry",
        "generation.retry",
    ]
    assert await actions(action="generation.retry") == ["generation.retry"] * 2
    assert await actions(actor="cli") == ["user.lock"]
    assert await actions(actor="ROOT@example.com", action="user") == []


async def test_only_admins_read_the_log_and_bad_filters_are_refused(
    s: Services, admin: User, owner: User
) -> None:
    with pytest.raises(PermissionDenied):
        await s.audit.page(owner)
    with pytest.raises(ValidationError):
        await s.audit.page(admin, action="generation.%")
    with pytest.raises(ValidationError):
        await s.audit.page(admin, limit=0)
    with pytest.raises(ValidationError):
        await s.audit.page(admin, cursor="not-a-cursor")


def test_the_details_read_as_words_not_as_python() -> None:
    event = AuditEvent(
        id=uuid7(),
        occurred_at=START,
        actor_id=None,
        actor="cli",
        action="voice.update",
        target_type="voice",
        target_id="v1",
        details={
            "fields": ["published", "name"],
            "reason_given": "typo",
            "was_public": False,
            "limits": {"per_day": 20},
            "note": None,
        },
    )

    assert event.details_in_words == (
        "fields: published, name; reason given: typo; was public: no; "
        "limits: per_day 20; note: none"
    )
    assert "[" not in event.details_in_words
    assert "'" not in event.details_in_words
