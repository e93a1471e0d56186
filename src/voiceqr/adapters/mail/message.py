"""Builds the RFC 5322 message every mailer sends or stores."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from voiceqr.application.mail.ports import MailMessage
from voiceqr.domain.shared.errors import ValidationError

# Headers the builder owns; letting callers set them would duplicate or contradict them.
_RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "cc", "bcc"}
)
_FALLBACK_DOMAIN = "voiceqr.invalid"


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    """An `EmailMessage` with From, To, Subject, Date and Message-ID set.

    Plain text only, or multipart/alternative (text, then HTML) when `message.html` is
    given. Raises ValidationError `bad_mail_header` for header injection attempts or
    headers the builder owns.
    """
    _check_header_value("To", message.to)
    _check_recipient(message.to)
    _check_header_value("Subject", message.subject)
    _check_header_value("From", sender)
    for name, value in message.headers.items():
        _check_header_name(name)
        _check_header_value(name, value)

    # Line endings stay "\n" here: aiosmtplib re-flattens with CRLF for the wire, and
    # stored .eml files then read back as the text that was written.
    email = EmailMessage(policy=default)
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    # make_msgid() without a domain looks up the host's FQDN, which may block on DNS.
    email["Message-ID"] = make_msgid(domain=_domain_of(sender))
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email


def _domain_of(sender: str) -> str:
    _, address = parseaddr(sender)
    try:
        domain = Address(addr_spec=address).domain
    except (ValueError, IndexError):
        return _FALLBACK_DOMAIN
    return domain or _FALLBACK_DOMAIN


def _check_recipient(to: str) -> None:
    # Exactly one address: a comma in `to` must not fan a message out to strangers.
    addresses = getaddresses([to])
    address = addresses[0][1] if len(addresses) == 1 else ""
    local_part, at, domain = address.rpartition("@")
    if not (at and local_part and domain) or " " in address:
        raise ValidationError(
            "This is not a valid e-mail address.", code="bad_mail_address", detail=repr(to)
        )


def _check_header_name(name: str) -> None:
    if (
        not name
        or name.lower() in _RESERVED_HEADERS
        or name.lower().startswith("content-")
        or any(not (33 <= ord(char) <= 126) or char == ":" for char in name)
    ):
        raise ValidationError(
            "This mail header is not allowed.", code="bad_mail_header", detail=repr(name)
        )


def _check_header_value(name: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValidationError(
            "A mail header contains a line break.",
            code="bad_mail_header",
            detail=f"{name}: {value!r}",
        )
