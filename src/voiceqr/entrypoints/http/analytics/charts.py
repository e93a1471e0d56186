"""Charts as server-rendered SVG, each drawn beside a table that says the same in text.

The SVG is decoration for those who can see it (`aria-hidden`); the table next to it is
what a screen reader reads, and what the CSV export holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from voiceqr.application.analytics.dashboards import BreakdownRow, Heatmap, Point

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WIDTH, _HEIGHT, _PAD = 600, 200, 24


def _svg(width: int, height: int, body: Sequence[str], label: str) -> Markup:
    return Markup(  # noqa: S704  (every text in `body` is escaped where it is made)
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-hidden="true" '
        f'focusable="false" preserveAspectRatio="none"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def timeseries(points: Sequence[Point], label: str) -> Markup:
    """Scans per bucket as bars, the previous period's as a dashed line over them."""
    if not points:
        return Markup("")
    top = max(max(p.scans, p.previous_scans, p.listens) for p in points) or 1
    step = (_WIDTH - _PAD) / len(points)
    usable = _HEIGHT - _PAD

    def y(value: int) -> float:
        return round(_HEIGHT - _PAD / 2 - usable * value / top, 1)

    base = _HEIGHT - _PAD / 2
    body = [f'<line x1="0" y1="{base}" x2="{_WIDTH}" y2="{base}" class="axis"/>']
    for i, p in enumerate(points):
        x = round(_PAD / 2 + i * step, 1)
        width = round(max(step * 0.7, 1), 1)
        body.append(
            f'<rect class="scans" x="{x}" y="{y(p.scans)}" width="{width}" '
            f'height="{round(y(0) - y(p.scans), 1)}"/>'
        )
    previous = " ".join(
        f"{round(_PAD / 2 + (i + 0.35) * step, 1)},{y(p.previous_scans)}"
        for i, p in enumerate(points)
    )
    listens = " ".join(
        f"{round(_PAD / 2 + (i + 0.35) * step, 1)},{y(p.listens)}" for i, p in enumerate(points)
    )
    body.append(f'<polyline class="previous" points="{previous}"/>')
    body.append(f'<polyline class="listens" points="{listens}"/>')
    return _svg(_WIDTH, _HEIGHT, body, label)


def bars(rows: Sequence[BreakdownRow], label: str, *, limit: int = 8) -> Markup:
    """The top values of a breakdown as horizontal bars of their share of scans."""
    shown = list(rows[:limit])
    if not shown:
        return Markup("")
    row_height = 22
    height = row_height * len(shown)
    top = max(r.counts.scans for r in shown) or 1
    body = []
    for i, r in enumerate(shown):
        width = round(_WIDTH * r.counts.scans / top, 1)
        body.append(
            f'<rect class="scans" x="0" y="{i * row_height + 3}" width="{max(width, 1)}" '
            f'height="{row_height - 6}"/>'
        )
    return _svg(_WIDTH, height, body, label)


def heatmap(cells: Heatmap, label: str) -> Markup:
    """7 rows (Monday first) of 24 hours, darker where more scans were."""
    size, left, head = 22, 40, 16
    busiest = cells.busiest or 1
    body = []
    for day, row in enumerate(cells.scans):
        y = head + day * size
        body.append(f'<text x="0" y="{y + 15}" class="label">{WEEKDAYS[day]}</text>')
        for hour, count in enumerate(row):
            opacity = round(0.08 + 0.92 * count / busiest, 2) if count else 0.04
            body.append(
                f'<rect class="cell" x="{left + hour * size}" y="{y}" width="{size - 2}" '
                f'height="{size - 2}" fill-opacity="{opacity}"/>'
            )
    for hour in range(0, 24, 3):
        body.append(f'<text x="{left + hour * size}" y="11" class="label">{hour:02d}</text>')
    return _svg(left + 24 * size, head + 7 * size, body, label)


def retention(shares: Sequence[float], label: str) -> Markup:
    """The retention curve: a bar per 5% of the audio, as tall as the share of listens
    that heard it."""
    if not shares:
        return Markup("")
    step = _WIDTH / len(shares)
    usable = _HEIGHT - _PAD
    base = _HEIGHT - _PAD / 2
    body = [f'<line x1="0" y1="{base}" x2="{_WIDTH}" y2="{base}" class="axis"/>']
    for i, share in enumerate(shares):
        height = round(usable * min(max(share, 0.0), 1.0), 1)
        body.append(
            f'<rect class="listens-bar" x="{round(i * step + 1, 1)}" y="{round(base - height, 1)}" '
            f'width="{round(step - 2, 1)}" height="{height}"/>'
        )
    return _svg(_WIDTH, _HEIGHT, body, label)
