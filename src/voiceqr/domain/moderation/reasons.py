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


class FlagSource(StrEnum):
    STAFF = "staff"
    REPORT = "report"
    FILTER = "filter"  # a text filter matched when it was requested or edited
    RULE = "rule"  # an automated rule fired
