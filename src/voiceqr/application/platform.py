"""The unit of work of the whole platform: every feature's joined, as the one database
gives them on one transaction. The composition root hands it to each feature, whose
use cases see only their own narrow protocol; a new feature adds its protocol here."""

from __future__ import annotations

from typing import Protocol

from voiceqr.application.account_data.ports import AccountDataUnitOfWork
from voiceqr.application.accounts.ports import AccountsUnitOfWork
from voiceqr.application.analytics.ports import AnalyticsUnitOfWork, RollUpUnitOfWork
from voiceqr.application.generations.ports import GenerationsUnitOfWork, PreviewsUnitOfWork
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.moderation.automation_ports import AutomationUnitOfWork
from voiceqr.application.moderation.ports import ModerationUnitOfWork
from voiceqr.application.operations.ports import OperationsUnitOfWork
from voiceqr.application.playback.ports import PlaybackUnitOfWork
from voiceqr.application.profile.ports import ProfileUnitOfWork
from voiceqr.application.support.ports import SupportUnitOfWork
from voiceqr.application.voices.ports import VoiceEngagementUnitOfWork, VoicesUnitOfWork


class PlatformUnitOfWork(
    AutomationUnitOfWork,
    ModerationUnitOfWork,
    SupportUnitOfWork,
    AccountDataUnitOfWork,
    AnalyticsUnitOfWork,
    RollUpUnitOfWork,
    OperationsUnitOfWork,
    PlaybackUnitOfWork,
    PreviewsUnitOfWork,
    GenerationsUnitOfWork,
    ProfileUnitOfWork,
    VoiceEngagementUnitOfWork,
    VoicesUnitOfWork,
    AccountsUnitOfWork,
    MailUnitOfWork,
    Protocol,
):
    """Every feature's repositories in one transaction (downstream features first)."""
