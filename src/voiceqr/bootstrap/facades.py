"""One facade per feature: what entrypoints may call, and nothing they may not.

Each groups the feature's use cases; the few methods here are the feature's questions
that an entrypoint used to answer by reaching an adapter (a QR image, a media range).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voiceqr.adapters.mail.outbox import OutboxEntry, list_outbox, read_outbox_message
from voiceqr.adapters.queue.health import QueueHealth
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.api_keys import ApiKeys
from voiceqr.application.accounts.held_sign_ins import HeldSignIns
from voiceqr.application.accounts.social_sign_in import SocialSignIn
from voiceqr.application.accounts.staff import StaffAccounts
from voiceqr.application.accounts.timeline import UserTimeline
from voiceqr.application.accounts.two_factor import TwoFactor
from voiceqr.application.accounts.view_as import ViewAs
from voiceqr.application.analytics.dashboards import Dashboards
from voiceqr.application.analytics.rollups import RollUps
from voiceqr.application.compliance.acceptances import Acceptances
from voiceqr.application.compliance.documents import LegalDocuments
from voiceqr.application.generations.batch import GenerationBatches
from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.generations import Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.previews import Previews
from voiceqr.application.generations.qr_designs import QrDesigns
from voiceqr.application.generations.revisions import GenerationRevisions
from voiceqr.application.mail.digests import ScheduledMail
from voiceqr.application.mail.notifications import MailDelivery
from voiceqr.application.mail.preferences import Notices, NotificationPreferences
from voiceqr.application.moderation.decisions import ModerationDecisions
from voiceqr.application.moderation.filters import FilterTerms
from voiceqr.application.moderation.flags import ModerationFlags
from voiceqr.application.moderation.history import Transparency
from voiceqr.application.moderation.owners import ModerationNotices
from voiceqr.application.moderation.queue import ModerationQueue
from voiceqr.application.moderation.reports import ContentReports
from voiceqr.application.moderation.review import HeldGenerations
from voiceqr.application.moderation.rules import FlaggingRules
from voiceqr.application.moderation.screening import ContentScreening
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.playback.playback import Playback
from voiceqr.application.shared.ports import AudioRange, AudioStorage, QrRenderer
from voiceqr.application.support.queue import SupportQueue
from voiceqr.application.support.tickets import HelpDesk
from voiceqr.domain.generations.generation import Generation, scanned_url


@dataclass(frozen=True, slots=True)
class AccountsFeature:
    """Sign-up and sign-in, two-factor, API keys, and sign-in with Google or Microsoft."""

    accounts: Accounts
    two_factor: TwoFactor
    api_keys: ApiKeys
    social_sign_in: SocialSignIn
    held_sign_ins: HeldSignIns  # sign-ins waiting for the 2FA code, social or password
    staff: StaffAccounts  # staff at work on other people's accounts
    timeline: UserTimeline  # what happened on an account, from every feature
    view_as: ViewAs  # staff viewing the site as a user, read-only


@dataclass(frozen=True, slots=True)
class AnalyticsFeature:
    """The owners' dashboards, and the roll-ups that keep them fast."""

    dashboards: Dashboards
    rollups: RollUps


@dataclass(frozen=True, slots=True)
class GenerationsFeature:
    """Generations, their revisions and failures, folders and tags, and batches."""

    generations: Generations
    revisions: GenerationRevisions
    failures: GenerationFailures
    folders: FoldersAndTags
    previews: Previews  # comparing voices side by side
    batches: GenerationBatches
    qr_designs: QrDesigns  # how the printed codes look, and their SVG, PNG and PDF files
    playback_url: Callable[[str], str]  # the public page a printed code opens
    _qr: QrRenderer
    _storage: AudioStorage

    def qr_image(
        self,
        generation: Generation,
        kind: Literal["svg", "png"],
        *,
        size: int,
        placement: str = "",
    ) -> bytes:
        url = scanned_url(self.playback_url(generation.public_code), placement)
        return self._qr.png(url, size=size) if kind == "png" else self._qr.svg(url, size=size)

    def qr_svg(self, url: str, *, size: int) -> bytes:
        """A plain code for any page or file of ours (the landing page's example)."""
        return self._qr.svg(url, size=size)

    async def audio(self, generation: Generation) -> bytes:
        """The live audio of a completed generation."""
        if generation.audio_key is None:
            raise ValueError("The generation has no audio yet.")
        return await self._storage.get(generation.audio_key)


