"""Response bodies of the analytics API, and the one presenter of each read model."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec

from voiceqr.application.analytics.dashboards import (
    Breakdown,
    Dashboard,
    Heatmap,
    ListenedCode,
    Summary,
    TimeSeries,
    TopCode,
)
from voiceqr.domain.analytics.listening import MIN_LISTENS_TO_RANK
from voiceqr.domain.analytics.periods import Period
from voiceqr.entrypoints.http.kit.listen_through import ListenThroughOut, listen_through_out


class PeriodOut(msgspec.Struct):
    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    tz: str


class SummaryOut(msgspec.Struct):
    """Totals of the period: bots and the owner's own views are left out of every count;
    `bots_left_out` says how many bot scans were."""

    period: PeriodOut
    codes: int
    scans: int
    unique_visitors: int  # per code and per day: visitor keys cannot be followed across days
    listens: int
    bots_left_out: int
    # Listen-through of the listens started in the period that reported what they heard
    # (each for the audio its code plays now): how many, the mean share of the audio
    # they heard (0 to 1), and the share heard to the end.
    listens_reported: int
    average_listen_through: float
    completion_rate: float


class PointOut(msgspec.Struct):
    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    scans: int = 0
    listens: int = 0
    previous_from: date | None = None
    previous_to: date | None = None
    previous_scans: int = 0
    previous_listens: int = 0


class TimeSeriesOut(msgspec.Struct):
    period: PeriodOut
    bucket: str
    points: list[PointOut]
    scans: int
    listens: int
    previous_scans: int
    previous_listens: int


class BreakdownRowOut(msgspec.Struct):
    value: str  # "" when unknown
    scans: int
    listens: int
    unique_visitors: int
    share: float  # of the period's scans, 0 to 1


class BreakdownOut(msgspec.Struct):
    period: PeriodOut
    dimension: str
    rows: list[BreakdownRowOut]


class HeatmapOut(msgspec.Struct):
    """Counts by weekday (0 is Monday) and hour (0-23) in `period.tz`."""

    period: PeriodOut
    scans: list[list[int]]
    listens: list[list[int]]


class TopCodeOut(msgspec.Struct):
    generation_id: UUID
    public_code: str
    text: str
    deleted: bool
    scans: int
    listens: int
    # By listen-through only: the code's listens in the period that reported what
    # they heard, their mean share heard and the share heard to the end.
    listens_reported: int | None = None
    average_listen_through: float | None = None
    completion_rate: float | None = None


class TopCodesOut(msgspec.Struct):
    period: PeriodOut
    by: str
    codes: list[TopCodeOut]
    min_listens: int | None = None  # by listen-through: a code needs this many listens


class CodeAnalyticsOut(msgspec.Struct):
    """One code's dashboard: every panel of the account's, for this code."""

    generation_id: UUID
    summary: SummaryOut
    timeseries: TimeSeriesOut
    breakdowns: dict[str, list[BreakdownRowOut]]
    heatmap: HeatmapOut
    # The listens started in the period, for the audio the code plays now: the
    # retention curve (20 points of 5%) and the share that heard each sentence.
    listen_through: ListenThroughOut


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(period.days.first, period.days.last, period.zone.key)


def summary_out(period: Period, summary: Summary) -> SummaryOut:
    c, heard = summary.counts, summary.listening
    return SummaryOut(
        period_out(period),
        summary.codes,
        c.scans,
        c.visitors,
        c.listens,
        c.bots_left_out,
        heard.listens,
        heard.average_share,
        heard.completion_rate,
    )


def timeseries_out(period: Period, series: TimeSeries) -> TimeSeriesOut:
    points = [
        PointOut(
            p.days.first,
            p.days.last,
            p.scans,
            p.listens,
            p.previous_days.first,
            p.previous_days.last,
            p.previous_scans,
            p.previous_listens,
        )
        for p in series.points
    ]
    now, then = series.total, series.previous_total
    return TimeSeriesOut(
        period_out(period), series.bucket, points, now.scans, now.listens, then.scans, then.listens
    )


def rows_out(breakdown: Breakdown) -> list[BreakdownRowOut]:
    return [
        BreakdownRowOut(r.value, r.counts.scans, r.counts.listens, r.counts.visitors, r.share)
        for r in breakdown.rows
    ]


def breakdown_out(period: Period, breakdown: Breakdown) -> BreakdownOut:
    return BreakdownOut(period_out(period), breakdown.dimension, rows_out(breakdown))


def heatmap_out(period: Period, heatmap: Heatmap) -> HeatmapOut:
    return HeatmapOut(period_out(period), heatmap.scans, heatmap.listens)


def top_codes_out(period: Period, by: str, codes: list[TopCode]) -> TopCodesOut:
    return TopCodesOut(
        period_out(period),
        by,
        [
            TopCodeOut(
                c.generation_id, c.public_code, c.text, c.deleted, c.counts.scans, c.counts.listens
            )
            for c in codes
        ],
    )


def best_listened_out(period: Period, codes: list[ListenedCode]) -> TopCodesOut:
    return TopCodesOut(
        period_out(period),
        "listen_through",
        [
            TopCodeOut(
                c.generation_id,
                c.public_code,
                c.text,
                c.deleted,
                c.counts.scans,
                c.counts.listens,
                listens_reported=c.listening.listens,
                average_listen_through=c.listening.average_share,
                completion_rate=c.listening.completion_rate,
            )
            for c in codes
        ],
        min_listens=MIN_LISTENS_TO_RANK,
    )


def code_analytics_out(generation_id: UUID, board: Dashboard) -> CodeAnalyticsOut:
    period = board.period
    return CodeAnalyticsOut(
        generation_id=generation_id,
        summary=summary_out(period, board.summary),
        timeseries=timeseries_out(period, board.timeseries),
        breakdowns={str(d): rows_out(b) for d, b in board.breakdowns.items()},
        heatmap=heatmap_out(period, board.heatmap),
        listen_through=listen_through_out(board.summary.listening),
    )
