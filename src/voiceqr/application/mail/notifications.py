"""Mail to people about their account (F5): composed here, written to the outbox table
in the caller's transaction, and delivered by `MailDelivery` with retries.

Account mail (`send`) always goes. Optional mail goes through `notify`, which reads what
the user chose at the moment of sending: mail now, a line in tomorrow's digest, an
in-app notice, or nothing; optional mail carries a one-click unsubscribe link.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from voiceqr.application.mail.ports import Mailer, MailMessage, MailUnitOfWork
from voiceqr.application.mail.unsubscribe import UnsubscribeTokens
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.mail.notices import DigestItem, Notice
from voiceqr.domain.mail.outbox import MAIL_RETRY_DELAY, OutboxMessage, OutboxStatus
from voiceqr.domain.mail.preferences import FailureMail, MailKind, NotificationSettings
from voiceqr.domain.shared.errors import ExternalServiceError
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Template:
    subject: str
    paragraphs: tuple[str, ...]
    action: str | None = None  # the button's label, when the mail carries a link


TEMPLATES: dict[str, _Template] = {
    "verify_email": _Template(
        "Confirm your email address",
        (
            "Hello {name},",
            "Welcome to voiceqr. Confirm that this is your email address to start making "
            "spoken QR codes.",
            "The link works for 48 hours. If you did not sign up, ignore this mail.",
        ),
        "Confirm my email",
    ),
    "welcome": _Template(
        "Welcome to voiceqr",
        (
            "Hello {name},",
            "Your email address is confirmed. Type a text, pick a voice and print the QR "
            "code: whoever scans it hears your words.",
        ),
        "Make my first spoken QR code",
    ),
    "signup_attempt": _Template(
        "Someone tried to sign up with your email",
        (
            "Hello {name},",
            "Someone tried to create a voiceqr account with this email address, which "
            "already has one. If it was you, sign in or reset your password.",
            "If it was not you, you can ignore this mail: nothing changed.",
        ),
        "Reset my password",
    ),
    "reset_password": _Template(
        "Reset your voiceqr password",
        (
            "Hello {name},",
            "Someone (hopefully you) asked to reset the password of your voiceqr account.",
            "The link works once, for 30 minutes. If you did not ask, ignore this mail: "
            "your password stays as it is.",
        ),
        "Choose a new password",
    ),
    "account_export_ready": _Template(
        "Your voiceqr data is ready to download",
        (
            "Hello {name},",
            "The archive of your voiceqr account you asked for is ready: your data, every "
            "audio file and every QR code. The link works until {until}, for you signed in.",
        ),
        "Download my data",
    ),
    "password_changed": _Template(
        "Your voiceqr password was changed",
        (
            "Hello {name},",
            "The password of your voiceqr account was changed on {when} and every other "
            "session was signed out.",
            "If this was not you, reset your password at once and contact support.",
        ),
        "Reset my password",
    ),
    "account_locked": _Template(
        "Your voiceqr account is locked for 15 minutes",
        (
            "Hello {name},",
            "There were too many failed sign-ins to your account, so it is locked for 15 "
            "minutes. If this was you, unlock it now with the link below (it works once).",
            "If it was not you, someone may be guessing your password: consider changing it.",
        ),
        "Unlock my account",
    ),
    "change_email": _Template(
        "Confirm your new email address",
        (
            "Hello {name},",
            "Confirm this address to make it the email of your voiceqr account. Until you "
            "do, your old address stays in use. The link works for 24 hours.",
        ),
        "Confirm my new email",
    ),
    "email_change_requested": _Template(
        "Your voiceqr email is being changed",
        (
            "Hello {name},",
            "Someone asked to change the email of your voiceqr account to {new_email}. It "
            "takes effect once that address is confirmed.",
            "If this was not you, change your password at once.",
        ),
        None,
    ),
    "email_changed": _Template(
        "Your voiceqr email was changed",
        (
            "Hello {name},",
            "Your voiceqr account now uses {new_email}. Mail will no longer come to this address.",
        ),
        None,
    ),
    "account_created": _Template(
        "Your voiceqr account is ready",
        (
            "Hello {name},",
            "voiceqr support made an account for you with this email address. Choose your "
            "password with the link below to sign in (it works once, for 7 days).",
            "Then type a text, pick a voice and print the QR code: whoever scans it hears "
            "your words.",
        ),
        "Choose my password",
    ),
    "support_password_reset": _Template(
        "Choose a new voiceqr password",
        (
            "Hello {name},",
            "voiceqr support sent you this link to choose a new password for your account.",
            "The link works once, for 30 minutes. Your current password keeps working "
            "until you use it.",
        ),
        "Choose a new password",
    ),
    "password_reset_required": _Template(
        "Choose a new voiceqr password to sign in",
        (
            "Hello {name},",
            "voiceqr support reset the password of your account: the old one no longer "
            "works and every session was signed out. Choose a new password with the link "
            "below (it works once, for 30 minutes); when it has expired, use "
            '"Forgot password" on the sign-in page.',
        ),
        "Choose a new password",
    ),
    "generation_failed": _Template(
        "We could not make your spoken QR code",
        (
            "Hello {name},",
            'We could not make the audio for "{excerpt}". {reason}',
            "What to do: {advice}",
        ),
        "See the generation",
    ),
    "ticket_reply": _Template(
        "Re: {subject}",
        (
            "Hello {name},",
            "voiceqr support answered your ticket:",
            "{reply}",
            "Reply on the ticket's page: your answer reaches us there.",
        ),
        "Open the ticket",
    ),
    "moderation_decision": _Template(
        "About your voiceqr code {code}",
        (
            "Hello {name},",
            "Our moderators reviewed the audio of your code {code}. {decision}",
            "Why: {reason}",
            "If you think this is a mistake, you can appeal once from the generation's "
            "page; a moderator reads every appeal.",
        ),
        "See the generation",
    ),
    "report_outcome": _Template(
        "Your report of voiceqr code {code}",
        (
            "Hello,",
            "Thank you for reporting the audio of code {code}. {outcome}",
            "You get this one message because you left your email with the report.",
        ),
        None,
    ),
    "moderation_escalated": _Template(
        "voiceqr moderation: {count} items waited over {hours} hours",
        (
            "Hello {name},",
            "{count} moderation items waited for a decision for more than {hours} hours "
            "and were escalated to administrators.",
        ),
        "Open the moderation queue",
    ),
    "failure_digest": _Template(
        "voiceqr: {count} spoken QR codes could not be made",
        (
            "Hello {name},",
            "Since our last digest, these generations failed for good:",
            "{items}",
            "Each generation's page says what went wrong and what to do.",
        ),
        "See my generations",
    ),
    "product_news": _Template(
        "{subject}",
        ("Hello {name},", "{news}"),
        None,
    ),
    "scans_summary": _Template(
        "Your week on voiceqr: {scans} scans, {listens} listens",
        (
            "Hello {name},",
            "In the last 7 days your spoken QR codes were scanned {scans} times and "
            "listened to {listens} times.",
            "Your most scanned codes:",
            "{codes}",
        ),
        "Open my analytics",
    ),
    "failure_rate_alert": _Template(
        "voiceqr alert: {percent} of generation attempts are failing",
        (
            "Hello {name},",
            "{failed} of the {finished} generation attempts that finished in the last "
            "{minutes} minutes failed ({percent}; the alert threshold is {threshold}).",
            "Most failures: {categories}.",
            "The failure dashboard shows the categories over time and the latest failed "
            "generations. This alert is not sent again for {cooldown} minutes.",
        ),
        "Open the failure dashboard",
    ),
}


@dataclass(frozen=True, slots=True)
class Notified:
    """What `notify` did with one message."""

    mailed: bool = False
    kept_for_digest: bool = False
    noticed: bool = False


class Notifications:
    """Writes mail to the outbox of the caller's unit of work (same transaction)."""

    def __init__(
        self,
        *,
        public_base_url: str,
        clock: Callable[[], datetime],
        unsubscribe: UnsubscribeTokens,
    ) -> None:
        self._base = public_base_url.rstrip("/")
        self._clock = clock
        self._unsubscribe = unsubscribe

    def link(self, path: str) -> str:
        return f"{self._base}{path}"

    def unsubscribe_link(self, user: User, kind: MailKind) -> str:
        return self.link(f"/unsubscribe/{self._unsubscribe.token(user.id, kind)}")

    async def notify(
        self,
        uow: MailUnitOfWork,
        user: User,
        kind: MailKind,
        *,
        path: str,
        notice: str,
        **values: str,
    ) -> Notified:
        """An optional message about `path` (a page of the site), as `user` chose for
        `kind` right now: a notice in the app (`notice` is its text), and the mail of the
        template named like the kind, now or in the next daily digest, or not at all."""
        settings = await uow.notification_settings.get(user.id) or NotificationSettings.defaults(
            user.id
        )
        now = self._clock()
        noticed = settings.in_app(kind)
        if noticed:
            await uow.notices.add(Notice(uuid7(), user.id, kind, notice, path, created_at=now))
        if (
            kind is MailKind.GENERATION_FAILED
            and settings.generation_failed_mail is FailureMail.DAILY_DIGEST
        ):
            await uow.mail_digest.add(DigestItem(uuid7(), user.id, kind, notice, path, now))
            return Notified(kept_for_digest=True, noticed=noticed)
        if not settings.mails(kind):
            return Notified(noticed=noticed)
        await self.send(
            uow,
            str(kind),
            to=user.email,
            link=self.link(path),
            unsubscribe=self.unsubscribe_link(user, kind),
            name=user.name,
            **values,
        )
        return Notified(mailed=True, noticed=noticed)

    async def welcome(self, uow: MailUnitOfWork, user: User) -> OutboxMessage:
        return await self.send(
            uow, "welcome", to=user.email, name=user.name, link=self.link("/generations/new")
        )

    async def password_changed(
        self, uow: MailUnitOfWork, user: User, when: datetime
    ) -> OutboxMessage:
        return await self.send(
            uow,
            "password_changed",
            to=user.email,
            name=user.name,
            when=when.strftime("%Y-%m-%d %H:%M UTC"),
            link=self.link("/forgot-password"),
        )

    async def send(
        self,
        uow: MailUnitOfWork,
        kind: str,
        *,
        to: str,
        link: str | None = None,
        unsubscribe: str | None = None,
        **values: str,
    ) -> OutboxMessage:
        """Queue the mail of template `kind`; with an `unsubscribe` link (optional mail
        only, never account mail) it carries the RFC 8058 one-click headers and a footer."""
        template = TEMPLATES[kind]
        paragraphs = [p.format(**values) for p in template.paragraphs]
        text = "\n\n".join(paragraphs)
        # A paragraph may be a list, one line per item.
        body = "".join(
            f"<p>{'<br>'.join(html.escape(line) for line in p.splitlines())}</p>"
            for p in paragraphs
        )
        if link is not None and template.action is not None:
            text += f"\n\n{template.action}: {link}"
            body += (
                f'<p><a href="{html.escape(link)}" style="display:inline-block;padding:10px '
                f'16px;background:#3b5bdb;color:#fff;border-radius:6px;text-decoration:none">'
                f"{html.escape(template.action)}</a></p>"
                f'<p style="color:#666;font-size:13px">Or open {html.escape(link)}</p>'
            )
        text += "\n\n-- voiceqr\n"
        footer = "voiceqr"
        headers: dict[str, str] = {}
        if unsubscribe is not None:
            text += f"Stop these mails: {unsubscribe}\n"
            footer += (
                f' · <a href="{html.escape(unsubscribe)}" style="color:#666">'
                "Unsubscribe from these mails</a>"
            )
            headers = {
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        page = (
            '<!doctype html><html><body style="font-family:system-ui,sans-serif;'
            f'max-width:560px;margin:auto;color:#1b1b1f">{body}'
            f'<p style="color:#666;font-size:13px">{footer}</p></body></html>'
        )
        now = self._clock()
        message = OutboxMessage(
            id=uuid7(),
            to=to,
            subject=template.subject.format(**values),
            text=text,
            html=page,
            kind=kind,
            created_at=now,
            next_attempt_at=now,
            headers=headers,
        )
        await uow.outbox.add(message)
        return message


class MailDelivery:
    """Sends due outbox mail: 3 attempts, 5 minutes apart, then marked failed for admins."""

    def __init__(
        self, *, uow: Callable[[], MailUnitOfWork], mailer: Mailer, clock: Callable[[], datetime]
    ) -> None:
        self._uow = uow
        self._mailer = mailer
        self._clock = clock

    async def outbox(
        self, actor: Actor, *, failed_only: bool = False, limit: int = 100
    ) -> list[OutboxMessage]:
        """The outbox newest first (only the mail that gave up, if asked)."""
        require(actor, Permission.READ_MAIL_OUTBOX)
        async with self._uow() as uow:
            status = OutboxStatus.FAILED if failed_only else None
            return await uow.outbox.list(status=status, limit=limit)

    async def deliver_due(self, *, limit: int = 100) -> int:
        """Send what is due; returns how many were sent."""
        async with self._uow() as uow:
            due = await uow.outbox.due(now=self._clock(), limit=limit)
        sent = 0
        for message in due:
            # Claim first, so two senders (several workers, or the dev mailbox page and
            # the sweeper) never send one message twice; a sender that dies mid-way
            # leaves the claim to expire like a retry.
            async with self._uow() as uow:
                claimed = await uow.outbox.claim(
                    message.id,
                    seen_due_at=message.next_attempt_at,
                    until=self._clock() + MAIL_RETRY_DELAY,
                )
                await uow.commit()
            if not claimed:
                continue
            try:
                await self._mailer.send(
                    MailMessage(
                        to=message.to,
                        subject=message.subject,
                        text=message.text,
                        html=message.html,
                        headers=dict(message.headers),
                    )
                )
            except ExternalServiceError as exc:
                message.delivery_failed(
                    f"{exc.code}: {exc.message}", retryable=exc.retryable, now=self._clock()
                )
                log.warning(
                    "mail delivery failed",
                    extra={
                        "mail_id": str(message.id),
                        "attempt": message.attempts,
                        "code": exc.code,
                        "status": str(message.status),
                    },
                )
            except Exception as exc:  # an unknown failure is retried like a transient one
                message.delivery_failed(repr(exc), retryable=True, now=self._clock())
                log.exception("mail delivery failed", extra={"mail_id": str(message.id)})
            else:
                message.delivered(self._clock())
                sent += 1
            async with self._uow() as uow:
                await uow.outbox.update(message)
                await uow.commit()
        return sent
