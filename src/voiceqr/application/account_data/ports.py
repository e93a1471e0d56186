"""What deleting an account needs from the stores: the deletions waiting or running,
and the account's footprint, removed a batch at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.accounts.ports import AccountsUnitOfWork
from voiceqr.application.generations.batch import ArchiveFile
from voiceqr.domain.account_data.deletion import AccountDeletion
from voiceqr.domain.account_data.export import AccountExport


@dataclass(frozen=True, slots=True)
class Footprint:
    """What deleting an account removes, counted for the confirmation page."""

    generations: int
    audio_files: int
    qr_codes: int
    scans: int
    tickets: int | None  # None: this installation keeps no support tickets


@dataclass(frozen=True, slots=True)
class GenerationBatch:
    """Some of an account's generations and every stored file they hold."""

    generation_ids: tuple[UUID, ...]
    storage_keys: tuple[str, ...]


class AccountDeletionRepository(Protocol):
    """One row per account being deleted."""

    async def get(self, user_id: UUID) -> AccountDeletion | None: ...

    async def save(self, deletion: AccountDeletion) -> None:
        """Add or replace the deletion of `deletion.user_id`."""
        ...

    async def remove(self, user_id: UUID) -> None:
        """Forget the deletion (kept account, or account gone); absent is no error."""
        ...

    async def due(self, now: datetime, *, limit: int) -> list[UUID]:
        """Accounts whose deletion is due and not held by a live lease."""
        ...


class AccountErasure(Protocol):
    """Removes an account's things; each call is safe to repeat after a crash."""

    async def footprint(self, user_id: UUID) -> Footprint: ...

    async def retire_codes(self, user_id: UUID, *, now: datetime, limit: int) -> list[str]:
        """Mark up to `limit` of the account's printed codes not yet retired as retired
        (they answer 410 from then on, with no trace of whose they were) and tombstone
        their generations (no worker makes their audio any more); returns them."""
        ...

    async def next_generations(self, user_id: UUID, *, limit: int) -> GenerationBatch:
        """Up to `limit` of the account's remaining generations and their files."""
        ...

    async def delete_generations(self, generation_ids: Sequence[UUID]) -> None:
        """Delete these generations with their revisions, attempts, scans and listens."""
        ...

    async def delete_account(self, user_id: UUID) -> None:
        """Delete the account row, and with it every row that belongs to it; the audit
        log keeps its entries with the account's id and no email."""
        ...


class AccountExportRepository(Protocol):
    async def add(self, export: AccountExport) -> None: ...

    async def get(self, export_id: UUID) -> AccountExport | None: ...

    async def save(self, export: AccountExport) -> None: ...

    async def list_for_user(self, user_id: UUID) -> list[AccountExport]:
        """Newest first."""
        ...

    async def due(self, now: datetime, *, limit: int) -> list[UUID]:
        """Pending exports no worker holds (new, or left behind by one that died)."""
        ...


@dataclass(frozen=True, slots=True)
class ArchivedAudio:
    """One audio file of the account, where it is stored and its name in the archive."""

    storage_key: str
    path: str


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """What the archive's `account.json` holds (see `export.py`'s README) and the files
    that go beside it. Sessions come from the session store, not from here."""

    document: dict[str, object]
    audio: tuple[ArchivedAudio, ...]
    codes: tuple[str, ...]  # each printed code, drawn as an SVG QR code


class AccountRecords(Protocol):
    async def read(self, user_id: UUID) -> AccountRecord:
        """Everything the account holds, as JSON-ready values (no secret, no hash)."""
        ...


class ArchiveWriter(Protocol):
    """Writes files into one ZIP object in storage as they come, with flat memory."""

    async def write(self, key: str, files: AsyncIterator[ArchiveFile]) -> int:
        """Store the archive under `key`; returns its size in bytes."""
        ...


class AccountDataUnitOfWork(AccountsUnitOfWork, Protocol):
    """The accounts' stores with the deletions, the exports and the erasure of an account."""

    account_deletions: AccountDeletionRepository
    account_erasure: AccountErasure
    account_exports: AccountExportRepository
    account_records: AccountRecords
