"""A generation's moderation case: its state, the decisions taken on it, the appeal.

One case per generation, made by its first flag or report. The state says what the
public sees of the code:

- none: plays as usual (never flagged, dismissed, reviewed fine, or restored);
- flagged: plays as usual, and waits in the queue for a decision;
- quarantined: the code answers 451 "not available"; audio and evidence are kept and
  the decision can be reversed;
- removed: audio and QR deleted, the code answers 410. Final.

"Reviewed: fine" remembers the text revision it was given for: new reports on that
revision are recorded but reopen nothing, until the owner changes the text.
A case older than the escalation time goes to admins; only an admin decides it then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.authz import Actor, Permission, Role, require
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.shared.errors import IllegalTransition, PermissionDenied
from voiceqr.domain.shared.ids import uuid7


class ModerationState(StrEnum):
    NONE = "none"
    FLAGGED = "flagged"
    QUARANTINED = "quarantined"
    REMOVED = "removed"


class DecisionKind(StrEnum):
    DISMISS = "dismiss"  # nothing wrong: the flags are answered
    REVIEWED_FINE = "reviewed_fine"  # nothing wrong, and silence reports on this text
    QUARANTINE = "quarantine"  # the code answers 451, reversibly
    REVERSE = "reverse"  # undo a quarantine: the code plays again
    DELETE = "delete"  # audio and QR go, the code answers 410
    BAN_OWNER = "ban_owner"  # warn, suspend or ban the owner; a ban quarantines their codes


DECISION_LABELS = {
    DecisionKind.DISMISS: "Dismissed",
    DecisionKind.REVIEWED_FINE: "Reviewed: fine",
    DecisionKind.QUARANTINE: "Quarantined",
    DecisionKind.REVERSE: "Restored",
    DecisionKind.DELETE: "Deleted",
    DecisionKind.BAN_OWNER: "Owner sanctioned",
}

# The state each decision leaves a case in, from the states it may be taken in.
_MOVES: dict[DecisionKind, tuple[frozenset[ModerationState], ModerationState | None]] = {
    DecisionKind.DISMISS: (frozenset({ModerationState.FLAGGED}), ModerationState.NONE),
    DecisionKind.REVIEWED_FINE: (
        frozenset({ModerationState.NONE, ModerationState.FLAGGED}),
        ModerationState.NONE,
    ),
    DecisionKind.QUARANTINE: (
        frozenset({ModerationState.NONE, ModerationState.FLAGGED}),
        ModerationState.QUARANTINED,
    ),
    DecisionKind.REVERSE: (frozenset({ModerationState.QUARANTINED}), ModerationState.NONE),
    DecisionKind.DELETE: (
        frozenset({ModerationState.NONE, ModerationState.FLAGGED, ModerationState.QUARANTINED}),
        ModerationState.REMOVED,
    ),
    # Banning keeps the state the sanction gives (see `ModerationCase.decide`).
    DecisionKind.BAN_OWNER: (
        frozenset({ModerationState.NONE, ModerationState.FLAGGED, ModerationState.QUARANTINED}),
        None,
    ),
}


class Sanction(StrEnum):
    WARN = "warn"  # a notice; the account keeps working
    SUSPEND = "suspend"  # no sign-in until a time; codes keep playing
    BAN = "ban"  # no sign-in for good; every code quarantined


def may_take(kind: DecisionKind, state: ModerationState) -> bool:
    allowed, _ = _MOVES[kind]
    return state in allowed


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision taken on a generation, kept for good (the history and the public
    transparency counts). A ban records its sanction and, for a suspension, its end."""

    id: UUID
    generation_id: UUID
    owner_id: UUID
    kind: DecisionKind
    reason_code: ReasonCode | None  # the category it was about (None: dismissed, restored)
    reason: str
    decided_by: UUID | None  # None for the operator at the terminal
    decided_by_label: str
    decided_at: datetime
    sanction: Sanction | None = None
    until: datetime | None = None
    codes_quarantined: int = 0


