"""What deleting an account needs from the stores: the deletions waiting or running,
and the account's footprint, removed a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.accounts.ports import AccountsUnitOfWork
from voiceqr.domain.account_data.deletion import AccountDeletion


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


class AccountDataUnitOfWork(AccountsUnitOfWork, Protocol):
    """The accounts' stores with the deletions and the erasure of an account."""

    account_deletions: AccountDeletionRepository
    account_erasure: AccountErasure
