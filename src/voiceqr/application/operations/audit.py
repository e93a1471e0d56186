"""The audit log of admin actions (O11): written with each action, read by admins.

Every admin use case calls `record` with its own unit of work before committing, so
the entry and the change are saved together or not at all:

    async with uow_factory() as uow:
        ...change something...
        await record(uow, actor, "generation.requeue", target=("generation", gid),
                     now=clock(), ip=ip, details={"voice_id": str(voice_id)})
        await uow.commit()
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.shared.cursors import decode_cursor, encode_cursor
from voiceqr.application.shared.ports import HistoryPosition, UnitOfWork, UnitOfWorkFactory
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.operations.audit import (
    AuditEvent,
    AuditPosition,
    check_action,
    check_action_filter,
)
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import refuse_control_characters

log = logging.getLogger(__name__)

MAX_AUDIT_PAGE = 200


async def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    *,
    target: tuple[str, UUID | str],
    now: datetime,
    ip: str = "",
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append an entry for an admin action to the log of `uow` (committed with the action).

    `target` is (type, id), e.g.
    ("generation", generation.id); `details` must be JSON-serialisable.
    """
    target_type, target_id = target
    event = AuditEvent(
        id=uuid7(),
        occurred_at=now,
        actor_id=actor.id,
        actor=actor.actor_label,
        action=check_action(action),
        target_type=target_type,
        target_id=str(target_id),
        details=dict(details or {}),
        ip=ip[:64],
    )
    await uow.audit.add(event)
    log.info(
        "admin action",
        extra={
            "audit_action": action,
            "actor": event.actor,
            "target_type": target_type,
            "target_id": event.target_id,
        },
    )
    return event


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the log, newest first; `next_cursor` fetches older entries (None: no more)."""

    items: list[AuditEvent]
    next_cursor: str | None


class AuditTrail:
    """Reading the audit log: those who may read it (administrators, the operator)."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def page(
        self,
        viewer: Actor,
        *,
        limit: int = 50,
        action: str | None = None,
        actor: str | None = None,
        cursor: str | None = None,
    ) -> AuditPage:
        """Entries newest first, optionally only one action (or all under a prefix such
        as `generation`) or one actor (an email, or "cli"). Keyset paged: entries
        written meanwhile never shift the older pages."""
        require(viewer, Permission.READ_AUDIT_LOG)
        if not 1 <= limit <= MAX_AUDIT_PAGE:
            raise ValidationError(
                f"Ask for 1 to {MAX_AUDIT_PAGE} entries per page.", code="bad_limit"
            )
        action = None if not action else check_action_filter(action.strip().lower())
        actor = None if not actor else actor.strip().lower()
        if actor is not None:  # no actor is named so, and PostgreSQL cannot look it up
            refuse_control_characters(actor, what="An actor")
        after = None
        if cursor is not None:
            position = decode_cursor(cursor)
            after = AuditPosition(position.created_at, position.id)
        async with self._uow() as uow:
            found = await uow.audit.list(limit=limit + 1, action=action, actor=actor, after=after)
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(HistoryPosition(items[-1].occurred_at, items[-1].id))
        return AuditPage(items=items, next_cursor=next_cursor)
