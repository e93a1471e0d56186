"""An archive of everything an account holds, asked for by its owner: a background job
builds it, the owner is mailed a link that works for seven days.

An export is a row with a status. A job claims it with a lease and an attempt count, so
a worker that dies leaves it to the sweep, and a second delivery of a finished one does
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import Conflict, Gone

LINK_LIFETIME = timedelta(days=7)
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 3
# The version of the archive's `account.json`, described by the README.md beside it.
SCHEMA_VERSION = 2  # 2: `terms_accepted` names the kind, version and way of each acceptance


class ExportStatus(StrEnum):
    PENDING = "pending"  # waiting for (or being built by) a worker
    READY = "ready"  # built: the link works until `expires_at`
    FAILED = "failed"  # every attempt failed; the owner may ask again


@dataclass(slots=True, kw_only=True)
class AccountExport:
    id: UUID
    user_id: UUID
    requested_at: datetime
    status: ExportStatus = ExportStatus.PENDING
    attempts: int = 0
    lease_expires_at: datetime | None = None
    completed_at: datetime | None = None
    expires_at: datetime | None = None
    size: int | None = None

    @property
    def storage_key(self) -> str:
        return f"exports/{self.user_id}/{self.id}.zip"

    def claim(self, now: datetime) -> bool:
        """Take the export for one attempt; False when it is done, failed, or held."""
        if self.status is not ExportStatus.PENDING or self.attempts >= MAX_ATTEMPTS:
            return False
        if self.lease_expires_at is not None and self.lease_expires_at > now:
            return False
        self.attempts += 1
        self.lease_expires_at = now + LEASE
        return True

    def complete(self, now: datetime, size: int) -> None:
        self.status = ExportStatus.READY
        self.completed_at = now
        self.expires_at = now + LINK_LIFETIME
        self.size = size
        self.lease_expires_at = None

    def attempt_failed(self) -> None:
        """Another attempt may follow (the sweep's) until the last one failed."""
        self.lease_expires_at = None
        if self.attempts >= MAX_ATTEMPTS:
            self.status = ExportStatus.FAILED

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def check_downloadable(self, now: datetime) -> None:
        if self.is_expired(now):
            raise Gone(
                "This download link has expired; ask for a new archive on your profile.",
                code="export_expired",
            )
        if self.status is not ExportStatus.READY:
            raise Conflict("This archive is not ready yet.", code="export_not_ready")
