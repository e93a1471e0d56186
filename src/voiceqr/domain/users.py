"""People who use the platform and what they may do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.errors import ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


def normalize_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise ValidationError(f"'{email.strip()}' is not an email address.", code="email_invalid")
    return cleaned


def check_password(password: str) -> None:
    """Length is the only rule: checked exactly as typed, no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password has at least {MIN_PASSWORD_LENGTH} characters.", code="password_too_short"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password has at most {MAX_PASSWORD_LENGTH} characters.", code="password_too_long"
        )


@dataclass(slots=True)
class User:
    id: UUID
    email: str
    name: str
    password_hash: str
    role: Role
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
