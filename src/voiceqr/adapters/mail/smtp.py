"""A mailer that delivers through an SMTP relay with aiosmtplib."""

from __future__ import annotations

from typing import Literal, NoReturn

import aiosmtplib

from voiceqr.adapters.mail.message import build_email
from voiceqr.application.mail.ports import MailMessage
from voiceqr.domain.shared.errors import ErrorCategory, ExternalServiceError

Security = Literal["none", "starttls", "tls"]


class SmtpMailer:
    """Sends each message over its own SMTP connection.

    `security`: "tls" connects with implicit TLS (usually port 465), "starttls" upgrades
    a plain connection and fails if the server cannot (usually port 587), "none" never
    encrypts (local relays and tests only).

    Failures raise `ExternalServiceError` in the provider category: code `mail_rejected`
    (not retryable) for permanent 5xx answers, `mail_unavailable` (retryable) for
    connection problems, timeouts and temporary 4xx answers.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 10,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"unknown SMTP security mode {security!r}")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout

    async def send(self, message: MailMessage) -> None:
        email = build_email(message, self.sender)
        # STARTTLS and login are done here rather than by aiosmtplib.send so that a
        # server lacking them is told apart from one that is merely down: aiosmtplib
        # reports both as a bare SMTPException.
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=False,
            timeout=self.timeout,
        )
        try:
            async with client:
                if self.security == "starttls":
                    await client.ehlo()
                    if not client.supports_extension("starttls"):
                        self._misconfigured("does not offer STARTTLS")
                    await client.starttls()
                if self.username is not None:
                    await client.ehlo()
                    if not client.supports_extension("auth"):
                        self._misconfigured("does not offer AUTH")
                    await client.login(self.username, self.password or "")
                await client.send_message(email)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise _refused([r.code for r in exc.recipients], detail) from exc
        except aiosmtplib.SMTPResponseException as exc:
            detail = f"{self.host}:{self.port}: {exc.code} {exc.message}"
            raise _refused([exc.code], detail) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise _unavailable(f"{self.host}:{self.port}: {exc!r}") from exc

    def _misconfigured(self, what: str) -> NoReturn:
        # The server will not learn STARTTLS or AUTH by the next attempt.
        raise _error(
            "The mail server does not support the configured connection.",
            "mail_unavailable",
            f"{self.host}:{self.port} {what}",
            retryable=False,
        )


def _refused(codes: list[int], detail: str) -> ExternalServiceError:
    """A temporary (4xx) refusal may pass on a later attempt; a permanent one never will."""
    if codes and all(400 <= code < 500 for code in codes):
        return _unavailable(detail)
    return _error("The mail server rejected the message.", "mail_rejected", detail, retryable=False)


def _unavailable(detail: str) -> ExternalServiceError:
    return _error("The mail server is unavailable.", "mail_unavailable", detail, retryable=True)


def _error(message: str, code: str, detail: str, *, retryable: bool) -> ExternalServiceError:
    return ExternalServiceError(
        message, category=ErrorCategory.PROVIDER, code=code, retryable=retryable, detail=detail
    )
