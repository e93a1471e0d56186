"""Request and response bodies of the JSON API (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

Text = Annotated[str, Meta(max_length=100_000)]
Short = Annotated[str, Meta(max_length=200)]


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(max_length=320)]
    password: Annotated[str, Meta(max_length=4096)]


class UserOut(msgspec.Struct):
    id: UUID
    email: str
    name: str
    role: str


class SampleOut(msgspec.Struct):
    label: str
    url: str


class VoiceOut(msgspec.Struct):
    id: UUID
    name: str
    description: str
    type: str
    language: str
    region: str
    age: str
    style: str
    provider: str
    provider_voice_id: str
    published: bool
    priority: int
    samples: list[SampleOut]


class VoiceCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Short
    provider_voice_id: Short
    provider: Short = "espeak"
    description: Annotated[str, Meta(max_length=2000)] = ""
    type: Short = ""
    language: Short = ""
    region: Short = ""
    age: Short = ""
    style: Short = ""
    published: bool = False
    priority: int = 0


class VoicePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Short | UnsetType = UNSET
    provider_voice_id: Short | UnsetType = UNSET
    provider: Short | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    type: Short | UnsetType = UNSET
    language: Short | UnsetType = UNSET
    region: Short | UnsetType = UNSET
    age: Short | UnsetType = UNSET
    style: Short | UnsetType = UNSET
    published: bool | UnsetType = UNSET
    priority: int | UnsetType = UNSET


class GenerationCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    voice_id: UUID


class GenerationError(msgspec.Struct):
    category: str
    code: str
    message: str
    advice: str = ""  # what the owner can do about it, by category (F4)


class LabelRef(msgspec.Struct):
    """A folder (or tag) as a generation shows it."""

    id: UUID
    name: str


class GenerationOut(msgspec.Struct):
    id: UUID
    status: str
    text: str
    voice_id: UUID
    public_code: str
    playback_url: str
    audio_url: str | None
    qr_svg_url: str
    qr_png_url: str
    attempts: int
    created_at: datetime
    completed_at: datetime | None
    next_attempt_at: datetime | None
    error: GenerationError | None
    scans: int
    listens: int
    # G3: `text` and `voice_id` are the newest revision's; `audio_url` plays `live_revision`.
    revision: int = 1
    live_revision: int | None = None
    # G4: the folder it is in (None: in no folder) and the names of its tags, by name.
    folder: LabelRef | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    # Set while it is pending and the job queue does not answer: a message for the user
    # (it waits in the database and starts once the queue is back). None: nothing to say.
    queue_notice: str | None = None


class GenerationList(msgspec.Struct):
    items: list[GenerationOut]
    next_cursor: str | None = None  # pass as `cursor` for the older items; None: no more


# --- accounts ------------------------------------------------------------------------

Email = Annotated[str, Meta(max_length=320)]
Password = Annotated[str, Meta(max_length=4096)]
Token = Annotated[str, Meta(max_length=200)]


class SignInBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    remember_me: bool = False
    otp_code: Annotated[str, Meta(max_length=20)] | None = None
    recovery_code: Annotated[str, Meta(max_length=40)] | None = None


class RegisterBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Short
    email: Email
    password: Password
    terms_accepted: bool = False


class EmailBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class TokenBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Token


class ResetPasswordBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Token
    password: Password


class PasswordBody(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


class ChangePasswordBody(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
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


# --- folders and tags (G4) -------------------------------------------------------------

# The domain refuses names over 100 (folders) or 50 (tags) characters with a clear
# message; this cap only stops absurd bodies early.
LabelName = Annotated[str, Meta(max_length=1000)]


class LabelOut(msgspec.Struct):
    """A folder or tag with how many generations (not deleted) it holds."""

    id: UUID
    name: str
    generations: int
    created_at: datetime


class LabelBody(msgspec.Struct, forbid_unknown_fields=True):
    name: LabelName


class FolderMoveBody(msgspec.Struct, forbid_unknown_fields=True):
    folder_id: UUID | None  # None: take it out of its folder


class TagsBody(msgspec.Struct, forbid_unknown_fields=True):
    tags: Annotated[list[LabelName], Meta(max_length=100)]


class FilingOut(msgspec.Struct):
    """Where a generation is filed now."""

    folder: LabelRef | None
    tags: list[str]
