"""What the dashboard pages show and export: the panels of a dashboard, each as rows
for its table and its CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voiceqr.application.analytics.dashboards import Dashboard, ListenedCode, TopCode
from voiceqr.domain.analytics.periods import Bucket
from voiceqr.domain.analytics.tallies import BREAKDOWNS, Dimension
from voiceqr.domain.playback.listening import BUCKETS
from voiceqr.entrypoints.http.analytics.charts import WEEKDAYS

DIMENSION_TITLES = {
    Dimension.COUNTRY: "Countries",
    Dimension.DEVICE: "Devices",
    Dimension.OS: "Operating systems",
    Dimension.BROWSER: "Browsers",
    Dimension.SOURCE: "Sources",
    Dimension.PLACEMENT: "Placements",
    Dimension.REFERRER: "Referrers",
    Dimension.LANGUAGE: "Languages",
}
UNKNOWN = {
    Dimension.PLACEMENT: "(no placement)",
    Dimension.REFERRER: "(none: typed or scanned)",
}
BUCKET_NAMES = {Bucket.DAY: "Day", Bucket.WEEK: "Week", Bucket.MONTH: "Month"}


def shown_value(dimension: Dimension, value: str) -> str:
    if value:
        return (
            {"qr": "QR code", "link": "Link"}.get(value, value)
            if dimension is Dimension.SOURCE
            else value
        )
    return UNKNOWN.get(dimension, "(unknown)")


@dataclass(frozen=True, slots=True)
class Table:
    """One panel as a table: its CSV is these rows too."""

    name: str  # the panel's name in its CSV link
    title: str
    header: Sequence[str]
    rows: list[Sequence[object]]


def _top(name: str, title: str, codes: list[TopCode]) -> Table:
    return Table(
        name,
        title,
        ("Code", "Text", "Scans", "Listens"),
        [(c.public_code, c.text, c.counts.scans, c.counts.listens) for c in codes],
    )


def percent(share: float) -> str:
    """A share (0 to 1) as a whole percentage: 0.5 is "50%"."""
    return f"{share:.0%}"


def _best_listened(codes: list[ListenedCode]) -> Table:
    return Table(
        "top-listen-through",
        "Best performing codes by listen-through",
        ("Code", "Text", "Listens reported", "Average heard", "Heard to the end", "Scans"),
        [
            (
                c.public_code,
                c.text,
                c.listening.listens,
                percent(c.listening.average_share),
                percent(c.listening.completion_rate),
                c.counts.scans,
            )
            for c in codes
        ],
    )


def _listening(board: Dashboard) -> list[Table]:
    """The retention curve and the sentences of one code's listen-through."""
    step = 100 // BUCKETS
    heard = board.summary.listening
    return [
        Table(
            "listen-through",
            "Listeners still there, through the audio",
            ("Part of the audio", "Listens that heard it"),
            [
                (f"{i * step}% to {(i + 1) * step}%", percent(share))
                for i, share in enumerate(heard.retention)
            ],
        ),
        Table(
            "sentences",
            "Sentence by sentence",
            ("Sentence", "Listens that heard it through"),
            [(s.text, percent(s.share)) for s in heard.sentences],
        ),
    ]


def tables(board: Dashboard) -> dict[str, Table]:
    """Every panel of the dashboard by its name."""
    c, heard = board.summary.counts, board.summary.listening
    found = [
        Table(
            "summary",
            "Totals",
            (
                "Codes",
                "Scans",
                "Unique visitors",
                "Listens",
                "Bots left out",
                "Listens reported",
                "Average listen-through",
                "Heard to the end",
            ),
            [
                (
                    board.summary.codes,
                    c.scans,
                    c.visitors,
                    c.listens,
                    c.bots_left_out,
                    heard.listens,
                    percent(heard.average_share),
                    percent(heard.completion_rate),
                )
            ],
        ),
        Table(
            "timeseries",
            "Scans and listens over time",
            (
                "From",
                "To",
                "Scans",
                "Listens",
                "Previous from",
                "Previous to",
                "Previous scans",
                "Previous listens",
            ),
            [
                (
                    p.days.first.isoformat(),
                    p.days.last.isoformat(),
                    p.scans,
                    p.listens,
                    p.previous_days.first.isoformat(),
                    p.previous_days.last.isoformat(),
                    p.previous_scans,
                    p.previous_listens,
                )
                for p in board.timeseries.points
            ],
        ),
        _top("top-scans", "Most scanned codes", board.top_by_scans),
        _top("top-listens", "Most listened codes", board.top_by_listens),
        _best_listened(board.best_by_listen_through),
        *_listening(board),
        Table(
            "heatmap",
            f"Scans by weekday and hour ({board.period.zone.key})",
            ("Weekday", *(f"{h:02d}" for h in range(24))),
            [(WEEKDAYS[day], *row) for day, row in enumerate(board.heatmap.scans)],
        ),
    ]
    for dimension in BREAKDOWNS:
        breakdown = board.breakdowns[dimension]
        found.append(
            Table(
                str(dimension),
                DIMENSION_TITLES[dimension],
                (
                    DIMENSION_TITLES[dimension],
                    "Scans",
                    "Listens",
                    "Unique visitors",
                    "Share of scans",
                ),
                [
                    (
                        shown_value(dimension, r.value),
                        r.counts.scans,
                        r.counts.listens,
                        r.counts.visitors,
                        f"{r.share:.0%}",
                    )
                    for r in breakdown.rows
                ],
            )
        )
    return {t.name: t for t in found}
