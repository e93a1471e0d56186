"""The unit of work of a user's preferences (their repository is shared: generations
read them too)."""

from __future__ import annotations

from typing import Protocol

from voiceqr.application.generations.ports import GenerationRepository
from voiceqr.application.shared.ports import PreferencesRepository, Transaction
from voiceqr.application.voices.ports import VoiceRepository


class ProfileUnitOfWork(Transaction, Protocol):
    """The preferences, the voices they may name, and the latest generations (for the
    voices used lately)."""

    preferences: PreferencesRepository
    voices: VoiceRepository
    generations: GenerationRepository
