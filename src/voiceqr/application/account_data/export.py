"""The owner takes their data away: an archive of everything the account holds, built
by a background job with flat memory, and a mailed link that works for seven days.

The archive (a ZIP) holds `account.json` (described by the `README.md` beside it, and
in docs/account-export.md: keep the three in step, and raise `SCHEMA_VERSION` when a
key changes), every MP3 of every revision, and every printed code as an SVG QR code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.account_data.ports import (
    AccountDataUnitOfWork,
    AccountRecord,
    ArchiveWriter,
)
from voiceqr.application.accounts.ports import SessionStore
from voiceqr.application.generations.batch import ArchiveFile
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.jobs import AfterCommit, Jobs
from voiceqr.application.shared.ports import AudioRange, AudioStorage, QrRenderer
from voiceqr.application.support.tickets import TicketThread
from voiceqr.domain.account_data.export import SCHEMA_VERSION, AccountExport, ExportStatus
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor
from voiceqr.domain.compliance.documents import Acceptance
from voiceqr.domain.generations.generation import scanned_url
from voiceqr.domain.shared.errors import Conflict, NotFound
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)

EXPORT_ACCOUNT = "voiceqr.export_account"
QR_SIZE = 512

README = """# Your voiceqr data

This archive holds everything your voiceqr account held on {made}.

- `account.json`: your data, described below (schema version {version}).
- `audio/`: every MP3 of every version of your generations (`CODE-VERSION.mp3`).
- `qr/`: every QR code you printed, as SVG (`CODE.svg`).

## account.json

- `schema_version`: this description's version.
- `exported_at`: when the archive was made (UTC, ISO 8601, like every time in it).
- `account`: id, email, name, role, status, created_at, email_verified_at,
  locked_until, terms_accepted_at, totp_enabled_at, password_changed_at, has_password.
  No password hash or two-factor secret.
- `preferences`: default voice, QR size, draft, time zone (null: defaults).
- `notification_settings`: which mail and in-app notices you chose per kind (null:
  defaults).
- `notices`: your in-app notices, oldest first (kind, text, link, created_at, read_at).
- `sessions`: the sign-ins open when the archive was made: created_at, last_seen_at,
  expires_at, ip, device, browser, country, method.
- `login_activity`: sign-ins and failed attempts kept (newest first).
- `api_keys`: name, prefix, scopes, created_at, last_used_at, revoked_at. Never a secret.
- `social_identities`: the providers you sign in with (provider, email, created_at).
- `folders`, `tags`: id, name, created_at.
- `generations`: id, public_code, title (yours, or the first words of the text), text,
  voice_id, status, created_at, completed_at,
  deleted_at, characters_billed, folder, tags, scans, listens, qr_file, and
  `revisions` (number, text, voice_id, created_at, completed_at, audio_bytes, audio_file).
- `terms_accepted`: every version of the terms of service and the privacy policy you
  accepted, oldest first: kind (terms or privacy), version, accepted_at, and how
  (signup, social_signup, or reacceptance: the page a changed version asked you on).
- `support_tickets`: your tickets, newest first (id, subject, status, priority,
  created_at, first_reply_at, resolved_at, closed_at, generation_id, error_category,
  error_code, and `messages`: from_staff, author, body, created_at); staff's internal
  notes are not yours and are left out.
