"""Server-side SVG bar charts: accessible (title, description, and a data table beside
them on the page), no script, no inline style, so they pass a strict CSP.

The charts are responsive: a viewBox and width 100%, no fixed pixel size. Bars are
horizontal and each label is wrapped onto its own lines above its bar, so the chart is
narrow enough (VIEW_WIDTH units) that on a 360 px phone its text is still drawn at 12 px
or more; static/app.css caps the width on large screens so the text does not grow large.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

VIEW_WIDTH = 360
FONT_SIZE = 15  # user units; drawn at FONT_SIZE × (rendered width / VIEW_WIDTH) px
TITLE_SIZE = 16
LINE = 19  # height of one text line
BAR_HEIGHT = 18
BAR_GAP = 4  # between the two bars of a row
ROW_GAP = 12
NOTE_WIDTH = 110  # room right of the longest bar for "133 (100,0%)"
BAR_AREA = VIEW_WIDTH - NOTE_WIDTH
WRAP = 36  # characters per label line (DejaVu Sans at FONT_SIZE in VIEW_WIDTH)
TITLE_WRAP = 34
COLOR = "#1d5c63"
COLOR_SECOND = "#b35c00"
TEXT = "#1a1a1a"
GRID = "#c9d6d8"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # percent (0-100) or any non-negative number
    note: str  # text shown after the bar, e.g. "95 (71.4%)"


def wrap_label(text: str, width: int = WRAP) -> list[str]:
    """A label as lines of at most `width` characters, broken between words."""
    return textwrap.wrap(text, width=width, break_long_words=True) or [""]


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
    body: list[str] = []
    y = 0.0

    def text(x: float, baseline: float, content: str, extra: str = "") -> None:
        body.append(
            f'<text x="{x:g}" y="{baseline:.1f}" fill="{TEXT}"{extra}>{escape(content)}</text>'
        )

    for line in wrap_label(title, TITLE_WRAP):
        y += LINE + 1
        text(0, y - 5, line, f' font-weight="bold" font-size="{TITLE_SIZE}"')
    y += 6
    if legend:
        for name, color in zip(legend, (COLOR, COLOR_SECOND), strict=True):
            for n, line in enumerate(wrap_label(name, WRAP - 3)):
                y += LINE
                if n == 0:
                    body.append(
                        f'<rect x="0" y="{y - 15:.1f}" width="13" height="13" fill="{color}"/>'
                    )
                text(20, y - 4, line)
        y += ROW_GAP
    for i, bar in enumerate(bars):
        for line in wrap_label(bar.label):
            y += LINE
            text(0, y - 5, line)
        series = [(bar, COLOR)] + ([(second[i], COLOR_SECOND)] if second else [])
        row_top = y
        for b, color in series:
            w = max(BAR_AREA * (b.value / scale_max) if scale_max else 0.0, 0.0)
            body.append(
                f'<rect x="0" y="{y:.1f}" width="{w:.1f}" height="{BAR_HEIGHT}" fill="{color}"/>'
            )
            text(w + 6, y + BAR_HEIGHT - 4, b.note)
            y += BAR_HEIGHT + BAR_GAP
        body.append(
            f'<line x1="0" y1="{row_top:.1f}" x2="0" y2="{y - BAR_GAP:.1f}" stroke="{GRID}"/>'
        )
        y += ROW_GAP - BAR_GAP
    height = round(y + 4)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW_WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" class="chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{VIEW_WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    return "\n".join([*head, *body, "</svg>"])
