"""Request and response bodies of the JSON API (msgspec Structs).

Every request body derives from `Body`: besides types and lengths, none of its
strings holds a control character (a multi-line text may hold tabs and line breaks).
That is checked as soon as the body is decoded and answered with the domain's 422
`control_characters` naming the field, the same on SQLite and PostgreSQL; the string
types below state the same rule in the OpenAPI schema as a `pattern`.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from voiceqr.domain.shared.text import (
    MULTI_LINE_CHARACTERS,
    ONE_LINE_CHARACTERS,
    refuse_control_characters,
)

_CHARACTERS = "characters"  # the `Meta.extra` key saying what a string type may hold
_ONE_LINE, _MULTI_LINE, _ANY = "one_line", "multi_line", "any"


def one_line(max_length: int) -> Meta:
    """A string type of at most `max_length` characters on one line: no control character."""
    return _string(max_length, _ONE_LINE, ONE_LINE_CHARACTERS)


def multi_line(max_length: int) -> Meta:
    """A string type of at most `max_length` characters; tabs and line breaks allowed."""
    return _string(max_length, _MULTI_LINE, MULTI_LINE_CHARACTERS)


def _string(max_length: int, kind: str, characters: str) -> Meta:
    # Litestar copies `extra_json_schema["extra"]` into the OpenAPI schema; msgspec does
    # not check it, so a control character is `Body`'s 422 rather than msgspec's 400.
    # The pattern is anchored at both ends, which JSON Schema and `Body` read alike.
    return Meta(
        max_length=max_length,
        extra_json_schema={"extra": {"pattern": f"^{characters}*$"}},
        extra={_CHARACTERS: kind},
    )


Text = Annotated[str, multi_line(100_000)]  # a text to speak
Description = Annotated[str, multi_line(2000)]
Short = Annotated[str, one_line(200)]
Email = Annotated[str, one_line(320)]
# A password already set is compared as sent and never stored, so any character that
# was once accepted must still sign in; a new password is one line of text.
Password = Annotated[str, Meta(max_length=4096, extra={_CHARACTERS: _ANY})]
NewPassword = Annotated[str, one_line(4096)]
Token = Annotated[str, one_line(200)]
OtpCode = Annotated[str, one_line(20)]
RecoveryCode = Annotated[str, one_line(40)]
# The domain refuses names over 100 (folders) or 50 (tags) characters with a clear
# message; this cap only stops absurd bodies early.
LabelName = Annotated[str, one_line(1000)]


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """A request body: unknown fields are refused, and so are control characters.

    A string field is one line unless its type says otherwise (`multi_line`, or
    `Password`), so a body that does not use the shared types is still checked.
    """

    def __post_init__(self) -> None:
        for name, field, multiline in _string_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str):
                refuse_control_characters(value, what=f"`{field}`", multiline=multiline)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str):
                        refuse_control_characters(item, what=f"`{field}[{i}]`", multiline=multiline)


@functools.cache
def _string_fields(body: type[Body]) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, JSON name, multi-line?) of each field of `body` that holds strings."""
    info = msgspec.inspect.type_info(body)
    assert isinstance(info, msgspec.inspect.StructType)
    return tuple(
        (f.name, f.encode_name, kind == _MULTI_LINE)
        for f in info.fields
        if (kind := _characters(f.type)) not in (None, _ANY)
    )


def _characters(type_: msgspec.inspect.Type) -> str | None:
    """What the strings of a field type may hold: None if it holds none (a nested Body
    checks its own), one line unless its type says otherwise."""
    if isinstance(type_, msgspec.inspect.Metadata):
        declared = (type_.extra or {}).get(_CHARACTERS)
        return str(declared) if declared is not None else _characters(type_.type)
    if isinstance(type_, msgspec.inspect.StrType):
        return _ONE_LINE
    if isinstance(type_, msgspec.inspect.UnionType):
        kinds = {_characters(t) for t in type_.types} - {None}
        return _ONE_LINE if len(kinds) > 1 else next(iter(kinds), None)
    if isinstance(type_, msgspec.inspect.ListType):
        return _characters(type_.item_type)
    return None


class LoginBody(Body):
    email: Email
    password: Password


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


class VoiceCreate(Body):
    name: Short
    provider_voice_id: Short
    provider: Short = "espeak"
    description: Description = ""
    type: Short = ""
    language: Short = ""
    region: Short = ""
    age: Short = ""
    style: Short = ""
    published: bool = False
    priority: int = 0


class VoicePatch(Body):
    name: Short | UnsetType = UNSET
    provider_voice_id: Short | UnsetType = UNSET
    provider: Short | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    type: Short | UnsetType = UNSET
    language: Short | UnsetType = UNSET
    region: Short | UnsetType = UNSET
    age: Short | UnsetType = UNSET
    style: Short | UnsetType = UNSET
    published: bool | UnsetType = UNSET
    priority: int | UnsetType = UNSET


class GenerationCreate(Body):
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


class LabelOut(msgspec.Struct):
    """A folder or tag with how many generations (not deleted) it holds."""

    id: UUID
    name: str
    generations: int
    created_at: datetime


class LabelBody(Body):
    name: LabelName


class FolderMoveBody(Body):
    folder_id: UUID | None  # None: take it out of its folder


class TagsBody(Body):
    tags: Annotated[list[LabelName], Meta(max_length=100)]


class FilingOut(msgspec.Struct):
    """Where a generation is filed now."""

    folder: LabelRef | None
    tags: list[str]
