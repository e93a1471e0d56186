"""The owner's analytics in the JSON API: totals, scans and listens over time,
breakdowns, the heatmap, top codes, and one code's analytics.

Every operation takes `from` and `to` (ISO dates, both included; the last 30 days by
default) and `tz` (an IANA time zone; by default the one of the caller's profile, else
UTC), and answers only for the caller's own codes. Listen-through figures count the
listens that started in the period.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.periods import MAX_DAYS, Bucket, Period
from voiceqr.domain.analytics.tallies import Dimension
from voiceqr.entrypoints.http.analytics.schemas import (
    BreakdownOut,
    CodeAnalyticsOut,
    HeatmapOut,
    SummaryOut,
    TimeSeriesOut,
    TopCodesOut,
    best_listened_out,
    breakdown_out,
    code_analytics_out,
    heatmap_out,
    summary_out,
    timeseries_out,
    top_codes_out,
)
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user

BreakdownDimension = Literal[
    "country", "device", "os", "browser", "source", "placement", "referrer", "language"
]


async def dashboard_period(
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    first: Annotated[
        str | None,
        QueryParameter(
            name="from",
            max_length=10,
            description="First day, an ISO date (2026-05-01); 30 days before `to` by default",
        ),
    ] = None,
    last: Annotated[
        str | None,
        QueryParameter(
            name="to",
            max_length=10,
            description=f"Last day, included; today by default. At most {MAX_DAYS} days in all",
        ),
    ] = None,
    tz: Annotated[
        str | None,
        QueryParameter(
            max_length=64,
            description="An IANA time zone (Europe/Paris); by default your profile's, else UTC",
        ),
    ] = None,
) -> Period:
    """The period of the query string; a bad date, a range too long or an unknown time
    zone is a 422 that says which (`invalid_date`, `date_range_too_long`...)."""
    return await platform.analytics.dashboards.period_for(user, first, last, tz)


_DEPENDENCIES = {"user": Provide(current_user), "period": Provide(dashboard_period)}


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["analytics"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = _DEPENDENCIES

    @get("/summary")
    async def summary(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        period: NamedDependency[Period],
    ) -> SummaryOut:
        """Your codes, and their scans, unique visitors, listens and the bots left out;
        how far the listens went (average share heard, completion rate)."""
        found = await platform.analytics.dashboards.summary(user, period)
        return summary_out(period, found)

    @get("/timeseries")
    async def timeseries(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        period: NamedDependency[Period],
        bucket: FromQuery[Bucket] = Bucket.DAY,
    ) -> TimeSeriesOut:
        """Scans and listens per day, ISO week or month in `tz`, each bucket beside the
        same bucket of the previous period of the same length."""
        found = await platform.analytics.dashboards.timeseries(user, period, bucket)
        return timeseries_out(period, found)

    @get("/breakdown")
    async def breakdown(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        period: NamedDependency[Period],
        dimension: FromQuery[BreakdownDimension],
    ) -> BreakdownOut:
        """Scans, listens and unique visitors by one dimension, most scans first."""
        found = await platform.analytics.dashboards.breakdown(user, period, Dimension(dimension))
        return breakdown_out(period, found)

    @get("/heatmap")
    async def heatmap(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        period: NamedDependency[Period],
    ) -> HeatmapOut:
        """Scans and listens by weekday and hour in `tz`."""
        found = await platform.analytics.dashboards.heatmap(user, period)
        return heatmap_out(period, found)

    @get("/top-codes")
    async def top_codes(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        period: NamedDependency[Period],
        by: FromQuery[Literal["scans", "listens", "listen_through"]] = "scans",
    ) -> TopCodesOut:
        """Your ten codes with most scans (or listens) in the period; or, by
        `listen_through`, those whose listens heard most of them (highest average share
        heard, among codes with at least `min_listens` listens in the period)."""
        dashboards = platform.analytics.dashboards
        if by == "listen_through":
            return best_listened_out(period, await dashboards.best_listened(user, period))
        found = await dashboards.top_codes(user, period, by=by)
        return top_codes_out(period, by, found)


@get(
    "/generations/{generation_id:uuid}/analytics",
    tags=["analytics"],
    opt=api_key_scopes(GET=Scope.READ),
    dependencies=_DEPENDENCIES,
)
async def code_analytics(
    generation_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    period: NamedDependency[Period],
    bucket: FromQuery[Bucket] = Bucket.DAY,
) -> CodeAnalyticsOut:
    """One of your codes: totals, scans and listens over time, every breakdown, the
    heatmap, and its listen-through: the retention curve (20 points of 5%) and the share
    of listens that heard each sentence (another user's code: 404)."""
    board = await platform.analytics.dashboards.dashboard(user, period, bucket, generation_id)
    return code_analytics_out(generation_id, board)
