"""The fake store of account deletions, and an erasure that removes what the database's
cascades would."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.account_data.ports import (
    AccountDeletionRepository,
    AccountErasure,
    AccountExportRepository,
    AccountRecord,
    AccountRecords,
    ArchivedAudio,
    Footprint,
    GenerationBatch,
)
from voiceqr.domain.account_data.deletion import AccountDeletion
from voiceqr.domain.account_data.export import AccountExport, ExportStatus
from voiceqr.domain.playback.events import PlaybackEventKind


class FakeAccountDeletions(Table):
    async def get(self, user_id: UUID) -> AccountDeletion | None:
        return copy.deepcopy(self._db.account_deletions.get(user_id))

    async def save(self, deletion: AccountDeletion) -> None:
        self._db.account_deletions[deletion.user_id] = copy.deepcopy(deletion)
        self._wrote()

    async def remove(self, user_id: UUID) -> None:
        if self._db.account_deletions.pop(user_id, None) is not None:
            self._wrote()

    async def due(self, now: datetime, *, limit: int) -> list[UUID]:
        due = [
            d
            for d in self._db.account_deletions.values()
            if d.due_at <= now and (d.lease_expires_at is None or d.lease_expires_at <= now)
        ]
        due.sort(key=lambda d: d.due_at)
        return [d.user_id for d in due[:limit]]


class FakeAccountErasure(Table):
    async def footprint(self, user_id: UUID) -> Footprint:
        owned = self._owned(user_id)
        return Footprint(
            generations=len(owned),
            audio_files=sum(
                1
                for r in self._db.generation_revisions.values()
                if r.generation_id in owned and r.audio_key is not None
            ),
            qr_codes=len(owned),
            scans=sum(
                1
                for e in self._db.playback_events
                if e.event.generation_id in owned and e.event.kind is PlaybackEventKind.SCAN
            ),
            tickets=None,
        )

    async def retire_codes(self, user_id: UUID, *, now: datetime, limit: int) -> list[str]:
        codes = [
            g.public_code
            for g in self._db.generations.values()
            if g.owner_id == user_id and g.public_code not in self._db.retired_codes
        ][:limit]
        for code in codes:
            self._db.retired_codes[code] = now
        for generation in self._db.generations.values():
            if generation.public_code in codes and generation.deleted_at is None:
                generation.deleted_at = now
        if codes:
            self._wrote()
        return codes

    async def next_generations(self, user_id: UUID, *, limit: int) -> GenerationBatch:
        ids = tuple(sorted(self._owned(user_id)))[:limit]
        keys = {g.audio_key for i in ids if (g := self._db.generations[i]).audio_key}
        keys.update(
            r.audio_key
            for r in self._db.generation_revisions.values()
            if r.generation_id in ids and r.audio_key
        )
        keys.update(
            d.logo_key for i, d in self._db.generation_qr_designs.items() if i in ids and d.logo_key
        )
        return GenerationBatch(generation_ids=ids, storage_keys=tuple(sorted(k for k in keys if k)))

    async def delete_generations(self, generation_ids: Sequence[UUID]) -> None:
        ids = set(generation_ids)
        db = self._db
        for table in (db.generation_revisions, db.generation_attempts, db.listens):
            for key in [k for k, row in table.items() if row.generation_id in ids]:
                del table[key]
        db.playback_events = [e for e in db.playback_events if e.event.generation_id not in ids]
        for generation_id in ids:
            db.generations.pop(generation_id, None)
            db.generation_folders.pop(generation_id, None)
            db.generation_qr_designs.pop(generation_id, None)
        db.generation_tags = {(g, t) for g, t in db.generation_tags if g not in ids}
        self._wrote()

    async def delete_account(self, user_id: UUID) -> None:
        db = self._db
        user = db.users.pop(user_id, None)
        if user is None:
            return
        for table in (
            db.account_tokens,
            db.recovery_codes,
            db.api_keys,
            db.social_identities,
        ):
            for key in [k for k, row in table.items() if row.user_id == user_id]:
                del table[key]
        db.login_events = [e for e in db.login_events if e.user_id != user_id]
        db.legal_acceptances = [a for a in db.legal_acceptances if a.user_id != user_id]
        db.preferences.pop(user_id, None)
        db.notification_settings.pop(user_id, None)
        for table in (db.notices, db.mail_digest):
            for key in [k for k, row in table.items() if row.user_id == user_id]:
                del table[key]
        for labels in (db.folders, db.tags):
            for key in [k for k, label in labels.items() if label.owner_id == user_id]:
                del labels[key]
        for key in [k for k, m in db.outbox.items() if m.to == user.email]:
            del db.outbox[key]
        db.audit_events = [
            dataclasses.replace(e, actor_id=None, actor="deleted account", ip="")
            if e.actor_id == user_id
            else e
            for e in db.audit_events
        ]
        db.account_deletions.pop(user_id, None)
        for key in [k for k, e in db.account_exports.items() if e.user_id == user_id]:
            del db.account_exports[key]
        self._wrote()

    def _owned(self, user_id: UUID) -> set[UUID]:
        return {g.id for g in self._db.generations.values() if g.owner_id == user_id}


class FakeAccountExports(Table):
    async def add(self, export: AccountExport) -> None:
        self._db.account_exports[export.id] = copy.deepcopy(export)
        self._wrote()

    async def get(self, export_id: UUID) -> AccountExport | None:
        return copy.deepcopy(self._db.account_exports.get(export_id))

    async def save(self, export: AccountExport) -> None:
        if export.id in self._db.account_exports:
            self._db.account_exports[export.id] = copy.deepcopy(export)
            self._wrote()

    async def list_for_user(self, user_id: UUID) -> list[AccountExport]:
        mine = [e for e in self._db.account_exports.values() if e.user_id == user_id]
        return copy.deepcopy(sorted(mine, key=lambda e: e.requested_at, reverse=True))

    async def due(self, now: datetime, *, limit: int) -> list[UUID]:
        return [
            e.id
            for e in self._db.account_exports.values()
            if e.status is ExportStatus.PENDING
            and (e.lease_expires_at is None or e.lease_expires_at <= now)
        ][:limit]


class FakeAccountRecords(Table):
    """The account and its generations with their audio: what the unit tests look at
    (the SQL adapter's full document is tested against the database)."""

    async def read(self, user_id: UUID) -> AccountRecord:
        user = self._db.users.get(user_id)
        if user is None:
            return AccountRecord(document={}, audio=(), codes=())
        mine = sorted(
            (g for g in self._db.generations.values() if g.owner_id == user_id),
            key=lambda g: g.created_at,
        )
        audio = tuple(
            ArchivedAudio(storage_key=g.audio_key, path=f"audio/{g.public_code}.mp3")
            for g in mine
            if g.audio_key
        )
        document: dict[str, object] = {
            "account": {"id": str(user.id), "email": user.email, "name": user.name},
            "generations": [
                {"id": str(g.id), "public_code": g.public_code, "title": g.shown_title}
                for g in mine
            ],
        }
        return AccountRecord(
            document=document, audio=audio, codes=tuple(g.public_code for g in mine)
        )


class AccountDataPart(Part):
    """Exporting and deleting accounts: the fake repositories."""

    account_deletions: AccountDeletionRepository
    account_erasure: AccountErasure
    account_exports: AccountExportRepository
    account_records: AccountRecords

    def attach(self) -> None:
        self.account_deletions = FakeAccountDeletions(self)
        self.account_erasure = FakeAccountErasure(self)
        self.account_exports = FakeAccountExports(self)
        self.account_records = FakeAccountRecords(self)
        super().attach()
