"""Server-side SVG bar charts: accessible (title, description, and a data table beside
them on the page), no script, no inline style, so they pass a strict CSP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 330
BAR_AREA = 360
VALUE_WIDTH = 90
TOP = 34
COLOR = "#1d5c63"
COLOR_SECOND = "#b35c00"
TEXT = "#1a1a1a"
GRID = "#c9d6d8"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # percent (0-100) or any non-negative number
    note: str  # text shown after the bar, e.g. "95 (71.4%)"


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    description: str,
    *,
    chart_id: str,
    max_value: float | None = None,
    second: Sequence[Bar] | None = None,
    legend: tuple[str, str] | None = None,
) -> str:
    """A horizontal bar chart as an SVG document fragment (also valid standalone)."""
    top = max([b.value for b in bars] + [b.value for b in (second or [])] + [0.0])
    scale_max = max_value if max_value is not None else (top or 1.0)
    per_row = BAR_HEIGHT * (2 if second else 1) + GAP
    height = TOP + per_row * len(bars) + 10 + (24 if legend else 0)
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="0" y="18" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    for i, bar in enumerate(bars):
        y = TOP + i * per_row
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
            f'fill="{TEXT}">{escape(_clip(bar.label))}</text>'
        )
        parts.append(
            f'<line x1="{LABEL_WIDTH}" y1="{y}" x2="{LABEL_WIDTH}" y2="{y + per_row - GAP}" '
            f'stroke="{GRID}"/>'
        )
        rows = [(bar, COLOR)] + ([(second[i], COLOR_SECOND)] if second else [])
        for j, (b, color) in enumerate(rows):
            yy = y + j * BAR_HEIGHT
            w = BAR_AREA * (b.value / scale_max) if scale_max else 0
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{yy + 2}" width="{max(w, 0):.1f}" '
                f'height="{BAR_HEIGHT - 4}" fill="{color}"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + max(w, 0) + 6:.1f}" y="{yy + BAR_HEIGHT * 0.7:.1f}" '
                f'fill="{TEXT}">{escape(b.note)}</text>'
            )
    if legend:
        y = height - 14
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y - 10}" width="12" height="12" fill="{COLOR}"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + 18}" y="{y}" fill="{TEXT}">{escape(legend[0])}</text>'
        )
        x2 = LABEL_WIDTH + 190
        parts.append(f'<rect x="{x2}" y="{y - 10}" width="12" height="12" fill="{COLOR_SECOND}"/>')
        parts.append(f'<text x="{x2 + 18}" y="{y}" fill="{TEXT}">{escape(legend[1])}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
