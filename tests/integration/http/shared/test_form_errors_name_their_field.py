"""A refused form ties its message to the field it is about: that field is
`aria-invalid` and described by the message, so a screen reader reads them together."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.integration.http.accounts.accounts_api import only_mail, token_in
from tests.integration.http_helpers import PASSWORD, RunningApp
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")


class _Fields(HTMLParser):
    """The form fields of a page by name, with their attributes, and the ids on it."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str | None]] = {}
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if named.get("id"):
            self.ids.add(str(named["id"]))
        if tag in {"input", "textarea", "select"} and named.get("name"):
            self.fields.setdefault(str(named["name"]), named)


def fields_of(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def assert_tied(page: _Fields, field: str, error_id: str) -> None:
    attrs = page.fields[field]
    assert attrs.get("aria-invalid") == "true", (field, attrs)
    assert error_id in str(attrs.get("aria-describedby")).split(), (field, attrs)
    assert error_id in page.ids, error_id


def assert_not_invalid(page: _Fields, *fields: str) -> None:
    for field in fields:
        assert "aria-invalid" not in page.fields[field], (field, page.fields[field])


async def test_sign_up_with_a_bad_email_marks_the_email_field_alone(app: RunningApp) -> None:
    response = await app.anonymous.submit(
        "/signup",
        "/signup",
        {"name": "Ada", "email": "not-an-address", "password": PASSWORD, "terms": "on"},
    )

    assert response.status_code == 422
    page = fields_of(response.text)
    assert_tied(page, "email", "form-error")
    assert_not_invalid(page, "name", "password", "terms")
    # The password keeps its rules as a description, refused or not.
    assert page.fields["password"]["aria-describedby"] == "password-rules"


async def test_sign_up_with_a_short_password_marks_it_and_keeps_its_rules(
    app: RunningApp,
) -> None:
    response = await app.anonymous.submit(
        "/signup",
        "/signup",
        {
            "name": "Ada",
            "email": f"a-{uuid7().hex}@example.com",
            "password": "short",
            "terms": "on",
        },
    )

    page = fields_of(response.text)
    assert_tied(page, "password", "form-error")
    assert page.fields["password"]["aria-describedby"] == "form-error password-rules"
    assert_not_invalid(page, "name", "email")


async def test_a_wrong_password_at_sign_in_marks_email_and_password(app: RunningApp) -> None:
    email = f"s-{uuid7().hex}@example.com"
    app.create_user(email)

    response = await app.anonymous.submit(
        "/signin", "/signin", {"email": email, "password": "not the password"}
    )

    assert response.status_code == 401
    page = fields_of(response.text)
    assert_tied(page, "email", "form-error")
    assert_tied(page, "password", "form-error")


async def test_a_fresh_form_has_no_field_marked_invalid(app: RunningApp) -> None:
    for form in ("/signup", "/signin"):
        page = fields_of((await app.anonymous.open_form(form)).text)
        assert_not_invalid(page, *page.fields)
        assert "form-error" not in page.ids


async def test_creating_with_blank_text_marks_the_text(app: RunningApp) -> None:
    agent = await app.new_user(f"c-{uuid7().hex}@example.com")
    voice_id = str((await agent.get("/api/v1/voices")).json()[0]["id"])

    response = await agent.submit(
        "/generations/new", "/generations", {"text": "   ", "voice_id": voice_id}
    )

    assert response.status_code == 422
    page = fields_of(response.text)
    assert_tied(page, "text", "form-error")
    assert_not_invalid(page, "voice_id")


async def test_creating_with_no_voice_marks_the_voice_choice(app: RunningApp) -> None:
    agent = await app.new_user(f"v-{uuid7().hex}@example.com")

    response = await agent.submit("/generations/new", "/generations", {"text": "Hello there"})

    assert response.status_code == 422
    page = fields_of(response.text)
    assert_tied(page, "voice_id", "form-error")
    assert_not_invalid(page, "text")


async def test_a_blank_name_on_the_profile_marks_the_name_field_of_its_section(
    app: RunningApp,
) -> None:
    agent = await app.new_user(f"p-{uuid7().hex}@example.com")

    response = await agent.submit("/profile", "/profile/name", {"name": "  "})

    assert response.status_code == 422
    page = fields_of(response.text)
    assert_tied(page, "name", "name-error")
    assert_not_invalid(page, "email", "new_password")


async def test_a_wrong_current_password_on_the_profile_marks_that_field(
    app: RunningApp,
) -> None:
    agent = await app.new_user(f"w-{uuid7().hex}@example.com")

    response = await agent.submit(
        "/profile",
        "/profile/password",
        {"current_password": "not the password", "new_password": "a new long password"},
    )

    assert response.status_code == 400
    page = fields_of(response.text)
    assert_tied(page, "current_password", "password-error")
    assert page.fields["new_password"]["aria-describedby"] == "password-rules"
    assert_not_invalid(page, "new_password", "name")


async def test_a_weak_new_password_from_a_reset_link_marks_the_password_field(
    app: RunningApp,
) -> None:
    email = f"r-{uuid7().hex}@example.com"
    app.create_user(email)
    await app.anonymous.post("/api/v1/auth/forgot-password", json={"email": email})
    token = token_in(only_mail(app, email, "reset_password"), "/reset-password")

    response = await app.anonymous.submit(
        f"/reset-password?token={token}",
        "/reset-password",
        {"token": token, "password": "password1"},
    )

    assert response.status_code == 422
    page = fields_of(response.text)
    assert_tied(page, "password", "form-error")
    assert page.fields["password"]["aria-describedby"] == "form-error password-rules"
