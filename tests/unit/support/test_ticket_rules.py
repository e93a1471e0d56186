"""The rules of a support ticket: who moves it where, closed is final, the clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.shared.errors import IllegalTransition, ValidationError
from voiceqr.domain.support.tickets import (
    AUTO_CLOSE_AFTER,
    FailedGenerationContext,
    Priority,
    Ticket,
    TicketStatus,
    browser_summary,
    check_body,
    check_reason,
)

START = datetime(2026, 12, 1, 9, tzinfo=UTC)


def new_ticket() -> Ticket:
    return Ticket.open(requester_id=uuid4(), subject="My code is silent", now=START)


def test_a_new_ticket_is_open_normal_and_unassigned() -> None:
    ticket = new_ticket()
    assert (ticket.status, ticket.priority, ticket.assignee_id) == (
        TicketStatus.OPEN,
        Priority.NORMAL,
        None,
    )
    assert ticket.time_to_first_reply is None
    assert ticket.time_to_resolution is None


def test_a_ticket_from_a_failed_generation_carries_its_error_and_voice() -> None:
    failed = FailedGenerationContext(uuid4(), "quota", "quota_exceeded", uuid4())
    ticket = Ticket.open(
        requester_id=uuid4(),
        subject="It failed",
        now=START,
        browser="Chrome on Android",
        failed=failed,
    )
    assert (ticket.generation_id, ticket.error_category, ticket.error_code, ticket.voice_id) == (
        failed.generation_id,
        "quota",
        "quota_exceeded",
        failed.voice_id,
    )
    assert ticket.browser == "Chrome on Android"


def test_the_first_public_reply_is_timed_and_waits_for_the_user() -> None:
    ticket = new_ticket()
    ticket.staff_replied(START + timedelta(minutes=5), internal=True)
    assert ticket.first_reply_at is None
    assert ticket.status is TicketStatus.OPEN
    ticket.staff_replied(START + timedelta(hours=2), internal=False)
    ticket.staff_replied(START + timedelta(hours=3), internal=False)
    assert ticket.time_to_first_reply == timedelta(hours=2)
    assert ticket.status is TicketStatus.WAITING


def test_a_user_reply_reopens_a_resolved_ticket_and_clears_its_resolution() -> None:
    ticket = new_ticket()
    ticket.move_to(TicketStatus.RESOLVED, START + timedelta(days=1))
    assert ticket.time_to_resolution == timedelta(days=1)
    ticket.user_replied(START + timedelta(days=2))
    assert ticket.status is TicketStatus.OPEN
    assert ticket.resolved_at is None


def test_a_closed_ticket_refuses_everything() -> None:
    ticket = new_ticket()
    ticket.move_to(TicketStatus.CLOSED, START)
    for act in (
        lambda: ticket.user_replied(START),
        lambda: ticket.staff_replied(START, internal=True),
        lambda: ticket.move_to(TicketStatus.OPEN, START),
        lambda: ticket.prioritise(Priority.URGENT, START),
        lambda: ticket.assign(uuid4(), START),
    ):
        with pytest.raises(IllegalTransition):
            act()
    assert ticket.status is TicketStatus.CLOSED


def test_a_resolved_ticket_closes_itself_after_seven_quiet_days() -> None:
    ticket = new_ticket()
    ticket.move_to(TicketStatus.RESOLVED, START)
    assert not ticket.closes_itself(START + AUTO_CLOSE_AFTER - timedelta(seconds=1))
    assert ticket.closes_itself(START + AUTO_CLOSE_AFTER)


def test_messages_subjects_and_reasons_are_checked() -> None:
    with pytest.raises(ValidationError):
        check_body("   ")
    with pytest.raises(ValidationError):
        check_reason("")
    with pytest.raises(ValidationError):
        Ticket.open(requester_id=uuid4(), subject="a\x00b", now=START)
    assert check_body("  line one\nline two  ") == "line one\nline two"


@pytest.mark.parametrize(
    ("agent", "summary"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Windows",
        ),
        ("", ""),
        ("curl/8.0", "an unknown browser"),
    ],
)
def test_the_browser_is_kept_as_a_short_summary(agent: str, summary: str) -> None:
    assert browser_summary(agent) == summary


# A ticket's life as any sequence of what users and staff can do to it.
ACTIONS = st.lists(
    st.one_of(
        st.just(("user", None)),
        st.tuples(st.just("note"), st.booleans()),
        st.tuples(st.just("status"), st.sampled_from(TicketStatus)),
        st.tuples(st.just("priority"), st.sampled_from(Priority)),
    ),
    max_size=30,
)


@given(ACTIONS)
def test_any_life_of_a_ticket_keeps_the_rules(actions: list[tuple[str, object]]) -> None:
    ticket = new_ticket()
    now = START
    first_reply = None
    for kind, value in actions:
        now += timedelta(hours=1)
        before = (ticket.status, ticket.priority, ticket.first_reply_at, ticket.resolved_at)
        was_closed = ticket.is_closed
        try:
            if kind == "user":
                ticket.user_replied(now)
                # A user's word always leaves the ticket open for staff.
                assert ticket.status is TicketStatus.OPEN
            elif kind == "note":
                ticket.staff_replied(now, internal=bool(value))
            elif kind == "status":
                assert isinstance(value, TicketStatus)
                ticket.move_to(value, now)
            else:
                assert isinstance(value, Priority)
                ticket.prioritise(value, now)
        except IllegalTransition:
            # Only a closed ticket refuses, and a refusal changes nothing.
            assert was_closed
            assert before == (
                ticket.status,
                ticket.priority,
                ticket.first_reply_at,
                ticket.resolved_at,
            )
            continue
        assert not was_closed
        # The first reply, once timed, never moves.
        if first_reply is not None:
            assert ticket.first_reply_at == first_reply
        first_reply = ticket.first_reply_at
        # A resolution time exists exactly while the ticket is resolved (or closed after it).
        if ticket.status is TicketStatus.RESOLVED:
            assert ticket.resolved_at is not None
        elif ticket.status in (TicketStatus.OPEN, TicketStatus.WAITING):
            assert ticket.resolved_at is None
        if ticket.first_reply_at is not None:
            assert ticket.first_reply_at >= ticket.created_at
