"""The platform: every feature's use cases built once from one Settings."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from taskiq import AsyncBroker

from voiceqr.adapters.archive import ZipToStorage
from voiceqr.adapters.database import migrate
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.adapters.queue.taskiq import queue_health, trim_acknowledged
from voiceqr.application.account_data.deletion import AccountDeletions
from voiceqr.application.account_data.export import AccountExports
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.api_keys import ApiKeys
from voiceqr.application.accounts.held_sign_ins import HeldSignIns
from voiceqr.application.accounts.policy import AccountPolicy
from voiceqr.application.accounts.sealed_records import SealedRecords
from voiceqr.application.accounts.social_sign_in import SocialSignIn
from voiceqr.application.accounts.staff import StaffAccounts
from voiceqr.application.accounts.timeline import (
    ApiKeyUse,
    Sessions,
    SignIns,
    StaffActions,
    UserTimeline,
)
from voiceqr.application.accounts.two_factor import TwoFactor
from voiceqr.application.accounts.view_as import ViewAs
from voiceqr.application.analytics.dashboards import Dashboards
from voiceqr.application.analytics.rollups import RollUps
from voiceqr.application.compliance.acceptances import Acceptances
from voiceqr.application.compliance.documents import LegalDocuments
from voiceqr.application.compliance.timeline import LegalAcceptances
from voiceqr.application.generations.batch import GenerationBatches
from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.generations import Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.previews import Previews
from voiceqr.application.generations.qr_designs import QrDesigns
from voiceqr.application.generations.revisions import GenerationRevisions
from voiceqr.application.generations.timeline import GenerationsMade
from voiceqr.application.mail.digests import ScheduledMail
from voiceqr.application.mail.notifications import MailDelivery, Notifications
from voiceqr.application.mail.preferences import Notices, NotificationPreferences
from voiceqr.application.mail.timeline import MailSent
from voiceqr.application.mail.unsubscribe import UnsubscribeTokens
from voiceqr.application.moderation.decisions import ModerationDecisions
from voiceqr.application.moderation.filters import FilterTerms
from voiceqr.application.moderation.flags import ModerationFlags
from voiceqr.application.moderation.history import DecisionsTaken, Transparency
from voiceqr.application.moderation.owners import ModerationNotices
from voiceqr.application.moderation.queue import ModerationQueue
from voiceqr.application.moderation.reports import ContentReports, ReportLimits
from voiceqr.application.moderation.review import HeldGenerations
from voiceqr.application.moderation.rules import FlaggingRules
from voiceqr.application.moderation.screening import ContentScreening
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.playback.codes import CodeCache
from voiceqr.application.playback.playback import Playback, PublicCode
from voiceqr.application.profile.preferences import Preferences
from voiceqr.application.shared.jobs import Schedule, Scheduler
from voiceqr.application.shared.signed_links import SignedLinks
from voiceqr.application.support.queue import SupportQueue
from voiceqr.application.support.tickets import HelpDesk
from voiceqr.application.support.timeline import TicketsOpened
from voiceqr.application.voices.engagement import VoiceEngagement
from voiceqr.application.voices.gallery import VoiceGallery, VoiceSpec
from voiceqr.application.voices.samples import VoiceSamples
from voiceqr.bootstrap.backends import Adapters, Backends, choose, secret_key
from voiceqr.bootstrap.facades import (
    AccountsFeature,
    AnalyticsFeature,
    ComplianceFeature,
    GenerationsFeature,
    MailFeature,
    ModerationFeature,
    OperationsFeature,
    PlaybackFeature,
    SupportFeature,
)
from voiceqr.bootstrap.legal import default_legal_texts
from voiceqr.bootstrap.scan_weeks import DashboardScanWeeks
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.tallies import Dimension
from voiceqr.domain.generations.generation import Generation, RetryPolicy
from voiceqr.domain.generations.previews import DailyAllowance
from voiceqr.domain.operations.failure_monitoring import AlertPolicy
from voiceqr.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Platform:
    """Everything an entrypoint needs, built from one Settings: a facade per feature.

    `_backends` is what the platform was built with, for its own methods only:
    entrypoints call the facades, and a test that needs an adapter passes it in.
    """

    settings: Settings
    accounts: AccountsFeature
    profile: Preferences
    voices: VoiceGallery
    voice_engagement: VoiceEngagement  # favorites, ratings and reviews of the gallery's voices
    voice_samples: VoiceSamples
    generations: GenerationsFeature
    playback: PlaybackFeature
    analytics: AnalyticsFeature
    mail: MailFeature
    operations: OperationsFeature
    support: SupportFeature
    compliance: ComplianceFeature
    moderation: ModerationFeature
    account_deletions: AccountDeletions
    account_exports: AccountExports
    default_voices: tuple[VoiceSpec, ...]
    _backends: Backends

    @property
    def embedded(self) -> bool:
        return self.settings.is_embedded_database

    @property
    def secret_key(self) -> str:
        """VOICEQR_AUTH_SECRET_KEY, or in development one made once and kept in the data dir."""
        return secret_key(self.settings)

    def country(self, address: str) -> str:
        """Where a client address is, as an ISO 3166 code ("" when unknown or private)."""
        return self._backends.countries.country(address)

    def bind_tasks(self, tasks: Mapping[str, Callable[..., Awaitable[object]]]) -> None:
        """Register job handlers by task name (worker processes, embedded serve)."""
        for name, handler in tasks.items():
            self._backends.broker.register_task(handler, task_name=name)

    def jobs_broker(self) -> AsyncBroker:
        """The broker itself, for the worker's Taskiq receiver (which needs the object)."""
        return self._backends.broker

    def scheduler(self, schedules: Sequence[Schedule]) -> Scheduler:
        """The periodic jobs, each claimed once per period across all workers."""
        return Scheduler(self._backends.schedule_claims, schedules)

    async def trim_queue(self) -> int:
        """Drop the jobs every worker has acknowledged from the broker; returns how many."""
        return await trim_acknowledged(self._backends.broker)

    async def upgrade_database(self, revision: str = "head") -> None:
        if self.embedded:
            self.settings.data_path.mkdir(parents=True, exist_ok=True)
        await migrate.upgrade(self._engine(), revision)

    async def downgrade_database(self, revision: str) -> None:
        await migrate.downgrade(self._engine(), revision)

    async def database_revision(self) -> str | None:
        return await migrate.current(self._engine())

    async def start(self, *, worker: bool = False) -> None:
        """Open connections; in embedded mode also migrate and seed a new data directory."""
        if self.embedded:
            await self.upgrade_database()
            await self.voices.seed(self.default_voices)  # the gallery logs what it adds
            # A first version of the terms and privacy policy, so sign-up links to text.
            await self.compliance.documents.seed(default_legal_texts())
        broker = self._backends.broker
        broker.is_worker_process = worker
        try:
            await broker.startup()
        except Exception:
            if worker:
                raise
            # Only workers need the broker to start. The web app and the CLI keep taking
            # requests: generations wait as pending and a worker's sweep sends them later.
            log.warning("the queue broker is unreachable; generations will wait", exc_info=True)

    async def stop(self) -> None:
        await self._backends.broker.shutdown()
        for close in reversed(self._backends.closers):
            result = close()
            if hasattr(result, "__await__"):
                await result

    def _engine(self) -> Any:
        uow = self._backends.uow
        if not isinstance(uow, SqlUnitOfWorkFactory):
            raise RuntimeError("Migrations need the SQL database.")
        return uow.engine


