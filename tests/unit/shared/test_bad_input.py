"""Bad input is refused with a clear error, never a crash: the domain's text rules, the
API's request bodies and what a JSON body may look like, and the history filters."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar
from uuid import UUID

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.policy import Client
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.domain.accounts.users import Role, clean_name, normalize_email
from voiceqr.domain.generations.generation import clean_text
from voiceqr.domain.shared.errors import AuthenticationFailed, ValidationError
from voiceqr.domain.shared.text import (
    MULTI_LINE_CHARACTERS,
    ONE_LINE_CHARACTERS,
    control_character,
    is_blank,
)
from voiceqr.entrypoints.http.accounts.schemas import (
    ChangePasswordBody,
    RegisterBody,
    SignInBody,
)
from voiceqr.entrypoints.http.generations.schemas import (
    BatchRequest,
    GenerationCreate,
    LabelBody,
    TagsBody,
)
from voiceqr.entrypoints.http.kit.json_bodies import MAX_NESTING, nests_too_deep
from voiceqr.entrypoints.http.kit.schemas import Body
from voiceqr.entrypoints.http.profile.api import DraftBody

B = TypeVar("B", bound=Body)
VOICE_ID = str(UUID(int=1))
KEPT_IN_TEXTS = "\t\n\r"
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def decoded(body: type[B], value: dict[str, Any]) -> B:
    """A body as the API decodes it (msgspec, then the body's own checks)."""
    return msgspec.json.decode(msgspec.json.encode(value), type=body)


def refused(body: type[Body], value: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        decoded(body, value)
    assert caught.value.code == "control_characters"
    return caught.value


def schema_pattern(body: type[Body], field: str) -> str:
    """The `pattern` a body's field states in the OpenAPI schema."""
    info = msgspec.inspect.type_info(body)
    assert isinstance(info, msgspec.inspect.StructType)
    (found,) = [f.type for f in info.fields if f.name == field]
    assert isinstance(found, msgspec.inspect.Metadata)
    assert found.extra_json_schema is not None
    return str(found.extra_json_schema["extra"]["pattern"])


def as_json_schema(pattern: str) -> re.Pattern[str]:
    """A JSON Schema pattern as its validators read it: `$` is the end of the string."""
    return re.compile(pattern.removesuffix("$") + r"\Z")


# --- the domain's text rules ------------------------------------------------------------


def test_the_refused_characters_are_exactly_the_control_characters() -> None:
    controls = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"}
    refused_one_line = {chr(c) for c in range(0x110000) if control_character(chr(c))}
    refused_multi_line = {
        chr(c) for c in range(0x110000) if control_character(chr(c), multiline=True)
    }
    assert refused_one_line == controls
    assert refused_multi_line == controls - set(KEPT_IN_TEXTS)


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_nul_byte_or_control_character_in_a_text_to_speak_is_refused(character: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_text(f"Room 4{character} is closed", max_length=500)
    assert caught.value.code == "control_characters"
    assert f"U+{ord(character):04X}" in caught.value.message


def test_tabs_and_line_breaks_stay_in_a_text_to_speak() -> None:
    text = "Room 4\tis closed.\r\nRoom 5\nis open."
    assert clean_text(f"  {text}  ", max_length=500) == text


@pytest.mark.parametrize(
    "text", [*INVISIBLE, " \u200b \u200c\u200d\u2060\ufeff\n", "\u00ad\u200e\u034f\u3164"]
)
def test_a_text_of_only_invisible_characters_is_as_blank_as_an_empty_one(text: str) -> None:
    assert is_blank(text)
    with pytest.raises(ValidationError) as caught:
        clean_text(text, max_length=500)
    assert caught.value.code == "text_blank"


def test_a_text_with_something_to_say_around_invisible_characters_is_kept() -> None:
    assert clean_text("\u200bHello\u2060 there", max_length=500) == "\u200bHello\u2060 there"


@pytest.mark.parametrize(
    "email", ["a\x00@example.com", "ann@exa\x1bmple.com", "ann@example.c\x7fom"]
)
def test_an_email_with_a_control_character_is_refused(email: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_email(email)
    assert caught.value.code == "control_characters"


def test_a_name_with_a_control_character_is_refused_and_an_invisible_one_is_blank() -> None:
    with pytest.raises(ValidationError) as control:
        clean_name("Ann\x00")
    assert control.value.code == "control_characters"
    with pytest.raises(ValidationError) as blank:
        clean_name("\u200b")
    assert blank.value.code == "name_blank"


# --- request bodies -------------------------------------------------------------------


def test_a_control_character_in_a_body_is_a_validation_error_naming_the_field() -> None:
    error = refused(GenerationCreate, {"text": "a\x00b", "voice_id": VOICE_ID})
    assert "`text`" in error.message
    assert "U+0000" in error.message


def test_a_control_character_in_a_list_names_the_item() -> None:
    error = refused(TagsBody, {"tags": ["fine", "bad\x01"]})
    assert "`tags[1]`" in error.message


def test_a_control_character_in_a_nested_filter_is_refused() -> None:
    error = refused(BatchRequest, {"action": "delete", "filter": {"tag": "x\x00"}})
    assert "`tag`" in error.message


def test_multi_line_texts_keep_line_breaks_one_line_fields_refuse_them() -> None:
    text = "first line\nsecond\tline\r\n"
    assert decoded(GenerationCreate, {"text": text, "voice_id": VOICE_ID}).text == text
    assert decoded(DraftBody, {"text": text}).text == text
    refused(LabelBody, {"name": "first\nsecond"})
    refused(RegisterBody, {"name": "Ann\tLee", "email": "ann@example.com", "password": "x" * 12})


def test_a_password_already_set_is_taken_as_sent_a_new_one_is_one_line() -> None:
    odd = "pass\x00word\ttab"
    assert decoded(SignInBody, {"email": "ann@example.com", "password": odd}).password == odd
    error = refused(ChangePasswordBody, {"current_password": odd, "new_password": odd})
    assert "`new_password`" in error.message


def test_bodies_still_refuse_unknown_fields() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        decoded(GenerationCreate, {"text": "hi", "voice_id": VOICE_ID, "speed": 2})


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=30))
def test_the_schema_pattern_accepts_exactly_what_a_multi_line_body_accepts(text: str) -> None:
    pattern = as_json_schema(schema_pattern(GenerationCreate, "text"))
    assert schema_pattern(GenerationCreate, "text") == f"^{MULTI_LINE_CHARACTERS}*$"
    try:
        decoded(GenerationCreate, {"text": text, "voice_id": VOICE_ID})
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == bool(pattern.search(text))


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=30))
def test_the_schema_pattern_accepts_exactly_what_a_one_line_body_accepts(text: str) -> None:
    pattern = as_json_schema(schema_pattern(LabelBody, "name"))
    assert schema_pattern(LabelBody, "name") == f"^{ONE_LINE_CHARACTERS}*$"
    try:
        decoded(LabelBody, {"name": text})
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == bool(pattern.search(text))


