"""Which mail and which in-app notices a user wants, per kind of message.

Mail about the account itself (confirmations, password resets, security notices) is
always sent and cannot be turned off. Every other kind can be, by mail and in the app
separately; a user who never chose has the defaults below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError


class MailKind(StrEnum):
    """The kinds of message a user can choose about (account mail is not one of them)."""

    GENERATION_FAILED = "generation_failed"
    TICKET_REPLY = "ticket_reply"
    PRODUCT_NEWS = "product_news"
    SCANS_SUMMARY = "scans_summary"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    MailKind.GENERATION_FAILED: "generations that fail for good",
    MailKind.TICKET_REPLY: "support's replies to your tickets",
    MailKind.PRODUCT_NEWS: "product news",
    MailKind.SCANS_SUMMARY: "the weekly summary of your scans",
}


class FailureMail(StrEnum):
    """How failures are mailed: each one, one daily digest of the day's, or not at all."""

    EACH = "each"
    DAILY_DIGEST = "digest"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """A user's choice per kind: by mail, and in the app (a notice on the site)."""

    user_id: UUID
    generation_failed_mail: FailureMail = FailureMail.EACH
    generation_failed_in_app: bool = True
    ticket_reply_mail: bool = True
    ticket_reply_in_app: bool = True
    # Opt-in: nobody gets news or a summary they did not ask for.
    product_news_mail: bool = False
    product_news_in_app: bool = False
    scans_summary_mail: bool = False
    scans_summary_in_app: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.generation_failed_mail, FailureMail):
            raise ValidationError(
                "Choose each, digest or off for the failure mail.",
                code="invalid_notification_setting",
            )
        for name in _SWITCHES:
            if not isinstance(getattr(self, name), bool):
                raise ValidationError(
                    f"Say on or off for {name.replace('_', ' ')}.",
                    code="invalid_notification_setting",
                )

    @classmethod
    def defaults(cls, user_id: UUID) -> NotificationSettings:
        return cls(user_id=user_id)

    def mails(self, kind: MailKind) -> bool:
        """Whether a message of `kind` goes by mail at all (now or in a digest)."""
        if kind is MailKind.GENERATION_FAILED:
            return self.generation_failed_mail is not FailureMail.OFF
        return bool(getattr(self, f"{kind}_mail"))

    def in_app(self, kind: MailKind) -> bool:
        return bool(getattr(self, f"{kind}_in_app"))

    def without_mail(self, kind: MailKind) -> NotificationSettings:
        """The same settings with the mail of `kind` off (what an unsubscribe link does)."""
        off: object = FailureMail.OFF if kind is MailKind.GENERATION_FAILED else False
        return replace(self, **{f"{kind}_mail": off})  # type: ignore[arg-type]

    def changed(self, changes: Mapping[str, object]) -> NotificationSettings:
        """These settings with `changes` (field name -> value as sent by a form or JSON).

        Raises ValidationError, naming the field, for an unknown field or a value that
        is not one of the choices; nothing is changed then.
        """
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValidationError(
                f"These notification settings do not exist: {', '.join(sorted(unknown))}.",
                code="unknown_notification_setting",
            )
        parsed: dict[str, object] = {}
        for name, value in changes.items():
            if name == "generation_failed_mail":
                parsed[name] = parse_failure_mail(value)
            else:
                parsed[name] = parse_switch(name, value)
        return replace(self, **parsed)  # type: ignore[arg-type]


_SWITCHES = (
    "generation_failed_in_app",
    "ticket_reply_mail",
    "ticket_reply_in_app",
    "product_news_mail",
    "product_news_in_app",
    "scans_summary_mail",
    "scans_summary_in_app",
)
EDITABLE = ("generation_failed_mail", *_SWITCHES)


def parse_failure_mail(value: object) -> FailureMail:
    """`each`, `digest` or `off` (any case, surrounding spaces ignored)."""
    text = value.strip().lower() if isinstance(value, str) else ""
    try:
        return FailureMail(text)
    except ValueError:
        raise ValidationError(
            "The failure mail is one of: each, digest, off.",
            code="invalid_notification_setting",
            detail=repr(value)[:80],
        ) from None


_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0"}


def parse_switch(name: str, value: object) -> bool:
    """A boolean, or the words a form sends for one (on/off, true/false, yes/no, 1/0)."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _ON:
        return True
    if text in _OFF:
        return False
    raise ValidationError(
        f"Say on or off for {name.replace('_', ' ')}.",
        code="invalid_notification_setting",
        detail=repr(value)[:80],
    )