def build(settings: Settings, adapters: Adapters | None = None) -> Platform:
    """Wire the platform; `adapters` replace the adapters settings choose, e.g. for tests.

    Each service is built once, after the services it needs.
    """
    chosen = choose(settings, adapters or Adapters())
    uow, storage, speech, qr, clock = (
        chosen.uow,
        chosen.storage,
        chosen.speech,
        chosen.qr,
        chosen.clock,
    )
    unsubscribe = UnsubscribeTokens(lambda: secret_key(settings))
    notifications = Notifications(
        public_base_url=settings.public_base_url, clock=clock, unsubscribe=unsubscribe
    )
    two_factor = TwoFactor(
        uow=uow,
        hasher=chosen.hasher,
        limits=chosen.limits,
        secret_box=chosen.secret_box,
        qr=qr,
        clock=clock,
    )
    accounts = Accounts(
        uow=uow,
        sessions=chosen.session_store,
        hasher=chosen.hasher,
        limits=chosen.limits,
        notifications=notifications,
        clock=clock,
        policy=_account_policy(settings),
        second_factor=two_factor.check_at_sign_in,
    )
    staff = StaffAccounts.sharing(accounts)
    sealed_records = SealedRecords(secret=lambda: secret_key(settings))
    held_sign_ins = HeldSignIns(
        accounts=accounts,
        uow=uow,
        one_time_keys=chosen.one_time_keys,
        sealed_records=sealed_records,
        clock=clock,
        second_factor=two_factor.check_at_sign_in,
    )
    social_sign_in = SocialSignIn(
        providers=chosen.openid_providers,
        accounts=accounts,
        uow=uow,
        one_time_keys=chosen.one_time_keys,
        notifications=notifications,
        clock=clock,
        sealed_records=sealed_records,
        held_sign_ins=held_sign_ins,
    )
    codes: CodeCache[PublicCode | None] = CodeCache(seconds=settings.playback.cache_seconds)
    moderation_flags = ModerationFlags(uow=uow, clock=clock)
    screening = ContentScreening(
        uow=uow, word_lists=chosen.word_lists, flags=moderation_flags, clock=clock
    )
    generations = Generations(
        uow=uow,
        jobs=chosen.jobs,
        speech=speech,
        storage=storage,
        clock=clock,
        retry_policy=RetryPolicy(
            max_attempts=settings.jobs.max_attempts, base_seconds=settings.jobs.retry_base_seconds
        ),
        lease=timedelta(seconds=settings.jobs.lease_seconds),
        requeue_after=timedelta(seconds=settings.jobs.requeue_after_seconds),
        notifications=notifications,
        codes=codes,
        screen=screening,
    )
    folders = FoldersAndTags(uow=uow, clock=clock)
    previews = Previews(
        uow=uow,
        jobs=chosen.jobs,
        speech=speech,
        storage=storage,
        clock=clock,
        retry_policy=generations.retry_policy,
        lease=generations.lease,
        requeue_after=generations.requeue_after,
        allowance=DailyAllowance(per_day=settings.previews.per_user_per_day),
        keep=timedelta(days=settings.previews.keep_days),
        screen=screening,
    )
    failures = GenerationFailures(
        uow=uow, notifications=notifications, hand_to_queue=generations.hand_to_queue, clock=clock
    )
    to_playback_page = partial(playback_url, settings)
    help_desk = HelpDesk(uow=uow, clock=clock)
    legal_documents = LegalDocuments(uow=uow, clock=clock)
    acceptances = Acceptances(uow=uow, documents=legal_documents, clock=clock)
    playback = Playback(
        uow=uow,
        storage=storage,
        clock=clock,
        events=chosen.playback_events,
        codes=codes,
        user_agents=chosen.user_agents,
        limits=chosen.limits,
    )
    dashboards = Dashboards(uow=uow, clock=clock, listening=playback)
    return Platform(
        settings=settings,
        accounts=AccountsFeature(
            accounts=accounts,
            two_factor=two_factor,
            api_keys=ApiKeys(
                uow=uow,
                clock=clock,
                rotation_grace=timedelta(hours=settings.auth.api_key_rotation_grace_hours),
            ),
            social_sign_in=social_sign_in,
            held_sign_ins=held_sign_ins,
            staff=staff,
            view_as=ViewAs.sharing(accounts),
            # A user's timeline: one source per kind, in the order of the filter.
            timeline=UserTimeline(
                uow=uow,
                clock=clock,
                sources=(
                    SignIns(uow),
                    Sessions(chosen.session_store),
                    GenerationsMade(uow),
                    ApiKeyUse(uow),
                    MailSent(uow),
                    StaffActions(uow),
                    TicketsOpened(uow),
                    LegalAcceptances(uow),
                    DecisionsTaken(uow),
                ),
            ),
        ),
        profile=Preferences(uow=uow, clock=clock),
        voices=VoiceGallery(uow=uow, storage=storage, speech=speech, clock=clock),
        voice_engagement=VoiceEngagement(uow=uow, clock=clock),
        voice_samples=VoiceSamples(
            uow=uow, storage=storage, speech=speech, audio=chosen.sample_audio, clock=clock
        ),
        generations=GenerationsFeature(
            generations=generations,
            revisions=GenerationRevisions(
                uow=uow,
                speech=speech,
                storage=storage,
                hand_to_queue=generations.hand_to_queue,
                clock=clock,
                screen=screening,
            ),
            failures=failures,
            folders=folders,
            previews=previews,
            batches=GenerationBatches(
                uow=uow,
                generations=generations,
                folders_and_tags=folders,
                playback=playback,
                storage=storage,
                qr=qr,
                playback_url=to_playback_page,
            ),
            qr_designs=QrDesigns(uow=uow, storage=storage, qr=qr, playback_url=to_playback_page),
            playback_url=to_playback_page,
            _qr=qr,
            _storage=storage,
        ),
        playback=PlaybackFeature(
            playback=playback, _storage=storage, serves_media=chosen.media_root is not None
        ),
        analytics=AnalyticsFeature(
            dashboards=dashboards,
            rollups=RollUps(
                uow=uow, clock=clock, retention_months=settings.analytics.retention_months
            ),
        ),
        mail=MailFeature(
            delivery=MailDelivery(uow=uow, mailer=chosen.mailer, clock=clock),
            outbox=_dev_outbox(settings),
            preferences=NotificationPreferences(uow=uow, tokens=unsubscribe),
            notices=Notices(uow=uow, clock=clock),
            scheduled=ScheduledMail(
                uow=uow,
                notifications=notifications,
                scan_weeks=DashboardScanWeeks(dashboards, clock),
                clock=clock,
            ),
        ),
        operations=OperationsFeature(
            audit=AuditTrail(uow=uow),
            failure_monitor=FailureMonitor(
                uow=uow, notifications=notifications, clock=clock, policy=_alert_policy(settings)
            ),
            queue_health=queue_health(chosen.broker),
            _checks={"database": uow.check, "storage": storage.check},
        ),
        support=SupportFeature(
            help_desk=help_desk,
            queue=SupportQueue(
                uow=uow,
                notifications=notifications,
                retry_failed=lambda actor, generation_id, ip: failures.retry(
                    actor, generation_id, ip=ip
                ),
                clock=clock,
            ),
        ),
        compliance=ComplianceFeature(documents=legal_documents, acceptances=acceptances),
        moderation=_moderation(
            settings,
            chosen,
            playback,
            dashboards,
            notifications,
            flags=moderation_flags,
            screening=screening,
            hand_to_queue=generations.hand_to_queue,
        ),
        account_deletions=AccountDeletions(
            uow=uow,
            sessions=chosen.session_store,
            storage=storage,
            jobs=chosen.jobs,
            clock=clock,
            grace=timedelta(days=settings.account.deletion_grace_days),
            forget_code=codes.forget,
        ),
        account_exports=AccountExports(
            uow=uow,
            sessions=chosen.session_store,
            storage=storage,
            archives=ZipToStorage(storage),
            qr=qr,
            jobs=chosen.jobs,
            notifications=notifications,
            clock=clock,
            playback_url=to_playback_page,
            tickets=help_desk.tickets_for_export,
            acceptances=acceptances.of_user,
        ),
        default_voices=chosen.default_voices,
        _backends=chosen,
    )


