"""Server-drawn SVG line charts of an elder's readings over time: no script, no inline style (the CSP allows
neither), colours and dashes from classes in static/css/elders_health.css, SVG presentation attributes for
geometry only. Every chart comes with the same figures as a table (the template renders ``rows``), so a
screen reader reads the numbers, not the drawing (the SVG is ``role="img"`` with a title and description).

    chart = line_chart(title=..., unit="mmHg", series=[Series(...)], lines=[RefLine(...)])
    chart.svg   # markup, safe to put in a template
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 16, 16, 36


@dataclass
class Series:
    """One line: a name (in the legend), a CSS class (its colour and marker), and (time, value) points."""

    name: str
    css: str
    points: list[tuple[datetime.datetime, Decimal]] = field(default_factory=list)


@dataclass
class RefLine:
    """A horizontal threshold line, labelled ("≥140")."""

    value: Decimal
    label: str
    css: str = "chart-limit"


@dataclass
class Chart:
    title: str
    description: str
    unit: str
    series: list[Series]
    lines: list[RefLine]
    svg: SafeString
    chart_id: str

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def _nice_range(values: list[Decimal]) -> tuple[float, float]:
    low, high = float(min(values)), float(max(values))
    if high - low < 1:
        low, high = low - 1, high + 1
    span = high - low
    return max(0.0, low - span * 0.1), high + span * 0.1


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    step = max(magnitude, round(raw / magnitude) * magnitude) or 1
    start = (int(low / step) + 1) * step
    out, v = [], start
    while v < high and len(out) < 10:
        out.append(round(v, 1))
        v += step
    return out


def _fmt(v: float) -> str:
    return f"{v:g}" if v == int(v) else f"{v:.1f}"


def line_chart(
    *, chart_id: str, title: str, description: str, unit: str, series: list[Series], lines: list[RefLine]
) -> Chart:
    """Draw the chart. Times run left to right (oldest first); one point alone sits in the middle."""
    values = [v for s in series for _t, v in s.points] + [line.value for line in lines]
    times = sorted(t for s in series for t, _v in s.points)
    parts: list[str] = []
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts.append(
        f'<svg class="reading-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(description)}</desc>'
    )
    if times and values:
        low, high = _nice_range(values)
        t0, t1 = times[0].timestamp(), times[-1].timestamp()
        plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

        def x(t: datetime.datetime) -> float:
            if t1 == t0:
                return PAD_LEFT + plot_w / 2
            return PAD_LEFT + (t.timestamp() - t0) / (t1 - t0) * plot_w

        def y(v) -> float:
            return PAD_TOP + (1 - (float(v) - low) / (high - low)) * plot_h

        parts.append(
            f'<rect class="chart-frame" x="{PAD_LEFT}" y="{PAD_TOP}" width="{plot_w}" height="{plot_h}"/>'
        )
        for tick in _ticks(low, high):
            ty = y(tick)
            parts.append(
                f'<line class="chart-grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
                f'<text class="chart-axis" x="{PAD_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
            )
        for line in lines:
            ly = y(line.value)
            parts.append(
                f'<line class="{escape(line.css)}" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
                f'y1="{ly:.1f}" y2="{ly:.1f}"/>'
                f'<text class="chart-limit-label" x="{WIDTH - PAD_RIGHT - 4}" y="{ly - 4:.1f}" '
                f'text-anchor="end">{escape(line.label)}</text>'
            )
        first, last = timezone.localtime(times[0]), timezone.localtime(times[-1])
        parts.append(f'<text class="chart-axis" x="{PAD_LEFT}" y="{HEIGHT - 12}">{first:%Y-%m-%d}</text>')
        if last.date() != first.date():
            parts.append(
                f'<text class="chart-axis" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 12}" '
                f'text-anchor="end">{last:%Y-%m-%d}</text>'
            )
        parts.append(f'<text class="chart-axis" x="4" y="{PAD_TOP + 4}">{escape(unit)}</text>')
        for s in series:
            pts = sorted(s.points, key=lambda p: p[0])
            if len(pts) > 1:
                path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pts)
                parts.append(f'<polyline class="chart-line {escape(s.css)}" points="{path}"/>')
            for t, v in pts:
                parts.append(
                    f'<circle class="chart-point {escape(s.css)}" cx="{x(t):.1f}" cy="{y(v):.1f}" r="4"/>'
                )
    parts.append("</svg>")
    return Chart(
        title=title,
        description=description,
        unit=unit,
        series=series,
        lines=lines,
        svg=mark_safe("".join(parts)),  # noqa: S308 - every text above is escaped, numbers are formatted
        chart_id=chart_id,
    )
