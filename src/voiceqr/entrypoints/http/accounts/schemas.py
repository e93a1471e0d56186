"""Request and response bodies of the accounts API: sign-up, sign-in, recovery, profile
and sessions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from voiceqr.entrypoints.http.kit.schemas import (
    Body,
    Email,
    NewPassword,
    OtpCode,
    Password,
    RecoveryCode,
    Short,
    Token,
)


class SignInBody(Body):
    email: Email
    password: Password
    remember_me: bool = False
    otp_code: OtpCode | None = None
    recovery_code: RecoveryCode | None = None


class RegisterBody(Body):
    name: Short
    email: Email
    password: NewPassword
    terms_accepted: bool = False


class EmailBody(Body):
    email: Email


class TokenBody(Body):
    token: Token


class ResetPasswordBody(Body):
    token: Token
    password: NewPassword


class PasswordBody(Body):
    password: Password


class ChangePasswordBody(Body):
    current_password: Password
    new_password: NewPassword


class ProfilePatch(Body):
    name: Short | UnsetType = UNSET
    email: Email | UnsetType = UNSET


class Accepted(msgspec.Struct):
    detail: str


class ProfileOut(msgspec.Struct):
    id: UUID
    email: str
    name: str
    role: str
    email_verified: bool
    two_factor_enabled: bool
    created_at: datetime
    # After a change of email: the address a confirmation link was mailed to. `email`
    # changes once that link is opened.
    pending_email: str | None = None


class SessionOut(msgspec.Struct):
    id: UUID
    current: bool
    device: str
    browser: str
    country: str
    ip: str
    method: str
    remember_me: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class LoginEventOut(msgspec.Struct):
    occurred_at: datetime
    success: bool
    method: str
    reason: str
    ip: str
    device: str
    country: str
    user_agent: str
