"""`/transparency`: moderation decisions per month by category, for anyone. Counts
only: no names, no codes."""

from __future__ import annotations

from collections import defaultdict

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.moderation.cases import DECISION_LABELS, DecisionKind
from voiceqr.domain.moderation.flags import REASON_LABELS, ReasonCode
from voiceqr.entrypoints.http.kit.forms import page

# What the public page counts: decisions that acted on a code, and dismissals.
SHOWN = (DecisionKind.QUARANTINE, DecisionKind.DELETE, DecisionKind.BAN_OWNER, DecisionKind.DISMISS)


@get("/transparency")
async def transparency_page(platform: NamedDependency[Platform]) -> Template:
    counts = await platform.moderation.transparency.per_month()
    months: dict[str, dict[tuple[DecisionKind, ReasonCode | None], int]] = defaultdict(dict)
    for c in counts:
        if c.kind in SHOWN:
            key = (c.kind, c.reason_code)
            month = months[c.month.strftime("%Y-%m")]
            month[key] = month.get(key, 0) + c.count
    rows = {
        month: [
            (DECISION_LABELS[kind], REASON_LABELS[code] if code else "", n)
            for (kind, code), n in sorted(
                found.items(), key=lambda i: (SHOWN.index(i[0][0]), i[0][1] or "")
            )
        ]
        for month, found in months.items()
    }
    return page("moderation/transparency.html", months=sorted(rows.items(), reverse=True))
