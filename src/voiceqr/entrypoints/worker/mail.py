"""Mail in the background: delivery of the outbox (each message is claimed before it
is sent, so a test or the dev mailbox delivering at the same time never doubles one)."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, sweep_interval


async def deliver_mail(platform: Platform) -> int:
    return await platform.mail.delivery.deliver_due()


TASKS: tuple[Task, ...] = ()
SCHEDULES = (Periodic("mail delivery", sweep_interval, deliver_mail),)
