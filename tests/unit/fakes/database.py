"""The committed state of the fake database, and the base of its tables."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from voiceqr.domain.account_data.deletion import AccountDeletion
from voiceqr.domain.account_data.export import AccountExport
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.tallies import Counts
from voiceqr.domain.compliance.documents import Acceptance, LegalDocument
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.generations.organising import (
    Label,
)
from voiceqr.domain.generations.previews import Comparison, Preview
from voiceqr.domain.generations.qr_design import QrDesign
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.mail.notices import DigestItem, Notice
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.mail.preferences import NotificationSettings
from voiceqr.domain.moderation.cases import (
    Appeal,
    Decision,
    ModerationCase,
    ModerationNote,
    Report,
)
from voiceqr.domain.moderation.flags import Flag
from voiceqr.domain.moderation.rules import FlaggingRule
from voiceqr.domain.moderation.text_filter import FilterTerm
from voiceqr.domain.operations.audit import AuditEvent
from voiceqr.domain.playback.events import StoredEvent
from voiceqr.domain.playback.listening import Listen
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.support.tickets import Ticket, TicketMessage
from voiceqr.domain.voices.reviews import VoiceReview
from voiceqr.domain.voices.voice import Voice


@dataclass
class FakeDatabase:
    """The committed state, one dict (or list) per table."""

    voices: dict[UUID, Voice] = field(default_factory=dict)
    voice_favorites: dict[tuple[UUID, UUID], datetime] = field(
        default_factory=dict
    )  # (user, voice)
    voice_reviews: dict[UUID, VoiceReview] = field(default_factory=dict)
    generations: dict[UUID, Generation] = field(default_factory=dict)
    generation_attempts: dict[UUID, GenerationAttempt] = field(default_factory=dict)
    generation_revisions: dict[UUID, GenerationRevision] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    playback_events: list[StoredEvent] = field(default_factory=list)
    visitor_salts: dict[date, bytes] = field(default_factory=dict)
    listens: dict[UUID, Listen] = field(default_factory=dict)
    listens_started: dict[UUID, datetime] = field(default_factory=dict)  # first report's time
    account_tokens: dict[UUID, AccountToken] = field(default_factory=dict)
    login_events: list[LoginEvent] = field(default_factory=list)
    recovery_codes: dict[UUID, RecoveryCode] = field(default_factory=dict)
    api_keys: dict[UUID, ApiKey] = field(default_factory=dict)
    social_identities: dict[UUID, SocialIdentity] = field(default_factory=dict)
    outbox: dict[UUID, OutboxMessage] = field(default_factory=dict)
    notification_settings: dict[UUID, NotificationSettings] = field(default_factory=dict)
    notices: dict[UUID, Notice] = field(default_factory=dict)
    mail_digest: dict[UUID, DigestItem] = field(default_factory=dict)
    preferences: dict[UUID, UserPreferences] = field(default_factory=dict)
    audit_events: list[AuditEvent] = field(default_factory=list)
    alert_states: dict[str, tuple[datetime, dict[str, object]]] = field(default_factory=dict)
    folders: dict[UUID, Label] = field(default_factory=dict)
    tags: dict[UUID, Label] = field(default_factory=dict)
    generation_folders: dict[UUID, UUID] = field(default_factory=dict)  # generation -> folder
    generation_tags: set[tuple[UUID, UUID]] = field(default_factory=set)  # (generation, tag)
    # (generation, owner, UTC day, dimension, value) -> counts; the last day rolled up
    analytics_daily: dict[tuple[UUID, UUID, date, str, str], Counts] = field(default_factory=dict)
    analytics_rolled_through: date | None = None
    voice_previews: dict[UUID, Preview] = field(default_factory=dict)
    voice_comparisons: dict[UUID, Comparison] = field(default_factory=dict)
    tickets: dict[UUID, Ticket] = field(default_factory=dict)
    ticket_messages: list[TicketMessage] = field(default_factory=list)
    retired_codes: dict[str, datetime] = field(default_factory=dict)
    account_deletions: dict[UUID, AccountDeletion] = field(default_factory=dict)
    account_exports: dict[UUID, AccountExport] = field(default_factory=dict)
    legal_documents: list[LegalDocument] = field(default_factory=list)
    legal_acceptances: list[Acceptance] = field(default_factory=list)
    moderation_cases: dict[UUID, ModerationCase] = field(default_factory=dict)  # by generation
    flags: list[Flag] = field(default_factory=list)
    content_reports: list[Report] = field(default_factory=list)
    moderation_decisions: list[Decision] = field(default_factory=list)
    moderation_appeals: list[Appeal] = field(default_factory=list)
    moderation_notes: list[ModerationNote] = field(default_factory=list)
    filter_terms: list[FilterTerm] = field(default_factory=list)
    flagging_rules: dict[UUID, FlaggingRule] = field(default_factory=dict)
    generation_qr_designs: dict[UUID, QrDesign] = field(default_factory=dict)
    default_qr_designs: dict[UUID, QrDesign] = field(default_factory=dict)  # by user

    def snapshot(self) -> FakeDatabase:
        return copy.deepcopy(self)

    def restore(self, snapshot: FakeDatabase) -> None:
        for table in dataclasses.fields(self):
            setattr(self, table.name, copy.deepcopy(getattr(snapshot, table.name)))

    # Direct access for arranging and asserting in tests (outside any unit of work).

    def generation(self, generation_id: UUID) -> Generation:
        return copy.deepcopy(self.generations[generation_id])

    def put_voice(self, voice: Voice) -> Voice:
        self.voices[voice.id] = copy.deepcopy(voice)
        return voice

    def put_user(self, user: User) -> User:
        self.users[user.id] = copy.deepcopy(user)
        return user


class Part:
    """A feature's share of the fake unit of work: the fake repositories it sets.

    Each part sets its own and hands on to the next (`super().attach()`), as the
    parts of the SQL unit of work do.
    """

    def attach(self) -> None:
        """The end of the chain: nothing left to set."""

    def database_in_use(self) -> FakeDatabase:
        raise NotImplementedError

    def wrote(self) -> None:
        raise NotImplementedError


class Table:
    """A fake repository on the database of the unit of work it belongs to."""

    def __init__(self, uow: Part) -> None:
        self._uow = uow

    @property
    def _db(self) -> FakeDatabase:
        return self._uow.database_in_use()

    def _wrote(self) -> None:
        self._uow.wrote()
