"""Repositories of the account tables: tokens, login activity, 2FA, API keys, social, mail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from voiceqr.adapters.database import tables as t
from voiceqr.adapters.database.repositories import Repository
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey, Scope
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.shared.errors import Conflict


class SqlAccountTokens(Repository):
    async def add(self, token: AccountToken) -> None:
        row = asdict(token)
        row["purpose"] = str(token.purpose)
        await self._db.execute(insert(t.account_tokens).values(row))

    async def get_by_hash(self, token_hash: str) -> AccountToken | None:
        row = (
            await self._db.execute(
                select(t.account_tokens).where(t.account_tokens.c.token_hash == token_hash)
            )
        ).first()
        if row is None:
            return None
        values = dict(row._mapping)
        values["purpose"] = TokenPurpose(values["purpose"])
        return AccountToken(**values)

    async def mark_used(self, token_id: UUID, *, at: datetime) -> bool:
        c = t.account_tokens.c
        result = await self._db.execute(
            update(t.account_tokens).where(c.id == token_id, c.used_at.is_(None)).values(used_at=at)
        )
        return result.rowcount == 1

    async def void(self, user_id: UUID, purpose: TokenPurpose, *, at: datetime) -> None:
        c = t.account_tokens.c
        await self._db.execute(
            update(t.account_tokens)
            .where(c.user_id == user_id, c.purpose == str(purpose), c.used_at.is_(None))
            .values(used_at=at)
        )


class SqlLoginEvents(Repository):
    async def add(self, event: LoginEvent) -> None:
        await self._db.execute(insert(t.login_events).values(asdict(event)))

    async def count_failures(self, *, user_id: UUID, since: datetime) -> int:
        c = t.login_events.c
        query = (
            select(func.count())
            .select_from(t.login_events)
            .where(c.user_id == user_id, c.success.is_(False), c.occurred_at >= since)
        )
        return int((await self._db.execute(query)).scalar_one())

    async def list_for_user(self, user_id: UUID, *, limit: int) -> list[LoginEvent]:
        c = t.login_events.c
        rows = await self._db.execute(
            select(t.login_events)
            .where(c.user_id == user_id)
            .order_by(c.occurred_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [LoginEvent(**row._mapping) for row in rows]

    async def delete_before(self, cutoff: datetime) -> int:
        result = await self._db.execute(
            delete(t.login_events).where(t.login_events.c.occurred_at < cutoff)
        )
        return int(result.rowcount)


class SqlRecoveryCodes(Repository):
    async def replace(self, user_id: UUID, codes: Sequence[RecoveryCode]) -> None:
        await self._db.execute(
            delete(t.recovery_codes).where(t.recovery_codes.c.user_id == user_id)
        )
        if codes:
            await self._db.execute(insert(t.recovery_codes), [asdict(code) for code in codes])

    async def list_unused(self, user_id: UUID) -> list[RecoveryCode]:
        c = t.recovery_codes.c
        rows = await self._db.execute(
            select(t.recovery_codes).where(c.user_id == user_id, c.used_at.is_(None))
        )
        return [RecoveryCode(**row._mapping) for row in rows]

    async def mark_used(self, code_id: UUID, *, at: datetime) -> bool:
        c = t.recovery_codes.c
        result = await self._db.execute(
            update(t.recovery_codes).where(c.id == code_id, c.used_at.is_(None)).values(used_at=at)
        )
        return result.rowcount == 1


def _api_key(row: RowMapping) -> ApiKey:
    values = dict(row)
    values["scopes"] = frozenset(Scope(s) for s in values["scopes"])
    return ApiKey(**values)


def _api_key_row(key: ApiKey) -> dict[str, Any]:
    row = {c.name: getattr(key, c.name) for c in t.api_keys.columns}
    row["scopes"] = sorted(str(s) for s in key.scopes)
    return row


class SqlApiKeys(Repository):
    async def add(self, key: ApiKey) -> None:
        await self._db.execute(insert(t.api_keys).values(_api_key_row(key)))

    async def get_owned(self, key_id: UUID, user_id: UUID) -> ApiKey | None:
        c = t.api_keys.c
        row = (
            await self._db.execute(select(t.api_keys).where(c.id == key_id, c.user_id == user_id))
        ).first()
        return None if row is None else _api_key(row._mapping)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        row = (
            await self._db.execute(select(t.api_keys).where(t.api_keys.c.prefix == prefix))
        ).first()
        return None if row is None else _api_key(row._mapping)

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        c = t.api_keys.c
        rows = await self._db.execute(
            select(t.api_keys).where(c.user_id == user_id).order_by(c.created_at.desc())
        )
        return [_api_key(row._mapping) for row in rows]

    async def update(self, key: ApiKey) -> None:
        values = _api_key_row(key)
        del values["id"], values["user_id"], values["created_at"]
        await self._db.execute(update(t.api_keys).where(t.api_keys.c.id == key.id).values(values))

    async def touch(self, key_id: UUID, *, at: datetime) -> None:
        c = t.api_keys.c
        await self._db.execute(
            update(t.api_keys).where(c.id == key_id, c.revoked_at.is_(None)).values(last_used_at=at)
        )


class SqlSocialIdentities(Repository):
    async def add(self, identity: SocialIdentity) -> None:
        try:
            async with self._db.begin_nested():
                await self._db.execute(insert(t.social_identities).values(asdict(identity)))
        except IntegrityError:
            raise Conflict(
                "This account at the provider is linked already.", code="identity_linked"
            ) from None

    async def get(self, provider: str, subject: str) -> SocialIdentity | None:
        c = t.social_identities.c
        row = (
            await self._db.execute(
                select(t.social_identities).where(c.provider == provider, c.subject == subject)
            )
        ).first()
        return None if row is None else SocialIdentity(**row._mapping)

    async def list_for_user(self, user_id: UUID) -> list[SocialIdentity]:
        c = t.social_identities.c
        rows = await self._db.execute(
            select(t.social_identities).where(c.user_id == user_id).order_by(c.created_at)
        )
        return [SocialIdentity(**row._mapping) for row in rows]


def _outbox_message(row: RowMapping) -> OutboxMessage:
    values = dict(row)
    values["status"] = OutboxStatus(values["status"])
    return OutboxMessage(**values)


def _outbox_row(message: OutboxMessage) -> dict[str, Any]:
    row = asdict(message)
    row["status"] = str(message.status)
    return row


class SqlMailOutbox(Repository):
    async def add(self, message: OutboxMessage) -> None:
        await self._db.execute(insert(t.mail_outbox).values(_outbox_row(message)))

    async def due(self, *, now: datetime, limit: int) -> list[OutboxMessage]:
        c = t.mail_outbox.c
        rows = await self._db.execute(
            select(t.mail_outbox)
            .where(c.status == str(OutboxStatus.PENDING), c.next_attempt_at <= now)
            .order_by(c.next_attempt_at)
            .limit(limit)
        )
        return [_outbox_message(row._mapping) for row in rows]

    async def claim(self, message_id: UUID, *, seen_due_at: datetime, until: datetime) -> bool:
        c = t.mail_outbox.c
        result = await self._db.execute(
            update(t.mail_outbox)
            .where(
                c.id == message_id,
                c.status == str(OutboxStatus.PENDING),
                c.next_attempt_at == seen_due_at,
            )
            .values(next_attempt_at=until)
        )
        return result.rowcount == 1

    async def update(self, message: OutboxMessage) -> None:
        values = _outbox_row(message)
        del values["id"], values["created_at"]
        await self._db.execute(
            update(t.mail_outbox).where(t.mail_outbox.c.id == message.id).values(values)
        )

    async def list(self, *, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
        c = t.mail_outbox.c
        query = select(t.mail_outbox).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(c.status == str(status))
        return [_outbox_message(row._mapping) for row in await self._db.execute(query)]
