"""Mail in the background: delivery of the outbox (each message is claimed before it
is sent, so a test or the dev mailbox delivering at the same time never doubles one),
the daily digest of failed generations, and the weekly summary of scans."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import LAST, Periodic, Task, sweep_interval
from voiceqr.settings import Settings

DAY = 24 * 3600.0
WEEK = 7 * DAY


async def deliver_mail(platform: Platform) -> int:
    return await platform.mail.delivery.deliver_due()


async def send_failure_digests(platform: Platform) -> int:
    return await platform.mail.scheduled.send_failure_digests()


async def send_scans_summaries(platform: Platform) -> int:
    return await platform.mail.scheduled.send_scans_summaries()


def _daily(settings: Settings) -> float:
    del settings  # "daily" and "weekly" are the product's promise, not a setting
    return DAY


def _weekly(settings: Settings) -> float:
    del settings
    return WEEK


TASKS: tuple[Task, ...] = ()
SCHEDULES = (
    Periodic("daily failure digest", _daily, send_failure_digests),
    Periodic("weekly scans summary", _weekly, send_scans_summaries),
    # Last in a pass: mail another job queued on the same pass (the failure-rate
    # alert, the digests) goes out on that pass.
    Periodic("mail delivery", sweep_interval, deliver_mail, order=LAST),
)
