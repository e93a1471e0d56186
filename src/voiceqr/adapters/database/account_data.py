"""Deleting accounts: the deletions waiting or running, the printed codes retired with
their accounts, and the erasure of an account's rows, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.account_records import SqlAccountRecords
from voiceqr.adapters.database.accounts import users
from voiceqr.adapters.database.generations import generation_revisions, generations
from voiceqr.adapters.database.mail import mail_outbox
from voiceqr.adapters.database.operations import audit_events
from voiceqr.adapters.database.playback import listens, playback_events, retired_codes
from voiceqr.adapters.database.qr_designs import generation_qr_designs
from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, upsert
from voiceqr.application.account_data.ports import (
    AccountDeletionRepository,
    AccountErasure,
    AccountExportRepository,
    AccountRecords,
    Footprint,
    GenerationBatch,
)
from voiceqr.domain.account_data.deletion import AccountDeletion, DeletionStatus, DeletionStep
from voiceqr.domain.account_data.export import AccountExport, ExportStatus
from voiceqr.domain.playback.events import PlaybackEventKind

account_deletions = Table(
    "account_deletions",
    metadata,
    belongs_to("user_id", "users", primary_key=True),
    Column("requested_at", DateTimeUTC, nullable=False),
    Column("due_at", DateTimeUTC, nullable=False),
    Column("requested_by", String(254), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("step", String(20), nullable=False),
    Column("lease_expires_at", DateTimeUTC),
    # The sweep's scan: deletions by when they are due.
    Index("ix_account_deletions_due_at", "due_at"),
)

account_exports = Table(
    "account_exports",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("requested_at", DateTimeUTC, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_expires_at", DateTimeUTC),
    Column("completed_at", DateTimeUTC),
    Column("expires_at", DateTimeUTC),
    Column("size", BigInteger),
    # The sweep's scan: pending exports.
    Index("ix_account_exports_status", "status"),
)

# What the audit log calls an account once it is gone: its id is in the entry's columns.
DELETED_ACCOUNT = "deleted account"


def _deletion(row: RowMapping) -> AccountDeletion:
    values = dict(row)
    values["status"] = DeletionStatus(values["status"])
    values["step"] = DeletionStep(values["step"])
    return AccountDeletion(**values)


class SqlAccountDeletions(Repository):
    async def get(self, user_id: UUID) -> AccountDeletion | None:
        row = await self._first(
            select(account_deletions).where(account_deletions.c.user_id == user_id)
        )
        return None if row is None else _deletion(row)

    async def save(self, deletion: AccountDeletion) -> None:
        values: dict[str, Any] = {
            "user_id": deletion.user_id,
            "requested_at": deletion.requested_at,
            "due_at": deletion.due_at,
            "requested_by": deletion.requested_by,
            "reason": deletion.reason,
            "status": str(deletion.status),
            "step": str(deletion.step),
            "lease_expires_at": deletion.lease_expires_at,
        }
        changes = {k: v for k, v in values.items() if k != "user_id"}
        await self._db.execute(
            upsert(self._db, account_deletions)
            .values(values)
            .on_conflict_do_update(index_elements=["user_id"], set_=changes)
        )

    async def remove(self, user_id: UUID) -> None:
        await self._db.execute(
            delete(account_deletions).where(account_deletions.c.user_id == user_id)
        )

    async def due(self, now: datetime, *, limit: int) -> list[UUID]:
        c = account_deletions.c
        query = (
            select(c.user_id)
            .where(c.due_at <= now, or_(c.lease_expires_at.is_(None), c.lease_expires_at <= now))
            .order_by(c.due_at)
            .limit(limit)
        )
        return [row["user_id"] for row in await self._rows(query)]


def _export(row: RowMapping) -> AccountExport:
    values = dict(row)
    values["status"] = ExportStatus(values["status"])
    return AccountExport(**values)


def _export_row(export: AccountExport) -> dict[str, Any]:
    row = {c.name: getattr(export, c.name) for c in account_exports.columns}
    row["status"] = str(export.status)
    return row


class SqlAccountExports(Repository):
    async def add(self, export: AccountExport) -> None:
        await self._db.execute(account_exports.insert().values(_export_row(export)))

    async def get(self, export_id: UUID) -> AccountExport | None:
        row = await self._first(select(account_exports).where(account_exports.c.id == export_id))
        return None if row is None else _export(row)

    async def save(self, export: AccountExport) -> None:
        values = _export_row(export)
        del values["id"], values["user_id"], values["requested_at"]
        await self._db.execute(
            update(account_exports).where(account_exports.c.id == export.id).values(values)
        )

    async def list_for_user(self, user_id: UUID) -> list[AccountExport]:
        query = (
            select(account_exports)
            .where(account_exports.c.user_id == user_id)
            .order_by(account_exports.c.requested_at.desc())
        )
        return [_export(row) for row in await self._rows(query)]

    async def due(self, now: datetime, *, limit: int) -> list[UUID]:
        c = account_exports.c
        query = (
            select(c.id)
            .where(
                c.status == str(ExportStatus.PENDING),
                or_(c.lease_expires_at.is_(None), c.lease_expires_at <= now),
            )
            .order_by(c.requested_at)
            .limit(limit)
        )
        return [row["id"] for row in await self._rows(query)]


class SqlAccountErasure(Repository):
    async def footprint(self, user_id: UUID) -> Footprint:
        owned = select(generations.c.id).where(generations.c.owner_id == user_id)
        count_generations = await self._count(
            select(func.count()).select_from(generations).where(generations.c.owner_id == user_id)
        )
        audio = await self._count(
            select(func.count())
            .select_from(generation_revisions)
            .where(
                generation_revisions.c.generation_id.in_(owned),
                generation_revisions.c.audio_key.is_not(None),
            )
        )
        scans = await self._count(
            select(func.count())
            .select_from(playback_events)
            .where(
                playback_events.c.generation_id.in_(owned),
                playback_events.c.kind == str(PlaybackEventKind.SCAN),
            )
        )
        tickets = metadata.tables.get("support_tickets")
        return Footprint(
            generations=count_generations,
            audio_files=audio,
            qr_codes=count_generations,  # one printed code per generation, drawn on demand
            scans=scans,
            tickets=None if tickets is None else await self._owned_count(tickets, user_id),
        )

    async def retire_codes(self, user_id: UUID, *, now: datetime, limit: int) -> list[str]:
        query = (
            select(generations.c.public_code)
            .where(
                generations.c.owner_id == user_id,
                generations.c.public_code.not_in(select(retired_codes.c.public_code)),
            )
            .limit(limit)
        )
        codes = [row["public_code"] for row in await self._rows(query)]
        if codes:
            await self._db.execute(
                retired_codes.insert(), [{"public_code": c, "retired_at": now} for c in codes]
            )
            # Tombstoned too: until its row goes, no worker makes its audio and its page
            # answers 410 like a deleted generation's.
            await self._db.execute(
                update(generations)
                .where(generations.c.public_code.in_(codes), generations.c.deleted_at.is_(None))
                .values(deleted_at=now)
            )
        return codes

    async def next_generations(self, user_id: UUID, *, limit: int) -> GenerationBatch:
        rows = await self._rows(
            select(generations.c.id, generations.c.audio_key)
            .where(generations.c.owner_id == user_id)
            .order_by(generations.c.id)
            .limit(limit)
        )
        ids = tuple(row["id"] for row in rows)
        keys = {row["audio_key"] for row in rows if row["audio_key"]}
        if ids:
            revisions = await self._rows(
                select(generation_revisions.c.audio_key).where(
                    generation_revisions.c.generation_id.in_(ids),
                    generation_revisions.c.audio_key.is_not(None),
                )
            )
            keys.update(row["audio_key"] for row in revisions)
            # The logos of their QR designs are the owner's files too.
            logos = await self._rows(
                select(generation_qr_designs.c.logo_key).where(
                    generation_qr_designs.c.generation_id.in_(ids),
                    generation_qr_designs.c.logo_key.is_not(None),
                )
            )
            keys.update(row["logo_key"] for row in logos)
        return GenerationBatch(generation_ids=ids, storage_keys=tuple(sorted(keys)))

    async def delete_generations(self, generation_ids: Sequence[UUID]) -> None:
        ids = list(generation_ids)
        # The scans and listens first, in their own statements: the largest tables,
        # named so the planner uses their indexes rather than one cascade per row.
        await self._db.execute(
            delete(playback_events).where(playback_events.c.generation_id.in_(ids))
        )
        await self._db.execute(delete(listens).where(listens.c.generation_id.in_(ids)))
        await self._db.execute(delete(generations).where(generations.c.id.in_(ids)))

    async def delete_account(self, user_id: UUID) -> None:
        email = (
            await self._db.execute(select(users.c.email).where(users.c.id == user_id))
        ).scalar_one_or_none()
        if email is None:
            return
        # The log keeps what was done and the account's id, not who it was.
        await self._db.execute(
            update(audit_events)
            .where(audit_events.c.actor_id == user_id)
            .values(actor=DELETED_ACCOUNT, actor_id=None, ip="")
        )
        await self._db.execute(delete(mail_outbox).where(mail_outbox.c.to == email))
        # Every other row of the account belongs to it (ON DELETE CASCADE).
        await self._db.execute(delete(users).where(users.c.id == user_id))

    async def _count(self, query: Any) -> int:
        return int((await self._db.execute(query)).scalar_one())

    async def _owned_count(self, table: Table, user_id: UUID) -> int:
        column = table.c.get("user_id", table.c.get("owner_id"))
        if column is None:
            return 0
        return await self._count(select(func.count()).select_from(table).where(column == user_id))


class AccountDataPart(Part):
    """Exporting and deleting accounts: its share of the unit of work."""

    account_deletions: AccountDeletionRepository
    account_erasure: AccountErasure
    account_exports: AccountExportRepository
    account_records: AccountRecords

    def attach(self, connection: AsyncConnection) -> None:
        self.account_deletions = SqlAccountDeletions(connection)
        self.account_erasure = SqlAccountErasure(connection)
        self.account_exports = SqlAccountExports(connection)
        self.account_records = SqlAccountRecords(connection)
        super().attach(connection)
