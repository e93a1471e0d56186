"""Request and response bodies of the JSON API (msgspec Structs).

Every request body derives from `Body`: besides types and lengths, none of its
strings holds a control character (a multi-line text may hold tabs and line breaks).
That is checked as soon as the body is decoded and answered with the domain's 422
`control_characters` naming the field, the same on SQLite and PostgreSQL; the string
types below state the same rule in the OpenAPI schema as a `pattern`.
"""

from __future__ import annotations

import functools
from typing import Annotated

import msgspec
from msgspec import Meta

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
