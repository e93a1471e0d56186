"""Single-use emailed tokens: verify an email, reset a password, unlock an account."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    CHANGE_EMAIL = "change_email"
    RESET_PASSWORD = "reset_password"
    UNLOCK = "unlock"
    SET_PASSWORD = "set_password"  # the first password of an account staff created


TOKEN_LIFETIMES = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=48),
    TokenPurpose.CHANGE_EMAIL: timedelta(hours=24),
    TokenPurpose.RESET_PASSWORD: timedelta(minutes=30),
    TokenPurpose.UNLOCK: timedelta(hours=24),
    TokenPurpose.SET_PASSWORD: timedelta(days=7),
}


@dataclass(slots=True)
class AccountToken:
    id: UUID
    user_id: UUID
    purpose: TokenPurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    data: dict[str, str] = field(default_factory=dict)

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