@dataclass(frozen=True, slots=True)
class PlaybackFeature:
    """The public playback page, and the audio files the app serves itself."""

    playback: Playback
    _storage: AudioStorage
    serves_media: bool  # audio kept in local files is served by the app under /media

    async def media_range(
        self, key: str, start: int, end: int | None, *, withheld_too: bool = False
    ) -> AudioRange:
        """Bytes of stored audio for an HTTP Range request (see AudioStorage.read_range);
        Withheld (451) for the audio of a code moderation keeps back, unless
        `withheld_too` (a moderator reviewing it)."""
        if not withheld_too:
            await self.playback.check_audio(key)
        return await self._storage.read_range(key, start, end)


@dataclass(frozen=True, slots=True)
class MailFeature:
    """Mail delivery from the outbox, the development mailbox, what each user chose to
    receive (and the unsubscribe links), their in-app notices, and scheduled mail."""

    delivery: MailDelivery
    outbox: Path | None  # development mail written to the data dir, readable on a page
    preferences: NotificationPreferences
    notices: Notices
    scheduled: ScheduledMail

    @property
    def dev_mailbox_enabled(self) -> bool:
        return self.outbox is not None

    async def dev_mailbox(self, limit: int = 200) -> list[OutboxEntry] | None:
        """The sent mail, newest first, once due mail is delivered; None unless enabled."""
        if self.outbox is None:
            return None
        await self.delivery.deliver_due()
        return await asyncio.to_thread(list_outbox, self.outbox, limit)

    async def dev_mailbox_message(self, filename: str) -> OutboxEntry | None:
        """One sent message (NotFound for an unknown name); None unless enabled."""
        if self.outbox is None:
            return None
        return await asyncio.to_thread(read_outbox_message, self.outbox, filename)


@dataclass(frozen=True, slots=True)
class OperationsFeature:
    """The audit log, the failure-rate alert, and what the platform depends on."""

    audit: AuditTrail
    failure_monitor: FailureMonitor
    queue_health: QueueHealth  # what this process last saw of the job queue
    _checks: Mapping[str, Callable[[], Awaitable[None]]]  # the database, the storage

    async def readiness(self) -> dict[str, str]:
        """Each dependency and 'ok' or what is wrong (for /readyz)."""
        report: dict[str, str] = {}
        for name, check in self._checks.items():
            try:
                await check()
                report[name] = "ok"
            except Exception as exc:
                report[name] = f"unavailable: {type(exc).__name__}"
        state = await self.queue_health.check(max_age=0)
        report["queue"] = "ok" if state.reachable else f"unavailable: {state.reason}"
        return report


@dataclass(frozen=True, slots=True)
class ComplianceFeature:
    """The terms of service and privacy policy: their versions, and who accepted which."""

    documents: LegalDocuments
    acceptances: Acceptances


@dataclass(frozen=True, slots=True)
class ModerationFeature:
    """Content moderation: flags (by staff, filters and rules), the queue and decisions."""

    flags: ModerationFlags
    reports: ContentReports  # visitors' reports from the playback page
    queue: ModerationQueue
    decisions: ModerationDecisions
    notices: ModerationNotices  # the owner's side: the decision, the appeal
    transparency: Transparency
    # Automation: the text filter and rules every text passes, the staff's terms, the
    # rules admins edit and try, and the generations the filter held for review.
    screening: ContentScreening
    terms: FilterTerms
    rules: FlaggingRules
    held: HeldGenerations


@dataclass(frozen=True, slots=True)
class SupportFeature:
    """Support tickets: the users' help desk and the staff queue."""

    help_desk: HelpDesk
    queue: SupportQueue
