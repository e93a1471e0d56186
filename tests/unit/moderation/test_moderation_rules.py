"""The moderation rules in the domain: the priority score and the decision state
machine, with Hypothesis where an invariant holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.authz import OPERATOR, Role
from voiceqr.domain.moderation.cases import (
    DecisionKind,
    ModerationCase,
    ModerationState,
    Sanction,
    may_take,
)
from voiceqr.domain.moderation.flags import Flag, FlagSource, ReasonCode, check_reason
from voiceqr.domain.moderation.priority import (
    CATEGORY_WEIGHT,
    MAX_SCORE,
    FlagWeight,
    ReportWeight,
    priority,
)
from voiceqr.domain.shared.errors import IllegalTransition, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)

reasons = st.sampled_from(list(ReasonCode))
reports = st.builds(
    ReportWeight,
    reasons,
    st.integers(0, 50),
    st.integers(0, 50),
).filter(lambda r: r.upheld <= r.answered)
flags = st.builds(
    FlagWeight, reasons, st.sampled_from(list(FlagSource)), st.floats(0, 10, allow_nan=False)
)
scans = st.integers(0, 10_000_000)


class Moderator:
    role = Role.MODERATOR
    id = uuid7()
    actor_label = "mo@example.com"


@given(st.lists(reports, max_size=30), st.lists(flags, max_size=10), scans)
def test_the_priority_stays_between_0_and_100(
    some: list[ReportWeight], raised: list[FlagWeight], scanned: int
) -> None:
    assert 0 <= priority(some, raised, scanned) <= MAX_SCORE


@given(st.lists(reports, max_size=20), st.lists(flags, max_size=5), scans, reports)
def test_one_more_report_never_lowers_the_priority(
    some: list[ReportWeight], raised: list[FlagWeight], scanned: int, another: ReportWeight
) -> None:
    assert priority([*some, another], raised, scanned) >= priority(some, raised, scanned)


@given(st.lists(reports, max_size=20), scans, flags, st.floats(0, 10, allow_nan=False))
def test_a_more_severe_flag_never_lowers_the_priority(
    some: list[ReportWeight], scanned: int, flag: FlagWeight, more: float
) -> None:
    heavier = FlagWeight(flag.reason, flag.source, min(flag.severity + more, 10.0))
    assert priority(some, [heavier], scanned) >= priority(some, [flag], scanned)


@given(st.lists(reports, max_size=20), scans, st.integers(0, 1000))
def test_more_scans_never_lower_the_priority(
    some: list[ReportWeight], scanned: int, more: int
) -> None:
    assert priority(some, [], scanned + more) >= priority(some, [], scanned)


@given(st.integers(0, 40), st.integers(0, 40))
def test_a_reporter_whose_reports_were_upheld_counts_more(upheld: int, extra: int) -> None:
    answered = upheld + extra
    trusted = ReportWeight(ReasonCode.SPAM, upheld + 1, answered + 1)
    doubted = ReportWeight(ReasonCode.SPAM, upheld, answered + 1)
    assert trusted.trust > doubted.trust
    assert 0.5 <= doubted.trust <= 1.5


def test_a_threat_outweighs_spam() -> None:
    assert CATEGORY_WEIGHT[ReasonCode.VIOLENCE] > CATEGORY_WEIGHT[ReasonCode.SPAM]
    threat = priority([ReportWeight(ReasonCode.VIOLENCE)])
    spam = priority([ReportWeight(ReasonCode.SPAM)])
    assert threat > spam


def a_case() -> ModerationCase:
    return ModerationCase.open_for(uuid7(), uuid7(), NOW)


def decide(case: ModerationCase, kind: DecisionKind, **extra: object) -> None:
    case.decide(
        kind,
        actor=Moderator(),
        actor_label="Mo",
        reason="because",
        reason_code=ReasonCode.SPAM,
        now=NOW,
        revision=1,
        **extra,  # type: ignore[arg-type]
    )


@given(st.lists(st.sampled_from(list(DecisionKind)), max_size=12))
def test_the_state_machine_takes_only_the_moves_it_allows_and_removed_is_final(
    kinds: list[DecisionKind],
) -> None:
    case = a_case()
    case.flagged(NOW, revision=1)
    removed = False
    for kind in kinds:
        before = case.state
        allowed = may_take(kind, before, under_appeal=case.appeal_pending)
        sanction = Sanction.BAN if kind is DecisionKind.BAN_OWNER else None
        if allowed:
            decide(case, kind, sanction=sanction)
        else:
            with pytest.raises(IllegalTransition):
                decide(case, kind, sanction=sanction)
            assert case.state is before
        if removed:
            assert case.state is ModerationState.REMOVED
        removed = removed or case.state is ModerationState.REMOVED
        assert not case.waiting or case.state is ModerationState.FLAGGED


def test_reviewed_fine_silences_reports_on_that_revision_only() -> None:
    case = a_case()
    assert case.flagged(NOW, revision=1)
    decide(case, DecisionKind.REVIEWED_FINE)
    assert not case.flagged(NOW, revision=1)
    assert case.state is ModerationState.NONE
    assert case.flagged(NOW, revision=2)


def test_a_quarantined_case_stays_quarantined_when_reported_again() -> None:
    case = a_case()
    decide(case, DecisionKind.QUARANTINE)
    assert not case.flagged(NOW, revision=1)
    assert case.state is ModerationState.QUARANTINED


def test_an_escalated_case_is_decided_by_an_admin_only() -> None:
    case = a_case()
    case.flagged(NOW, revision=1)
    assert not case.escalate(NOW + timedelta(hours=1), older_than=timedelta(hours=24))
    assert case.escalate(NOW + timedelta(hours=25), older_than=timedelta(hours=24))
    with pytest.raises(PermissionDenied):
        decide(case, DecisionKind.DISMISS)
    case.decide(
        DecisionKind.DISMISS,
        actor=OPERATOR,
        actor_label="cli",
        reason="fine",
        reason_code=None,
        now=NOW,
        revision=1,
    )
    assert case.state is ModerationState.NONE
    assert not case.escalated


def test_another_moderators_claim_is_refused() -> None:
    case = a_case()
    case.flagged(NOW, revision=1)
    case.claim(Moderator(), NOW)
    with pytest.raises(IllegalTransition):
        case.claim(OPERATOR, NOW)


def test_a_dismissed_appeal_keeps_the_quarantine() -> None:
    case = a_case()
    decide(case, DecisionKind.QUARANTINE)
    case.appealed(NOW)
    assert case.waiting
    decide(case, DecisionKind.DISMISS)
    assert case.state is ModerationState.QUARANTINED
    assert not case.waiting


def test_a_rule_flag_names_its_rule_and_a_reason_is_required() -> None:
    with pytest.raises(ValidationError):
        Flag.new(generation_id=uuid7(), source=FlagSource.RULE, reason=ReasonCode.SPAM, now=NOW)
    with pytest.raises(ValidationError):
        check_reason("   ")
