"""Web forms: what a form posts, the page it answers with, and how a refusal comes back.

A form refused by a rule (a domain error of a category the form explains next to its
fields) is shown again with the reason, what was typed and the status of that
category (`refused`, or `refusal_status` for a page with its own renderer); any other
error goes to the error handlers and becomes the error page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.kit.headers import NO_STORE
from voiceqr.entrypoints.http.kit.problems import status_of

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

# What a form explains next to its fields, unless it says otherwise.
INPUT = (ErrorCategory.VALIDATION,)


def page(template: str, status: int = 200, **context: Any) -> Template:
    """A page that is never cached (it shows the user's own data or input)."""
    return Template(template, context=context, status_code=status, headers=NO_STORE)


def refusal_status(
    exc: DomainError,
    explained: Collection[ErrorCategory] = INPUT,
    *,
    instead: Mapping[ErrorCategory, int] | None = None,
) -> int:
    """The status a form refused with `exc` is shown again with: the error table's,
    or `instead`'s for a category this form answers differently (a wrong password on
    a form of a signed-in user is a bad form, 400, not a lost session, 401).

    Raises `exc` again when the form does not explain its category.
    """
    if exc.category.broad not in explained and exc.category not in explained:
        raise exc
    instead = instead or {}
    return instead.get(exc.category) or instead.get(exc.category.broad) or status_of(exc)


def field_named(exc: DomainError, fields: Mapping[str, str] | Collection[str]) -> str | None:
    """The form field `exc` is about, or None for a refusal of the whole form.

    An error's code starts with what it is about (`email_invalid`, `password_too_short`):
    `fields` lists the form's fields by those code prefixes, or maps a prefix to the
    field's name on the form (`{"bad_password": "current_password"}`). The longest
    prefix that matches wins.
    """
    named = fields if isinstance(fields, Mapping) else {field: field for field in fields}
    for prefix in sorted(named, key=len, reverse=True):
        if exc.code == prefix or exc.code.startswith(f"{prefix}_"):
            return named[prefix]
    return None


def refused(
    template: str,
    exc: DomainError,
    explained: Collection[ErrorCategory] = INPUT,
    *,
    instead: Mapping[ErrorCategory, int] | None = None,
    fields: Mapping[str, str] | Collection[str] = (),
    **context: Any,
) -> Template:
    """The form `template` shown again with the reason `exc` refused it (`error`), the
    field of `fields` it is about (`error_field`) and the status of its category; raises
    `exc` again when the form does not explain it."""
    return page(
        template,
        refusal_status(exc, explained, instead=instead),
        **context,
        error=exc.message,
        error_field=field_named(exc, fields),
    )


def safe_next(target: str | None) -> str:
    """Only same-site paths, so a form's `next` cannot redirect elsewhere."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return "/generations/new"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")
