"""The report as four bar charts on one PNG (`trolyso report --format png`).

Requests by status and by topic, outcomes, citizens helped. matplotlib (the `charts` extra) is
imported when a chart is drawn, on its Agg canvas; DejaVu Sans, shipped with matplotlib, has
every Vietnamese letter.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.features.reports.model import Report
from bot.features.reports.wording import (
    NO_OUTCOME,
    demo_text,
    int_vn,
    label,
    period_text,
    scope_text,
)
from storage.vocabulary import OUTCOMES, REQUEST_STATUSES, TOPICS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["render_png"]


def _wrap(name: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(name, width)) or name


def _bars(axes: Axes, title: str, rows: Sequence[tuple[str, int]], color: str) -> None:
    from matplotlib.ticker import MaxNLocator

    labels = [_wrap(name) for name, _ in rows][::-1]
    values = [n for _, n in rows][::-1]
    bars = axes.barh(labels, values, color=color)
    axes.bar_label(bars, labels=[int_vn(v) for v in values], padding=3, fontsize=9)
    axes.set_title(title, fontsize=12, fontweight="bold", loc="left")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.tick_params(axis="y", labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)


def render_png(report: Report) -> bytes:
    """Four small bar charts: requests by status and by topic, outcomes, citizens helped."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    statuses = [(label(REQUEST_STATUSES, c), n) for c, n in report.by_status]
    topics = [(label(TOPICS, c), n) for c, n in report.by_topic]
    outcomes = [(label(OUTCOMES, c), n) for c, n in report.by_outcome]
    outcomes.append((NO_OUTCOME, report.closed_without_outcome))
    citizens = [("Qua tin nhắn", report.citizens.chat), ("Trực tiếp", report.citizens.field)]

    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        figure = Figure(figsize=(13, 8.5), dpi=110, layout="constrained")
        FigureCanvasAgg(figure)
        heading = f"Hoạt động hỗ trợ chuyển đổi số · {period_text(report)}"
        details = textwrap.fill(f"{scope_text(report)} · Dữ liệu {demo_text(report)}", 150)
        figure.suptitle(f"{heading}\n{details}", fontsize=13)
        grid = figure.subplots(2, 2)
        _bars(grid[0][0], "Yêu cầu hỗ trợ theo trạng thái", statuses, "#4C72B0")
        _bars(grid[0][1], "Yêu cầu hỗ trợ theo chủ đề", topics, "#55A868")
        _bars(grid[1][0], "Kết quả các phiên đã kết thúc", outcomes, "#C44E52")
        _bars(
            grid[1][1],
            f"Người dân được hỗ trợ: {int_vn(report.citizens.total)}",
            citizens,
            "#8172B2",
        )
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
