"""Why content is flagged: the reason codes moderators and filters use."""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    SPAM = "spam"
    HATE = "hate"
    HARASSMENT = "harassment"
    SEXUAL = "sexual"
    VIOLENCE = "violence"
    PERSONAL_DATA = "personal_data"
    COPYRIGHT = "copyright"
    OTHER = "other"
