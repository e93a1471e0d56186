"""Which field a refused form's message is about, and the ARIA that ties them."""

from __future__ import annotations

from pathlib import Path

import jinja2
from hypothesis import given
from hypothesis import strategies as st

import voiceqr.entrypoints.http
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.kit.forms import field_named

TEMPLATES = Path(voiceqr.entrypoints.http.__file__).parent / "templates"
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


def refusal(code: str) -> ValidationError:
    return ValidationError("Refused.", code=code)


@given(field=words, problem=words)
def test_a_code_that_starts_with_a_field_names_that_field(field: str, problem: str) -> None:
    assert field_named(refusal(f"{field}_{problem}"), (field, "other")) == field


@given(field=words)
def test_a_code_that_is_a_field_names_it(field: str) -> None:
    assert field_named(refusal(field), [field]) == field


@given(code=words, fields=st.lists(words, max_size=4))
def test_a_code_about_no_listed_field_names_none(code: str, fields: list[str]) -> None:
    unrelated = [f for f in fields if code != f and not code.startswith(f"{f}_")]

    assert field_named(refusal(code), unrelated) is None


def test_a_prefix_of_a_longer_word_is_not_a_match() -> None:
    # "name" is not the field of "names_missing" (the word must end at the underscore).
    assert field_named(refusal("names_missing"), ["name"]) is None


def test_the_longest_matching_prefix_wins_and_a_mapping_renames_the_field() -> None:
    fields = {"password": "new_password", "password_confirm": "confirm"}

    assert field_named(refusal("password_too_short"), fields) == "new_password"
    assert field_named(refusal("password_confirm_differs"), fields) == "confirm"
    assert field_named(refusal("bad_password"), {"bad_password": "current"}) == "current"


def render_aria(**arguments: object) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    macro = environment.get_template("kit/fields.html").module.aria  # type: ignore[attr-defined]
    return str(macro(**arguments)).strip()


def test_an_invalid_field_is_marked_and_described_by_the_error_then_its_hints() -> None:
    rendered = render_aria(invalid=True, hints=["password-rules"])

    assert rendered == 'aria-invalid="true" aria-describedby="form-error password-rules"'


def test_a_valid_field_keeps_only_its_hints() -> None:
    assert render_aria(invalid=False, hints=["password-rules"]) == (
        'aria-describedby="password-rules"'
    )
    assert render_aria(invalid=False) == ""


def test_a_section_names_its_own_error_message() -> None:
    assert render_aria(invalid=True, error_id="name-error") == (
        'aria-invalid="true" aria-describedby="name-error"'
    )
