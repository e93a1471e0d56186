"""The audit log of admin actions, read by admins and operators (each feature writes
its entries with `voiceqr.application.shared.audit.record`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voiceqr.application.operations.ports import OperationsUnitOfWork
from voiceqr.application.shared.cursors import decode_cursor, encode_cursor
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.operations.audit import AuditEvent, AuditPosition, check_action_filter
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.text import refuse_control_characters

MAX_AUDIT_PAGE = 200


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the log, newest first; `next_cursor` fetches older entries (None: no more)."""

    items: list[AuditEvent]
    next_cursor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditTrail:
    """Reading the audit log: those who may read it (administrators, the operator)."""

    uow: Callable[[], OperationsUnitOfWork]

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
        async with self.uow() as uow:
            found = await uow.audit.list(limit=limit + 1, action=action, actor=actor, after=after)
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(HistoryPosition(items[-1].occurred_at, items[-1].id))
        return AuditPage(items=items, next_cursor=next_cursor)
