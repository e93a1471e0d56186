"""Mail in the background: delivery of the outbox (each message is claimed before it
is sent, so a test or the dev mailbox delivering at the same time never doubles one)."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import LAST, Periodic, Task, sweep_interval


async def deliver_mail(platform: Platform) -> int:
    return await platform.mail.delivery.deliver_due()


TASKS: tuple[Task, ...] = ()
# Last in a pass: mail another job queued on the same pass (the failure-rate
# alert) goes out on that pass.
SCHEDULES = (Periodic("mail delivery", sweep_interval, deliver_mail, order=LAST),)