@dataclass(slots=True)
class ModerationCase:
    """The queue item of one generation (see the module's docstring)."""

    generation_id: UUID
    owner_id: UUID
    created_at: datetime
    updated_at: datetime
    state: ModerationState = ModerationState.NONE
    opened_at: datetime | None = None  # waiting for a decision since (None: not waiting)
    claimed_by: UUID | None = None
    claimed_at: datetime | None = None
    reviewed_fine_revision: int | None = None
    escalated_at: datetime | None = None
    last_decision_id: UUID | None = None
    appeal_pending: bool = False

    @classmethod
    def open_for(cls, generation_id: UUID, owner_id: UUID, now: datetime) -> ModerationCase:
        return cls(generation_id=generation_id, owner_id=owner_id, created_at=now, updated_at=now)

    @property
    def waiting(self) -> bool:
        """In the queue: flagged and undecided, or a decision under appeal."""
        return self.state is ModerationState.FLAGGED or self.appeal_pending

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None

    def silenced_at(self, revision: int) -> bool:
        """Reviewed fine at this text revision: new reports reopen nothing."""
        return self.reviewed_fine_revision == revision

    def flagged(self, now: datetime, *, revision: int) -> bool:
        """A flag or report arrived; True if it put the case in the queue.

        Quarantined and removed cases stay as they are (the evidence is kept); a case
        reviewed fine at this revision stays quiet.
        """
        self.updated_at = now
        if self.state is not ModerationState.NONE or self.silenced_at(revision):
            return False
        self.state = ModerationState.FLAGGED
        self.opened_at = now
        return True

    def claim(self, actor: Actor, now: datetime) -> None:
        may_decide(actor, self)
        if self.claimed_by is not None and self.claimed_by != actor.id:
            raise IllegalTransition(
                "Another moderator has claimed this item.", code="claimed_by_another"
            )
        self.claimed_by, self.claimed_at, self.updated_at = actor.id, now, now

    def unclaim(self, now: datetime) -> None:
        self.claimed_by, self.claimed_at, self.updated_at = None, None, now

    def escalate(self, now: datetime, *, older_than: timedelta) -> bool:
        """Hand to admins a case waiting longer than `older_than`; True if it did now."""
        if self.escalated or not self.waiting or self.opened_at is None:
            return False
        if now - self.opened_at < older_than:
            return False
        self.escalated_at = self.updated_at = now
        return True

    def decide(
        self,
        kind: DecisionKind,
        *,
        actor: Actor,
        actor_label: str,
        reason: str,
        reason_code: ReasonCode | None,
        now: datetime,
        revision: int,
        sanction: Sanction | None = None,
        until: datetime | None = None,
    ) -> Decision:
        """Take a decision (who may: `may_decide`); IllegalTransition if this state
        does not allow it. The appeal, claim and escalation are settled by it."""
        may_decide(actor, self)
        if not may_take(kind, self.state):
            raise IllegalTransition(
                f"An item that is {self.state} cannot be {DECISION_LABELS[kind].lower()}.",
                code="decision_not_allowed",
            )
        if (kind is DecisionKind.BAN_OWNER) != (sanction is not None):
            raise IllegalTransition("A sanction goes with banning the owner only.", code="bad_ban")
        if kind is DecisionKind.REVERSE and reason_code is not None:
            reason_code = None
        _, to = _MOVES[kind]
        if kind is DecisionKind.BAN_OWNER:
            to = ModerationState.QUARANTINED if sanction is Sanction.BAN else None
            if to is None and self.state is ModerationState.FLAGGED:
                to = ModerationState.NONE  # a warning or suspension answers the flags
        if to is not None:
            self.state = to
        if kind is DecisionKind.REVIEWED_FINE:
            self.reviewed_fine_revision = revision
        decision = Decision(
            id=uuid7(),
            generation_id=self.generation_id,
            owner_id=self.owner_id,
            kind=kind,
            reason_code=reason_code,
            reason=reason,
            decided_by=actor.id,
            decided_by_label=actor_label,
            decided_at=now,
            sanction=sanction,
            until=until if sanction is Sanction.SUSPEND else None,
        )
        self.last_decision_id = decision.id
        self.opened_at = None if self.state is not ModerationState.FLAGGED else self.opened_at
        self.appeal_pending = False
        self.escalated_at = None
        self.claimed_by = self.claimed_at = None
        self.updated_at = now
        return decision

    def appealed(self, now: datetime) -> None:
        self.appeal_pending = True
        self.opened_at = self.opened_at or now
        self.updated_at = now


def may_decide(actor: Actor, case: ModerationCase | None = None) -> None:
    """Moderators and admins decide; an escalated case is for admins only."""
    require(actor, Permission.MODERATE_CONTENT)
    if case is not None and case.escalated and actor.role is not Role.ADMIN:
        raise PermissionDenied(
            "This item was escalated: an administrator decides it.", code="escalated"
        )


class ReportOutcome(StrEnum):
    UPHELD = "upheld"  # the decision acted on the code (quarantine, delete, ban)
    REJECTED = "rejected"  # dismissed or reviewed fine


ACTING_DECISIONS = frozenset({DecisionKind.QUARANTINE, DecisionKind.DELETE, DecisionKind.BAN_OWNER})


@dataclass(slots=True)
class Report:
    """A visitor's report from the playback page. `reporter_key` identifies the
    reporter across reports without a raw address: the day's visitor key, or a hash
    of the email they left. `email` is kept only to tell them the outcome."""

    id: UUID
    generation_id: UUID
    reason: ReasonCode
    note: str
    email: str | None
    reporter_key: str
    created_at: datetime
    outcome: ReportOutcome | None = None
    answered_at: datetime | None = None


@dataclass(slots=True)
class Appeal:
    """The owner's one appeal against a decision (a quarantine, deletion or sanction)."""

    id: UUID
    decision_id: UUID
    generation_id: UUID
    owner_id: UUID
    message: str
    created_at: datetime
    answered_at: datetime | None = None
    upheld: bool | None = None  # True: the decision stands; False: it was reversed


@dataclass(frozen=True, slots=True)
class ModerationNote:
    """A moderator's internal note on an item."""

    id: UUID
    generation_id: UUID
    author_id: UUID | None
    author_label: str
    body: str
    created_at: datetime
