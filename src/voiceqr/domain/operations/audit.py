"""The audit log of admin actions (O11): who did what to which object, when, from where.

An entry is written in the same transaction as the change it describes, so the log
never claims a change that was rolled back, nor misses one that was saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError

# Dotted lower-case names, object first: "generation.retry", "user.lock".
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_ACTION_FILTER = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def check_action(action: str) -> str:
    """`action` if it is a dotted name such as `generation.retry`; ValidationError otherwise."""
    return _matching(action, _ACTION, "an audit action (dotted lower-case, e.g. generation.retry)")


def check_action_filter(action: str) -> str:
    """An action to filter on: a full action (`generation.retry`) or its object (`generation`)."""
    return _matching(
        action, _ACTION_FILTER, "an audit action or prefix (e.g. generation or generation.retry)"
    )


def _matching(action: str, pattern: re.Pattern[str], expected: str) -> str:
    if not pattern.match(action):
        raise ValidationError(f"'{action}' is not {expected}.", code="invalid_audit_action")
    return action


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One admin action. `actor_id` is None for an operator at the terminal (`actor` "cli");
    `actor` keeps the email the admin had then, so the entry reads right after changes."""

    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, object] = field(default_factory=dict)
    ip: str = ""

    @property
    def details_in_words(self) -> str:
        """The details as a person reads them: `reason: spam; fields: name, email`."""
        return "; ".join(
            f"{key.replace('_', ' ')}: {_in_words(value)}" for key, value in self.details.items()
        )


def _in_words(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_in_words(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_in_words(item) for item in value) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True, slots=True)
class AuditPosition:
    """Where a page of the log ended: the (occurred_at, id) of its last entry (keyset paging)."""

    occurred_at: datetime
    id: UUID
