"""The terms and privacy versions and their acceptances in SQL, the same on SQLite and
PostgreSQL: versions come back as published (dates, hash, flags), one number per kind
and version, each user's latest version per kind, counts per version, and the
acceptances go with the account."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.compliance.documents import (
    AcceptanceWay,
    DocumentKind,
    LegalDocument,
    accepted,
    publish,
)
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7

NOW = datetime(2031, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
TODAY = NOW.date()
TERMS, PRIVACY = DocumentKind.TERMS, DocumentKind.PRIVACY


async def add_user(uows: SqlUnitOfWorkFactory, email: str) -> User:
    user = User(
        id=uuid7(), email=email, name="Ada", password_hash=None, role=Role.USER, created_at=NOW
    )
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


def next_version(
    earlier: list[LegalDocument], kind: DocumentKind = TERMS, *, on: date = TODAY
) -> LegalDocument:
    return publish(
        kind,
        text=f"# {kind}\n\nTake {len(earlier) + 1}: be kind. Ünïcode too.",
        summary="Clearer words",
        effective_on=on,
        material=len(earlier) % 2 == 0,
        earlier=earlier,
        today=TODAY,
        now=NOW,
        published_by="cli",
    )


async def test_versions_come_back_as_published_and_a_number_is_taken_once(
    uows: SqlUnitOfWorkFactory,
) -> None:
    first = next_version([])
    second = next_version([first], on=TODAY + timedelta(days=30))
    privacy = next_version([], PRIVACY)
    async with uows() as uow:
        for document in (second, privacy, first):
            await uow.legal_documents.add(document)
        await uow.commit()
    async with uows() as uow:
        assert await uow.legal_documents.versions(TERMS) == [first, second]
        assert await uow.legal_documents.all() == [privacy, first, second]
        clash = next_version([first])  # version 2 again, as a second admin would make it
        with pytest.raises(Conflict):
            await uow.legal_documents.add(clash)
        # The refusal leaves the transaction usable (PostgreSQL aborts it otherwise).
        assert len(await uow.legal_documents.versions(TERMS)) == 2


async def test_each_users_latest_version_and_the_counts_per_version(
    uows: SqlUnitOfWorkFactory,
) -> None:
    first = next_version([])
    second = next_version([first])
    ann = await add_user(uows, f"ann-{uuid7().hex}@example.com")
    bob = await add_user(uows, f"bob-{uuid7().hex}@example.com")
    async with uows() as uow:
        await uow.legal_documents.add(first)
        await uow.legal_documents.add(second)
        await uow.legal_acceptances.add(accepted(ann.id, first, AcceptanceWay.SIGNUP, NOW))
        later = NOW + timedelta(days=1)
        await uow.legal_acceptances.add(accepted(ann.id, second, AcceptanceWay.REACCEPTANCE, later))
        await uow.legal_acceptances.add(accepted(bob.id, first, AcceptanceWay.SOCIAL_SIGNUP, NOW))
        await uow.commit()
    async with uows() as uow:
        assert await uow.legal_acceptances.latest_versions(ann.id) == {TERMS: 2}
        assert await uow.legal_acceptances.latest_versions(bob.id) == {TERMS: 1}
        assert await uow.legal_acceptances.counts() == {(TERMS, 1): 2, (TERMS, 2): 1}
        mine = await uow.legal_acceptances.of_user(ann.id)
        assert [(a.version, a.how, a.accepted_at) for a in mine] == [
            (1, AcceptanceWay.SIGNUP, NOW),
            (2, AcceptanceWay.REACCEPTANCE, NOW + timedelta(days=1)),
        ]
        newest = await uow.legal_acceptances.accepted_before(ann.id, before=NOW, limit=5)
        assert [a.version for a in newest] == [1]


async def test_the_acceptances_go_with_the_account(uows: SqlUnitOfWorkFactory) -> None:
    first = next_version([])
    ann = await add_user(uows, f"ann-{uuid7().hex}@example.com")
    async with uows() as uow:
        await uow.legal_documents.add(first)
        await uow.legal_acceptances.add(accepted(ann.id, first, AcceptanceWay.SIGNUP, NOW))
        await uow.commit()
    async with uows() as uow:
        await uow.account_erasure.delete_account(ann.id)
        await uow.commit()
    async with uows() as uow:
        assert await uow.legal_acceptances.of_user(ann.id) == []
        assert await uow.legal_acceptances.counts() == {}
        assert await uow.legal_documents.versions(TERMS) == [first]  # the text stays
