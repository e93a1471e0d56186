"""Two-factor authentication (A6): TOTP and single-use recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

RECOVERY_CODE_COUNT = 10
TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1


@dataclass(frozen=True, slots=True)
class RecoveryCode:
    id: UUID
    user_id: UUID
    code_hash: str
    created_at: datetime
    used_at: datetime | None = None
