"""Support tickets: a user writes in, staff answer and close.

A ticket moves between four statuses. Staff set any of them but closed is final; a
user's reply to a ticket that waits for them, or was resolved, opens it again; a
ticket resolved with no word from the user for `AUTO_CLOSE_AFTER` closes itself.
The first public staff reply and the resolution are timed (the queue's service level).
Internal notes are for staff only: they never reach the user and change no status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import IllegalTransition, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import refuse_control_characters

AUTO_CLOSE_AFTER = timedelta(days=7)
MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_REASON = 500


class TicketStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"  # for the user: staff answered and asked something
    RESOLVED = "resolved"
    CLOSED = "closed"  # final


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


STATUS_LABELS = {
    TicketStatus.OPEN: "Open",
    TicketStatus.WAITING: "Waiting for you",
    TicketStatus.RESOLVED: "Resolved",
    TicketStatus.CLOSED: "Closed",
}
STAFF_STATUS_LABELS = {**STATUS_LABELS, TicketStatus.WAITING: "Waiting for the user"}


def _written(
    text: str, *, what: str, max_length: int, when_empty: str, code: str, multiline: bool = False
) -> str:
    """`text` trimmed (on one line unless `multiline`), or why it cannot be taken:
    empty (`code`), too long (`<what>_too_long`) or holding a control character."""
    text = text.strip() if multiline else " ".join(text.split())
    if not text:
        raise ValidationError(when_empty, code=code)
    if len(text) > max_length:
        raise ValidationError(
            f"Keep the {what} under {max_length} characters.", code=f"{what}_too_long"
        )
    return refuse_control_characters(text, what=f"The {what}", multiline=multiline)


def check_subject(subject: str) -> str:
    return _written(
        subject,
        what="subject",
        max_length=MAX_SUBJECT,
        when_empty="Say in a few words what the ticket is about.",
        code="no_subject",
    )


def check_body(body: str) -> str:
    return _written(
        body,
        what="message",
        max_length=MAX_BODY,
        when_empty="Write a message first.",
        code="empty_message",
        multiline=True,
    )


def check_reason(reason: str) -> str:
    """A staff action's reason, for the audit log: required, one line."""
    return _written(
        reason,
        what="reason",
        max_length=MAX_REASON,
        when_empty="Give a reason: it goes to the audit log.",
        code="reason_required",
    )


@dataclass(frozen=True, slots=True)
class FailedGenerationContext:
    """What a ticket opened from a failed generation carries, as it was then."""

    generation_id: UUID
    error_category: str | None
    error_code: str | None
    voice_id: UUID


_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|HeadlessChrome/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


