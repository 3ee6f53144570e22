"""Charts as inline SVG drawn on the server: no script and nothing from outside the machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

PALETTE = ("#3d8af7", "#07c160", "#f0a020", "#e5484d", "#8e4ec6", "#12a594", "#978365", "#d6409f")


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label and value are page text, so they stay legible on a phone."""

    label: str
    value: int
    # Percent of the largest value: the bar's length in its row.
    share: float


def bar_chart(items: Sequence[Tuple[str, int]], longest_first: bool = True) -> Tuple[Bar, ...]:
    """Horizontal bars scaled to the largest value: longest first, or in the given order (hours of a day)."""
    top = max((v for _, v in items), default=0) or 1
    ordered = sorted(items, key=lambda kv: -kv[1]) if longest_first else items
    return tuple(Bar(label, value, 100 * value / top) for label, value in ordered)


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    points: str
    total: int


@dataclass(frozen=True)
class LineChart:
    series: Tuple[Series, ...]
    ticks: Tuple[Tuple[float, str], ...]
    width: float
    height: float
    peak: int
    # Room around the plot for the axis labels: the peak left of it, the days (centred on
    # their point, so the first and last reach past its ends) below it.
    margin_left: float = 44
    margin_right: float = 28
    margin_top: float = 10
    margin_bottom: float = 30

    @property
    def view_box(self) -> str:
        """The SVG viewBox: the plot at the origin, the margins around it."""
        return (
            f"{-self.margin_left} {-self.margin_top} {self.width + self.margin_left + self.margin_right} "
            f"{self.height + self.margin_top + self.margin_bottom}"
        )


def line_chart(days: List[str], series: Dict[str, List[int]], width: float = 620, height: float = 180) -> LineChart:
    """One polyline per series over the days; the six largest series, by total."""
    peak = max((max(v) for v in series.values()), default=0) or 1
    step = width / max(1, len(days) - 1)
    chosen = sorted(series.items(), key=lambda kv: -sum(kv[1]))[: len(PALETTE)]
    lines = tuple(
        Series(
            label,
            PALETTE[i],
            " ".join(f"{x * step:.1f},{height - height * v / peak:.1f}" for x, v in enumerate(values)),
            sum(values),
        )
        for i, (label, values) in enumerate(chosen)
    )
    every = max(1, len(days) // 6)
    ticks = tuple((i * step, day) for i, day in enumerate(days) if i % every == 0)
    return LineChart(lines, ticks, width, height, peak)
