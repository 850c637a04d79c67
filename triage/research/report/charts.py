"""Horizontal bar charts as inline SVG, drawn in Python.

No script, no stylesheet and no font to fetch: colours and fonts are SVG presentation
attributes, which a strict Content-Security-Policy allows, and the report reads the
same offline. Hidden (suppressed) figures get no bar, only their mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 680
LABEL_WIDTH = 320
BAR_WIDTH = 280
ROW_HEIGHT = 22
BAR_HEIGHT = 14
MAX_LABEL_CHARS = 44
BAR_COLOUR = "#2f6690"
TEXT_COLOUR = "#1b1b1b"
MUTED_COLOUR = "#6b6b6b"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="13"'


@dataclass(frozen=True)
class Bar:
    label: str
    #: ``None``: the figure is hidden; only ``shown`` is drawn.
    value: float | None
    #: The figure as text beside the bar: "68,5% (92)", or the mark of a hidden figure.
    shown: str


def bar_chart(title: str, bars: Sequence[Bar], maximum: float | None = None) -> str:
    """An SVG bar chart; bars scale to ``maximum`` (the largest value by default)."""
    values = [bar.value for bar in bars if bar.value is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    height = ROW_HEIGHT * len(bars) + 4
    parts = [
        f'<svg role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT + 2
        middle = y + ROW_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}" {FONT}>{escape(_short(bar.label))}</text>'
        )
        length = BAR_WIDTH * bar.value / top if bar.value is not None and top > 0 else 0.0
        if length > 0:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + (ROW_HEIGHT - BAR_HEIGHT) / 2:.0f}" '
                f'width="{length:.1f}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            )
        colour = TEXT_COLOUR if bar.value is not None else MUTED_COLOUR
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.0f}" fill="{colour}" '
            f"{FONT}>{escape(bar.shown)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"