def browser_summary(user_agent: str) -> str:
    """ "Chrome on Android": enough for staff to reproduce, without keeping the whole header."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("an unknown browser" if user_agent else "")


@dataclass(frozen=True, slots=True)
class TicketMessage:
    """One message of a ticket's thread: the requester's, or a staff member's public
    reply or internal note. `author_id` is None for an operator at the terminal."""

    id: UUID
    ticket_id: UUID
    author_id: UUID | None
    author_label: str  # the author's name or email then, or "cli"
    from_staff: bool
    internal: bool
    body: str
    created_at: datetime


@dataclass(slots=True)
class Ticket:
    id: UUID
    requester_id: UUID
    subject: str
    created_at: datetime
    updated_at: datetime
    status: TicketStatus = TicketStatus.OPEN
    priority: Priority = Priority.NORMAL
    assignee_id: UUID | None = None
    generation_id: UUID | None = None
    error_category: str | None = None
    error_code: str | None = None
    voice_id: UUID | None = None
    browser: str = ""
    first_reply_at: datetime | None = None  # the first public staff reply
    resolved_at: datetime | None = None  # the latest resolution (cleared on reopening)
    closed_at: datetime | None = None

    @classmethod
    def open(
        cls,
        *,
        requester_id: UUID,
        subject: str,
        now: datetime,
        browser: str = "",
        failed: FailedGenerationContext | None = None,
    ) -> Ticket:
        ticket = cls(
            id=uuid7(),
            requester_id=requester_id,
            subject=check_subject(subject),
            created_at=now,
            updated_at=now,
            browser=browser[:200],
        )
        if failed is not None:
            ticket.generation_id = failed.generation_id
            ticket.error_category = failed.error_category
            ticket.error_code = failed.error_code
            ticket.voice_id = failed.voice_id
        return ticket

    @property
    def is_closed(self) -> bool:
        return self.status is TicketStatus.CLOSED

    @property
    def time_to_first_reply(self) -> timedelta | None:
        return None if self.first_reply_at is None else self.first_reply_at - self.created_at

    @property
    def time_to_resolution(self) -> timedelta | None:
        done = self.resolved_at or self.closed_at
        return None if done is None else done - self.created_at

    def _refuse_if_closed(self) -> None:
        if self.is_closed:
            raise IllegalTransition(
                "This ticket is closed; open a new one to write again.", code="ticket_closed"
            )

    def user_replied(self, now: datetime) -> None:
        """The requester wrote: a ticket waiting for them or resolved is open again."""
        self._refuse_if_closed()
        if self.status in (TicketStatus.WAITING, TicketStatus.RESOLVED):
            self.status = TicketStatus.OPEN
            self.resolved_at = None
        self.updated_at = now

    def staff_replied(self, now: datetime, *, internal: bool) -> None:
        """A staff member wrote. A public reply to an open ticket waits for the user
        and starts the clock of the first reply; a note changes nothing the user sees."""
        self._refuse_if_closed()
        if not internal:
            if self.first_reply_at is None:
                self.first_reply_at = now
            if self.status is TicketStatus.OPEN:
                self.status = TicketStatus.WAITING
        self.updated_at = now

    def move_to(self, status: TicketStatus, now: datetime) -> None:
        """Staff set the status; leaving closed is refused."""
        self._refuse_if_closed()
        if status is self.status:
            return
        self.status = status
        if status is TicketStatus.RESOLVED:
            self.resolved_at = now
        elif status is TicketStatus.CLOSED:
            self.closed_at = now
        else:
            self.resolved_at = None
        self.updated_at = now

    def prioritise(self, priority: Priority, now: datetime) -> None:
        self._refuse_if_closed()
        self.priority = priority
        self.updated_at = now

    def assign(self, assignee_id: UUID | None, now: datetime) -> None:
        self._refuse_if_closed()
        self.assignee_id = assignee_id
        self.updated_at = now

    def closes_itself(self, now: datetime) -> bool:
        """Resolved, and the user has not answered for `AUTO_CLOSE_AFTER`."""
        return (
            self.status is TicketStatus.RESOLVED
            and self.resolved_at is not None
            and now - self.resolved_at >= AUTO_CLOSE_AFTER
        )


@dataclass(frozen=True, slots=True)
class CannedReply:
    title: str
    body: str


# Replies staff pick and adapt; a list in the code to start (a staff-editable list in
# the database is later work).
CANNED_REPLIES = (
    CannedReply(
        "Retried the generation",
        "We tried your generation again and it is being made now. You will find it in "
        "your history in a minute or two. Write back here if it fails again.",
    ),
    CannedReply(
        "Text too long",
        "The text is longer than the voice can speak in one go. Split it into shorter "
        "parts (under 5,000 characters each) and make one QR code per part.",
    ),
    CannedReply(
        "Need more detail",
        "Thanks for writing in. Could you tell us what you did just before it went "
        "wrong, and what you saw on the page? A screenshot helps.",
    ),
    CannedReply(
        "Solved, closing soon",
        "We believe this is solved. If anything is still wrong, just reply: the ticket "
        "opens again. Otherwise it closes by itself in 7 days.",
    ),
)
