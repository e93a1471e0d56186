"""Login activity (A8): every sign-in success and failure, kept for the user to see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class SignInMethod(StrEnum):
    PASSWORD = "password"
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    EMAIL_LINK = "email_link"  # the new account's verification link, followed once
    GOOGLE = "google"
    MICROSOFT = "microsoft"


@dataclass(frozen=True, slots=True)
class LoginEvent:
    id: UUID
    occurred_at: datetime
    email: str
    success: bool
    method: str
    user_id: UUID | None = None
    reason: str = ""  # bad_credentials, locked, disabled, unverified, bad_otp, ...
    ip: str = ""
    user_agent: str = ""
    device: str = ""
    country: str = ""
