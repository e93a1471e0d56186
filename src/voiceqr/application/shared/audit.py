"""Recording admin actions in the audit log, in the transaction of the action.

Every admin use case calls `record` with its own unit of work before committing, so
the entry and the change are saved together or not at all:

    async with uow_factory() as uow:
        ...change something...
        await record(uow, actor, "generation.requeue", target=("generation", gid),
                     now=clock(), ip=ip, details={"voice_id": str(voice_id)})
        await uow.commit()

Every feature with admin actions records them; the operations feature reads the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.authz import Actor
from voiceqr.domain.operations.audit import AuditEvent, check_action
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)


async def record(
    uow: AuditedUnitOfWork,
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
