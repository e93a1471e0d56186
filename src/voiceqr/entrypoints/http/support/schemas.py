"""Support tickets in the JSON API: what a user sends and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from voiceqr.domain.support.tickets import MAX_BODY, MAX_SUBJECT
from voiceqr.entrypoints.http.kit.schemas import Body, multi_line, one_line

Subject = Annotated[str, one_line(MAX_SUBJECT)]
Message = Annotated[str, multi_line(MAX_BODY)]


class TicketIn(Body):
    subject: Subject
    message: Message
    generation_id: UUID | None = None  # a failed generation of yours the ticket is about


class MessageIn(Body):
    message: Message


class MessageOut(msgspec.Struct):
    id: UUID
    author: str
    from_staff: bool
    body: str
    created_at: datetime


class TicketSummary(msgspec.Struct):
    id: UUID
    subject: str
    status: str  # open, waiting (for you), resolved, closed
    created_at: datetime
    updated_at: datetime
    generation_id: UUID | None


class TicketOut(TicketSummary):
    error_category: str | None
    error_code: str | None
    messages: list[MessageOut]


class TicketList(msgspec.Struct):
    items: list[TicketSummary]
