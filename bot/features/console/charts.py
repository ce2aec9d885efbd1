"""Small bar charts drawn on the server as SVG: no script, nothing fetched, CSP-friendly.

Colours are SVG attributes and CSS classes (the CSP forbids inline style attributes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

__all__ = ["bars", "hbars"]

WIDTH, HEIGHT, GAP = 280, 64, 2


def bars(
    values: Sequence[float | None], days: Sequence[date], title: str, split: int = 7
) -> Markup:
    """One bar per day; the first `split` days (the week before) are drawn lighter.

    A day with no value (a rate with nothing to divide) gets no bar. Each bar has a tooltip
    with its day and value.
    """
    count = max(1, len(values))
    top = max((v for v in values if v is not None), default=0) or 1
    step = WIDTH / count
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 14}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<line class="axis" x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}"/>',
    ]
    for index, (value, day) in enumerate(zip(values, days, strict=True)):
        if value is None:
            continue
        height = max(1.0, HEIGHT * value / top) if value > 0 else 0.0
        x = index * step + GAP / 2
        kind = "before" if index < split else "now"
        label = f"{day:%d/%m}: {value:g}"
        parts.append(
            f'<rect class="bar {kind}" x="{x:.1f}" y="{HEIGHT - height:.1f}" '
            f'width="{step - GAP:.1f}" height="{height:.1f}"><title>{escape(label)}</title></rect>'
        )
    for index in (0, split, count - 1):
        if 0 <= index < len(days):
            x = index * step + step / 2
            anchor = "start" if index == 0 else "end" if index == count - 1 else "middle"
            x = 0 if index == 0 else WIDTH if index == count - 1 else x
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{HEIGHT + 12}" text-anchor="{anchor}">'
                f"{days[index]:%d/%m}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


ROW, LABEL_GAP, BAR = 34, 16, 11


def hbars(rows: Sequence[tuple[str, int]], title: str) -> Markup:
    """One labelled horizontal bar per row (label above its bar, the count at its end).

    Readable at a phone's width: the labels get the chart's whole width instead of a column.
    """
    top = max((n for _, n in rows), default=0) or 1
    room = WIDTH - 40  # the count is written after the bar
    height = ROW * max(1, len(rows))
    parts = [
        f'<svg class="chart hbars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    for index, (name, count) in enumerate(rows):
        y = index * ROW
        length = max(1.0, room * count / top) if count > 0 else 0.0
        parts.append(f'<text class="label" x="0" y="{y + 12}">{escape(name)}</text>')
        parts.append(
            f'<rect class="bar now" x="0" y="{y + LABEL_GAP}" width="{length:.1f}" '
            f'height="{BAR}"><title>{escape(name)}: {count}</title></rect>'
        )
        parts.append(
            f'<text class="value" x="{length + 4:.1f}" y="{y + LABEL_GAP + BAR - 1}">'
            f"{f'{count:,}'.replace(',', '.')}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