# --- how deep a JSON body may nest ----------------------------------------------------


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b'{"a":' * depth + inner + b"}" * depth


@pytest.mark.parametrize("depth", [1, MAX_NESTING])
def test_a_body_nested_within_the_limit_is_read(depth: int) -> None:
    assert not nests_too_deep(nested(depth))
    assert not nests_too_deep(b"[" * depth + b"]" * depth)


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 1000, 100_000])
def test_a_body_nested_deeper_than_the_limit_is_refused_before_decoding(depth: int) -> None:
    assert nests_too_deep(nested(depth))
    assert nests_too_deep(b'{"action": "delete", "filter": ' + b"[" * depth + b"]" * depth + b"}")


def test_brackets_inside_strings_do_not_count() -> None:
    brackets = b"[{" * 5000
    assert not nests_too_deep(b'{"text": "' + brackets + b'"}')
    assert not nests_too_deep(b'{"text": "a \\" quote then ' + brackets + b'"}')
    assert not nests_too_deep(b'["\\\\", "' + brackets + b'"]')


@given(st.integers(min_value=0, max_value=3 * MAX_NESTING), st.booleans())
def test_the_nesting_limit_is_exact(depth: int, arrays: bool) -> None:
    body = b"[" * depth + b"]" * depth if arrays else nested(depth)
    assert nests_too_deep(body) == (depth > MAX_NESTING)


# --- the use cases behind the history filters, sign-in and the audit log ---------------


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_dates_beyond_what_utc_can_hold_are_before_or_after_every_generation(
    s: Services,
) -> None:
    owner = s.add_user("ann@example.com")
    voice = s.add_voice("Alex")
    made = await s.generations.request(owner, text="Hello", voice_id=voice.id)
    latest = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    earliest = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))

    async def ids(matching: GenerationFilter) -> list[UUID]:
        return [g.id for g in (await s.generations.history(owner, matching=matching)).items]

    assert await ids(GenerationFilter(created_to=latest)) == [made.id]
    assert await ids(GenerationFilter(created_from=earliest)) == [made.id]
    assert await ids(GenerationFilter(created_from=latest)) == []
    assert await ids(GenerationFilter(created_to=earliest)) == []
    assert await ids(GenerationFilter(created_from=datetime(2000, 1, 1, tzinfo=UTC))) == [made.id]


async def test_a_tag_filter_with_a_control_character_is_refused(s: Services) -> None:
    owner = s.add_user("ann@example.com")
    with pytest.raises(ValidationError) as caught:
        await s.generations.history(owner, matching=GenerationFilter(tag="a\x00"))
    assert caught.value.code == "control_characters"


async def test_an_audit_actor_with_a_control_character_is_refused(s: Services) -> None:
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    with pytest.raises(ValidationError) as caught:
        await s.audit.page(admin, actor="ann\x00@example.com")
    assert caught.value.code == "control_characters"


async def test_signing_in_with_a_control_character_in_the_email_is_refused_unrecorded(
    s: Services,
) -> None:
    s.add_user("ann@example.com")
    with pytest.raises(AuthenticationFailed):
        await s.accounts.sign_in(
            email="ann\x00@example.com",
            password="correct horse battery",
            client=Client(ip="203.0.113.7", user_agent="test"),
        )
    assert s.db.login_events == []