def _moderation(
    settings: Settings,
    chosen: Backends,
    playback: Playback,
    dashboards: Dashboards,
    notifications: Notifications,
    *,
    flags: ModerationFlags,
    screening: ContentScreening,
    hand_to_queue: Callable[[list[UUID]], Awaitable[int]],
) -> ModerationFeature:
    uow, clock = chosen.uow, chosen.clock
    limits = settings.moderation
    appeal_links = SignedLinks(lambda: secret_key(settings), b"voiceqr/appeal/v1")

    async def scans_by_country(owner: User, generation_id: UUID) -> list[tuple[str, int]]:
        period = dashboards.period(None, None, None)
        found = await dashboards.breakdown(owner, period, Dimension.COUNTRY, generation_id)
        return [(row.value, row.counts.scans) for row in found.rows]

    async def audio_url(generation: Generation) -> str | None:
        key = generation.audio_key
        return None if key is None else await chosen.storage.url(key)

    return ModerationFeature(
        flags=flags,
        reports=ContentReports(
            uow=uow,
            screening=screening,
            limits=chosen.limits,
            clock=clock,
            visitor_key=playback.visitor_key,
            report_limits=ReportLimits(
                per_visitor_per_hour=limits.reports_per_visitor_per_hour,
                per_code_per_hour=limits.reports_per_code_per_hour,
            ),
        ),
        queue=ModerationQueue(
            uow=uow, clock=clock, audio_url=audio_url, scans_by_country=scans_by_country
        ),
        decisions=ModerationDecisions(
            uow=uow,
            clock=clock,
            notifications=notifications,
            storage=chosen.storage,
            sessions=chosen.session_store,
            forget=playback.forget,
            appeal_links=appeal_links,
            escalate_after=timedelta(hours=limits.escalate_after_hours),
        ),
        notices=ModerationNotices(uow=uow, clock=clock, appeal_links=appeal_links),
        transparency=Transparency(uow=uow, clock=clock),
        screening=screening,
        terms=FilterTerms(uow=uow, clock=clock),
        rules=FlaggingRules(uow=uow, clock=clock),
        held=HeldGenerations(uow=uow, clock=clock, hand_to_queue=hand_to_queue),
    )


