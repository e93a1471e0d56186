"""The admin dashboard page: failures by category over time, the current
failure rate against the alert threshold, the latest failed generations and the
audit log of admin actions. Admins only: others are sent to sign in, or get 403.

Everything is drawn on the server (bars are CSS widths and heights); the page loads
no script and nothing from another site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from voiceqr.application.operations.failure_monitoring import FailureStats
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission, can
from voiceqr.domain.operations.failure_monitoring import StatsWindow
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.kit.forms import page

RECENT_FAILURES = 10
AUDIT_PAGE = 25


def _chart(stats: FailureStats) -> list[dict[str, Any]]:
    """Each bucket with its label and, per category, the bar height in percent of the
    busiest bucket (so the tallest bar fills the chart)."""
    tallest = max((b.failed for b in stats.buckets), default=0) or 1
    hourly = stats.window is StatsWindow.DAY
    return [
        {
            "label": b.start.strftime("%H:00" if hourly else "%a %d"),
            "title": b.start.strftime("%Y-%m-%d %H:00 UTC" if hourly else "%Y-%m-%d UTC"),
            "finished": b.finished,
            "failed": b.failed,
            "segments": [
                {"category": c, "count": n, "height": round(100 * n / tallest, 2)}
                for c, n in b.failed_by_category.items()
            ],
        }
        for b in stats.buckets
    ]


@get("/admin")
async def admin_dashboard(
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    window: FromQuery[str] = "24h",
    action: FromQuery[str] = "",
    actor: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    try:
        chosen = StatsWindow(window)
    except ValueError:
        chosen = StatsWindow.DAY
    stats = await platform.operations.failure_monitor.stats(staff, window=chosen)
    failed = await platform.generations.failures.list(staff, limit=RECENT_FAILURES)
    audit_error, events, next_cursor = None, [], None
    show_audit = can(staff, Permission.READ_AUDIT_LOG)  # a moderator sees the failures only
    try:
        if show_audit:
            audit = await platform.operations.audit.page(
                staff, limit=AUDIT_PAGE, action=action or None, actor=actor or None, cursor=cursor
            )
            events, next_cursor = audit.items, audit.next_cursor
    except ValidationError as exc:  # a mistyped filter or an old cursor: say so, show none
        audit_error = exc.message
    older = None
    if next_cursor is not None:
        query = {"window": chosen.value, "action": action, "actor": actor, "cursor": next_cursor}
        older = "/admin?" + urlencode({k: v for k, v in query.items() if v}) + "#audit"
    return page(
        "backoffice/monitoring/dashboard.html",
        user=staff,
        stats=stats,
        chart=_chart(stats),
        windows=[w.value for w in StatsWindow],
        failed=failed,
        show_audit=show_audit,
        events=events,
        filters={"action": action, "actor": actor},
        audit_error=audit_error,
        older=older,
        paged=cursor is not None,
    )
