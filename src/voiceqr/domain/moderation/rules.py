"""Automated flagging rules: patterns no single text shows, watched across requests.

Each rule has a kind, its parameters, a severity (1 to 5, for the queue's priority),
an on/off switch and the reason code its flags carry. A rule fires when a generation
is requested (or, for reports, when one is reported) and the moderators get an
automatic flag naming it. Kinds:

- `new_account_burst`: an account younger than `account_age_hours` makes its
  `generations`-th generation within `window_minutes`;
- `same_text`: the same text (after normalisation) from `accounts` different
  accounts within `window_hours`;
- `reports`: `reports` reports on one code within `window_hours`;
- `listed_domains`: the text links to one of `domains` (or a subdomain).

`fires` is pure: the same function checks a new request and, in a dry run, each of
the last generations against the ones made before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.normalise import normalise
from voiceqr.domain.moderation.text_filter import TermKind, link_domains, term_text
from voiceqr.domain.shared.errors import ValidationError

MIN_SEVERITY, MAX_SEVERITY = 1, 5
MAX_DOMAINS = 200
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")

Parameters = Mapping[str, int | tuple[str, ...]]


class RuleKind(StrEnum):
    NEW_ACCOUNT_BURST = "new_account_burst"
    SAME_TEXT = "same_text"
    REPORTS = "reports"
    LISTED_DOMAINS = "listed_domains"


# Each kind's whole-number parameters and the range each may take.
_NUMBERS: Final[Mapping[RuleKind, Mapping[str, tuple[int, int]]]] = {
    RuleKind.NEW_ACCOUNT_BURST: {
        "account_age_hours": (1, 24 * 365),
        "generations": (2, 10_000),
        "window_minutes": (1, 7 * 24 * 60),
    },
    RuleKind.SAME_TEXT: {"accounts": (2, 1_000), "window_hours": (1, 30 * 24)},
    RuleKind.REPORTS: {"reports": (1, 1_000), "window_hours": (1, 30 * 24)},
    RuleKind.LISTED_DOMAINS: {},
}


def rule_kind(value: str) -> RuleKind:
    try:
        return RuleKind(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in RuleKind)
        raise ValidationError(
            f"There is no rule kind '{value}'; use one of {kinds}.", code="unknown_rule_kind"
        ) from None


def rule_name(value: str) -> str:
    name = value.strip().lower()
    if not _NAME.fullmatch(name):
        raise ValidationError(
            "A rule's name is 1 to 60 lower-case letters, digits and dashes, "
            "starting with a letter or digit.",
            code="bad_rule_name",
        )
    return name


def check_parameters(
    kind: RuleKind, given: Mapping[str, object]
) -> dict[str, int | tuple[str, ...]]:
    """The parameters of a rule of `kind`, each present and in range; ValidationError
    naming the first that is not (missing, unknown, not a whole number, out of range)."""
    expected = set(_NUMBERS[kind]) | ({"domains"} if kind is RuleKind.LISTED_DOMAINS else set())
    unknown = sorted(set(given) - expected)
    if unknown:
        raise ValidationError(
            f"A {kind} rule has no parameter {unknown[0]}; it takes {', '.join(sorted(expected))}.",
            code="bad_rule_parameter",
        )
    checked: dict[str, int | tuple[str, ...]] = {}
    for name, (low, high) in _NUMBERS[kind].items():
        value = given.get(name)
        if value is None:
            raise ValidationError(f"A {kind} rule needs {name}.", code="bad_rule_parameter")
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(
                f"{name} must be a whole number from {low} to {high}.", code="bad_rule_parameter"
            )
        checked[name] = value
    if kind is RuleKind.LISTED_DOMAINS:
        domains = given.get("domains")
        if not isinstance(domains, list | tuple) or not 1 <= len(domains) <= MAX_DOMAINS:
            raise ValidationError(
                f"domains must be a list of 1 to {MAX_DOMAINS} domains.", code="bad_rule_parameter"
            )
        checked["domains"] = tuple(
            dict.fromkeys(term_text(TermKind.DOMAIN, str(d)) for d in domains)
        )
    return checked


def check_severity(severity: int) -> int:
    if isinstance(severity, bool) or not MIN_SEVERITY <= severity <= MAX_SEVERITY:
        raise ValidationError(
            f"severity must be from {MIN_SEVERITY} to {MAX_SEVERITY}.", code="bad_severity"
        )
    return severity


@dataclass(slots=True)
class FlaggingRule:
    id: UUID
    name: str
    kind: RuleKind
    parameters: Parameters
    severity: int
    enabled: bool
    reason: ReasonCode
    created_at: datetime
    updated_at: datetime

    def number(self, name: str) -> int:
        value = self.parameters[name]
        assert isinstance(value, int)  # checked when the rule was saved
        return value

    @property
    def lookback(self) -> timedelta:
        """How far back the generations a check compares with go."""
        if self.kind is RuleKind.NEW_ACCOUNT_BURST:
            return timedelta(minutes=self.number("window_minutes"))
        if self.kind is RuleKind.SAME_TEXT:
            return timedelta(hours=self.number("window_hours"))
        return timedelta(0)

    def describe(self) -> str:
        """The rule in words, for pages and the CLI."""
        p = self.parameters
        if self.kind is RuleKind.NEW_ACCOUNT_BURST:
            return (
                f"{p['generations']} generations within {p['window_minutes']} min "
                f"from an account younger than {p['account_age_hours']} h"
            )
        if self.kind is RuleKind.SAME_TEXT:
            return f"the same text from {p['accounts']} accounts within {p['window_hours']} h"
        if self.kind is RuleKind.REPORTS:
            return f"{p['reports']} reports on one code within {p['window_hours']} h"
        return "links to " + ", ".join(self.domains)

    @property
    def domains(self) -> tuple[str, ...]:
        value = self.parameters.get("domains", ())
        return value if isinstance(value, tuple) else ()


@dataclass(frozen=True, slots=True)
class MadeText:
    """A generation as the rules see it: who asked for which text, when, and how old
    their account was."""

    generation_id: UUID
    owner_id: UUID
    text: str
    created_at: datetime
    owner_since: datetime


def fires(rule: FlaggingRule, made: MadeText, earlier: Sequence[MadeText]) -> str | None:
    """Why `rule` flags `made`, given the generations made before it (any older ones
    are ignored), or None. A report rule never fires here: see `fires_on_reports`."""
    since = made.created_at - rule.lookback
    recent = [
        e
        for e in earlier
        if since < e.created_at <= made.created_at and e.generation_id != made.generation_id
    ]
    if rule.kind is RuleKind.NEW_ACCOUNT_BURST:
        if made.created_at - made.owner_since >= timedelta(hours=rule.number("account_age_hours")):
            return None
        count = 1 + sum(1 for e in recent if e.owner_id == made.owner_id)
        if count >= rule.number("generations"):
            return (
                f"{count} generations within {rule.number('window_minutes')} min from a new account"
            )
        return None
    if rule.kind is RuleKind.SAME_TEXT:
        key = normalise(made.text)
        owners = {made.owner_id} | {e.owner_id for e in recent if normalise(e.text) == key}
        if key and len(owners) >= rule.number("accounts"):
            return (
                f"the same text from {len(owners)} accounts within {rule.number('window_hours')} h"
            )
        return None
    if rule.kind is RuleKind.LISTED_DOMAINS:
        listed = [
            d
            for d in link_domains(made.text)
            if any(d == parent or d.endswith("." + parent) for parent in rule.domains)
        ]
        return f"links to {', '.join(listed)}" if listed else None
    return None


def fires_on_reports(rule: FlaggingRule, reports_in_window: int) -> str | None:
    """Why a report rule flags a code with this many reports in its window, or None."""
    if rule.kind is RuleKind.REPORTS and reports_in_window >= rule.number("reports"):
        return f"{reports_in_window} reports within {rule.number('window_hours')} h"
    return None
