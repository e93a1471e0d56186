"""The dashboard pages: the account's (`/analytics`) and one code's
(`/generations/{id}/analytics`), and each panel as CSV.

The time zone is the one asked for (`tz`), else the profile's; with neither, the page
asks the browser for its own and shows itself again in it (static/analytics/zone.js).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from voiceqr.application.analytics.dashboards import Dashboard
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.listening import MIN_LISTENS_TO_RANK
from voiceqr.domain.analytics.periods import Bucket
from voiceqr.domain.analytics.tallies import BREAKDOWNS
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.analytics import charts
from voiceqr.entrypoints.http.analytics.exports import to_csv
from voiceqr.entrypoints.http.analytics.views import (
    BUCKET_NAMES,
    DIMENSION_TITLES,
    shown_value,
    tables,
)
from voiceqr.entrypoints.http.kit.forms import page
from voiceqr.entrypoints.http.kit.problems import status_of

From = Annotated[str | None, QueryParameter(name="from", max_length=10)]
To = Annotated[str | None, QueryParameter(name="to", max_length=10)]
Zone = Annotated[str | None, QueryParameter(max_length=64)]
BucketParam = Annotated[str | None, QueryParameter(max_length=10)]
Asked = tuple[str | None, str | None, str | None, str | None]  # from, to, tz, bucket


async def asked_period(
    first: From = None, last: To = None, tz: Zone = None, bucket: BucketParam = None
) -> Asked:
    """The period and bucket of the query string, as given (read by `_board`)."""
    return first, last, tz, bucket


async def _board(
    platform: Platform,
    user: User,
    asked: Asked,
    generation_id: UUID | None = None,
) -> tuple[Dashboard, str | None, int]:
    """The dashboard asked for; a bad date or time zone shows the default period with
    the reason (and the status of the refusal)."""
    first, last, tz, bucket = asked
    dashboards = platform.analytics.dashboards
    error, status = None, 200
    try:
        period = await dashboards.period_for(user, first, last, tz)
        chosen = _bucket(bucket)
    except ValidationError as exc:
        error, status = exc.message, status_of(exc)
        period, chosen = await dashboards.period_for(user, None, None, None), Bucket.DAY
    board = await dashboards.dashboard(user, period, chosen, generation_id)
    return board, error, status


async def _zone_unknown(platform: Platform, user: User, asked: Asked) -> bool:
    """Whether the page was asked for no time zone and the profile names none: then
    the browser's is the one to show (the page's script asks for it)."""
    return not asked[2] and await platform.analytics.dashboards.preferred_zone(user) is None


def _bucket(name: str | None) -> Bucket:
    try:
        return Bucket(name or Bucket.DAY)
    except ValueError:
        raise ValidationError("Show days, weeks or months.", code="unknown_bucket") from None


def _context(board: Dashboard, base: str, error: str | None) -> dict[str, object]:
    period = board.period
    query = urlencode(
        {
            "from": period.days.first.isoformat(),
            "to": period.days.last.isoformat(),
            "tz": period.zone.key,
        }
    )
    panels = tables(board)
    listening = board.summary.listening
    breakdowns = [
        (
            dimension,
            DIMENSION_TITLES[dimension],
            panels[str(dimension)],
            charts.bars(board.breakdowns[dimension].rows, DIMENSION_TITLES[dimension]),
        )
        for dimension in BREAKDOWNS
    ]
    return {
        "board": board,
        "error": error,
        "panels": panels,
        "breakdowns": breakdowns,
        "shown_value": shown_value,
        "bucket_names": BUCKET_NAMES,
        "csv": lambda name: f"{base}/csv/{name}?{query}",
        "timeseries_chart": charts.timeseries(
            board.timeseries.points, "Scans per bucket, previous period dashed"
        ),
        "heatmap_chart": charts.heatmap(board.heatmap, "Scans by weekday and hour"),
        "retention_chart": charts.retention(
            listening.retention, "Share of listens that heard each 5% of the audio"
        ),
        "min_listens": MIN_LISTENS_TO_RANK,
        "query": query,
        "empty": board.summary.counts.scans == 0 and board.summary.counts.listens == 0,
    }


@get("/analytics")
async def account_page(
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    asked: NamedDependency[Asked],
) -> Template:
    board, error, status = await _board(platform, user, asked)
    usage = await platform.analytics.dashboards.usage(user)
    return page(
        "analytics/dashboard.html",
        status,
        user=user,
        code=None,
        usage=usage,
        ask_browser_zone=await _zone_unknown(platform, user, asked),
        **_context(board, "/analytics", error),
    )


@get("/generations/{generation_id:uuid}/analytics")
async def code_page(
    generation_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    asked: NamedDependency[Asked],
) -> Template:
    board, error, status = await _board(platform, user, asked, generation_id)
    generation = await platform.generations.generations.get_for_owner(user, generation_id)
    return page(
        "analytics/dashboard.html",
        status,
        user=user,
        code=generation,
        usage=None,
        ask_browser_zone=await _zone_unknown(platform, user, asked),
        **_context(board, f"/generations/{generation_id}/analytics", error),
    )


async def _export(
    platform: Platform,
    user: User,
    panel: str,
    asked: Asked,
    generation_id: UUID | None = None,
) -> Response[str]:
    """One panel of a dashboard as CSV; a bad date is refused (422) as in the API."""
    first, last, tz, bucket = asked
    dashboards = platform.analytics.dashboards
    period = await dashboards.period_for(user, first, last, tz)
    board = await dashboards.dashboard(user, period, _bucket(bucket), generation_id)
    table = tables(board).get(panel)
    if table is None:
        raise NotFoundException(f"No panel named {panel!r}.")
    filename = "analytics" if generation_id is None else f"code-{generation_id}"
    return Response(
        to_csv(table.header, table.rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="voiceqr-{filename}-{panel}.csv"',
            "Cache-Control": "no-store",
        },
    )


@get("/analytics/csv/{panel:str}")
async def account_csv(
    panel: FromPath[str],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    asked: NamedDependency[Asked],
) -> Response[str]:
    return await _export(platform, user, panel, asked)


@get("/generations/{generation_id:uuid}/analytics/csv/{panel:str}")
async def code_csv(
    generation_id: FromPath[UUID],
    panel: FromPath[str],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    asked: NamedDependency[Asked],
) -> Response[str]:
    return await _export(platform, user, panel, asked, generation_id)