"""


@dataclass(slots=True, kw_only=True)
class AccountExports:
    """Asking for an archive, building it in the background, and downloading it."""

    uow: Callable[[], AccountDataUnitOfWork]
    sessions: SessionStore
    storage: AudioStorage
    archives: ArchiveWriter
    qr: QrRenderer
    jobs: Jobs
    notifications: Notifications
    clock: Callable[[], datetime]
    playback_url: Callable[[str], str]
    tickets: Callable[[UUID], Awaitable[Sequence[TicketThread]]]  # with public messages only
    acceptances: Callable[[UUID], Awaitable[Sequence[Acceptance]]]  # oldest first

    async def request(
        self, user: User, *, ip: str = "", actor: Actor | None = None
    ) -> AccountExport:
        """A new archive of the account; one at a time (409 while one is being built).
        `actor`: who asks when not the owner (the operator at the CLI)."""
        now = self.clock()
        export = AccountExport(id=uuid7(), user_id=user.id, requested_at=now)
        after = AfterCommit(self.jobs)
        async with self.uow() as uow:
            if any(
                e.status is ExportStatus.PENDING
                for e in await uow.account_exports.list_for_user(user.id)
            ):
                raise Conflict(
                    "An archive is already being made; you will get an email.",
                    code="export_in_progress",
                )
            await uow.account_exports.add(export)
            await record(
                uow, user, "account.export", target=("account_export", export.id), now=now, ip=ip
            )
            after.enqueue(EXPORT_ACCOUNT, str(export.id))
            await after.commit(uow)
        await after.send()
        return export

    async def of(self, user: User, export_id: UUID) -> AccountExport:
        """One of the owner's exports; another account's is not found."""
        async with self.uow() as uow:
            export = await uow.account_exports.get(export_id)
        if export is None or export.user_id != user.id:
            raise NotFound("No such archive.", code="export_not_found")
        return export

    async def list_for(self, user: User) -> list[AccountExport]:
        async with self.uow() as uow:
            return await uow.account_exports.list_for_user(user.id)

    async def download(
        self, user: User, export_id: UUID, *, ip: str = ""
    ) -> tuple[AccountExport, AudioRange]:
        """The archive's bytes, streamed: the owner's only, while the link works (410 after)."""
        export = await self.of(user, export_id)
        now = self.clock()
        export.check_downloadable(now)
        stream = await self.storage.read_range(export.storage_key, 0, None)
        async with self.uow() as uow:
            await record(
                uow,
                user,
                "account.export_download",
                target=("account_export", export.id),
                now=now,
                ip=ip,
            )
            await uow.commit()
        return export, stream

    async def build(self, export_id: UUID) -> bool:
        """The job: build the archive and mail the link; False when there is nothing to do."""
        now = self.clock()
        async with self.uow() as uow:
            export = await uow.account_exports.get(export_id)
            if export is None or not export.claim(now):
                return False
            await uow.account_exports.save(export)
            await uow.commit()
        try:
            async with self.uow() as uow:
                records = await uow.account_records.read(export.user_id)
            sessions = await self.sessions.list_for_user(export.user_id)
            document = dict(records.document)
            document["sessions"] = [
                {
                    "created_at": s.created_at.isoformat(),
                    "last_seen_at": s.last_seen_at.isoformat(),
                    "expires_at": s.expires_at.isoformat(),
                    **{k: getattr(s, k) for k in ("ip", "device", "browser", "country", "method")},
                }
                for s in sessions
            ]
            document["terms_accepted"] = [
                {
                    "kind": str(a.kind),
                    "version": a.version,
                    "accepted_at": a.accepted_at.isoformat(),
                    "how": str(a.how),
                }
                for a in await self.acceptances(export.user_id)
            ]
            document["support_tickets"] = [
                _ticket(thread) for thread in await self.tickets(export.user_id)
            ]
            size = await self.archives.write(
                export.storage_key, self._files(records, document, now)
            )
        except Exception:
            log.exception(
                "the archive of an account could not be made", extra={"export_id": str(export_id)}
            )
            async with self.uow() as uow:
                export.attempt_failed()
                await uow.account_exports.save(export)
                await uow.commit()
            raise
        async with self.uow() as uow:
            export.complete(self.clock(), size)
            await uow.account_exports.save(export)
            user = await uow.users.get(export.user_id)
            if user is not None:
                await self.notifications.send(
                    uow,
                    "account_export_ready",
                    to=user.email,
                    link=self.notifications.link(f"/profile/exports/{export.id}/download"),
                    name=user.name,
                    until=f"{export.expires_at:%Y-%m-%d %H:%M} UTC",
                )
            await uow.commit()
        return True

    async def sweep(self) -> int:
        """Wake a worker for every pending export no worker holds; returns how many."""
        async with self.uow() as uow:
            due = await uow.account_exports.due(self.clock(), limit=100)
        for export_id in due:
            await self.jobs.enqueue(EXPORT_ACCOUNT, str(export_id))
        return len(due)

    async def _files(
        self, records: AccountRecord, document: dict[str, object], now: datetime
    ) -> AsyncIterator[ArchiveFile]:
        document = {
            "schema_version": SCHEMA_VERSION,
            "exported_at": now.isoformat(),
            **document,
        }
        data = json.dumps(document, indent=2, ensure_ascii=False).encode()
        yield ArchiveFile("account.json", now, len(data), _once(data), compress=True)
        readme = README.format(made=f"{now:%Y-%m-%d}", version=SCHEMA_VERSION).encode()
        yield ArchiveFile("README.md", now, len(readme), _once(readme), compress=True)
        for code in records.codes:
            svg = self.qr.svg(scanned_url(self.playback_url(code)), size=QR_SIZE)
            yield ArchiveFile(f"qr/{code}.svg", now, len(svg), _once(svg), compress=True)
        for audio in records.audio:
            try:
                stream = await self.storage.read_range(audio.storage_key, 0, None)
            except NotFound:
                continue  # removed meanwhile: the JSON still names it
            yield ArchiveFile(audio.path, now, stream.total, stream.chunks, compress=False)


def _ticket(thread: TicketThread) -> dict[str, object]:
    t = thread.ticket
    moments = {
        name: None if getattr(t, name) is None else getattr(t, name).isoformat()
        for name in ("created_at", "first_reply_at", "resolved_at", "closed_at")
    }
    return {
        "id": str(t.id),
        "subject": t.subject,
        "status": str(t.status),
        "priority": str(t.priority),
        **moments,
        "generation_id": None if t.generation_id is None else str(t.generation_id),
        "error_category": t.error_category,
        "error_code": t.error_code,
        "messages": [
            {
                "from_staff": m.from_staff,
                "author": m.author_label,
                "body": m.body,
                "created_at": m.created_at.isoformat(),
            }
            for m in thread.messages
        ],
    }


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
