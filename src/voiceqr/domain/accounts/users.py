"""People who use the platform and what they may do."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from uuid import UUID

from voiceqr.domain.authz import Role as Role  # an account's role; re-exported for its users
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.text import is_blank, refuse_control_characters

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("voiceqr.domain.accounts").joinpath("data/common-passwords.txt.gz")
    return frozenset(gzip.decompress(data.read_bytes()).decode().split())


def is_common_password(password: str) -> bool:
    return password.lower() in _common_passwords()


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if is_blank(cleaned):
        raise ValidationError("Type your name.", code="name_blank")
    refuse_control_characters(cleaned, what="A name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"A name has at most {MAX_NAME_LENGTH} characters.", code="name_too_long"
        )
    return cleaned


def normalize_email(email: str) -> str:
    cleaned = refuse_control_characters(email.strip().lower(), what="An email address")
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise ValidationError(f"'{email.strip()}' is not an email address.", code="email_invalid")
    return cleaned


def check_password(password: str) -> None:
    """Length and not a common password: checked exactly as typed, no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password has at least {MIN_PASSWORD_LENGTH} characters.", code="password_too_short"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password has at most {MAX_PASSWORD_LENGTH} characters.", code="password_too_long"
        )
    if is_common_password(password):
        raise ValidationError(
            "This password is one of the most common ones; choose another.",
            code="password_common",
        )


@dataclass(slots=True)
class User:
    id: UUID
    email: str
    name: str
    password_hash: str | None  # None: the account signs in with a social identity only
    role: Role
    created_at: datetime
    status: UserStatus = UserStatus.ACTIVE
    email_verified_at: datetime | None = None
    locked_until: datetime | None = None
    terms_accepted_at: datetime | None = None
    totp_secret: str | None = None  # encrypted (by the two-factor use cases) before storing
    totp_enabled_at: datetime | None = None
    totp_last_step: int | None = None
    password_changed_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def actor_label(self) -> str:
        """How the audit log names this user when they act (see `authz.Actor`)."""
        return self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now