def _dev_outbox(settings: Settings) -> Path | None:
    """Development with mail written to the data dir: sent mail may be read on a page."""
    if settings.env != "production" and settings.mail.backend == "outbox":
        return settings.data_path / "outbox"
    return None


def playback_url(settings: Settings, public_code: str) -> str:
    """The public page a printed code opens."""
    return f"{settings.public_base_url.rstrip('/')}/p/{public_code}"


def _account_policy(settings: Settings) -> AccountPolicy:
    return AccountPolicy(
        session_idle=timedelta(minutes=settings.sessions.idle_minutes),
        session_absolute=timedelta(hours=settings.sessions.absolute_hours),
        remember_me=timedelta(days=settings.sessions.remember_days),
        activity_retention=timedelta(days=settings.auth.activity_retention_days),
        sign_in_limit=(settings.auth.sign_in_per_minute, 60),
        email_limit=(settings.auth.emails_per_hour, 3600),
        address_email_limit=(settings.auth.address_emails_per_hour, 3600),
        view_as=timedelta(minutes=settings.view_as_minutes),
    )


def _alert_policy(settings: Settings) -> AlertPolicy:
    return AlertPolicy(
        threshold=settings.alerts.failure_rate_threshold,
        window=timedelta(minutes=settings.alerts.window_minutes),
        min_attempts=settings.alerts.min_attempts,
        cooldown=timedelta(minutes=settings.alerts.cooldown_minutes),
    )
