"""Draw an analysis `Table` with its `Chart` spec: inline SVG for the pages, PNG for posts.

matplotlib on its Agg/SVG canvases (no display, no global backend switch). SVG text stays text
(`svg.fonttype = "none"`), so a chart is a few kilobytes and reads in the page's own font; the
chart is decorative for assistive technology (`aria-hidden`): the table beside it carries the
numbers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from bot.core.campaign import Table

COLOURS = ("#2f5d9e", "#d4a017", "#3a8f5c", "#b5473a")
MAX_LABELS = 12


def _numbers(values: Sequence[object]) -> list[float]:
    return [float(v) if isinstance(v, int | float) else 0.0 for v in values]


def _figure(table: Table) -> Figure | None:
    spec = table.chart
    if spec is None or not table.rows:
        return None
    xs = [str(v) for v in table.column(spec.x)]
    height = 2.6 if spec.kind != "hbar" else 0.6 + 0.32 * len(xs)
    fig = Figure(figsize=(7.0, max(2.2, height)), dpi=100)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    if spec.kind == "hbar":
        ys = _numbers(table.column(spec.y[0]))
        positions = list(range(len(xs)))
        ax.barh(positions, ys, color=COLOURS[0])
        ax.set_yticks(positions, xs, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(spec.x_label or spec.y[0], fontsize=9)
    elif spec.kind == "bar":
        ys = _numbers(table.column(spec.y[0]))
        positions = list(range(len(xs)))
        ax.bar(positions, ys, color=COLOURS[0])
        step = max(1, -(-len(xs) // MAX_LABELS))
        ax.set_xticks(positions[::step], xs[::step], fontsize=8)
        ax.set_ylabel(spec.y_label, fontsize=9)
        ax.set_xlabel(spec.x_label, fontsize=9)
    else:
        positions = list(range(len(xs)))
        for colour, name in zip(COLOURS, spec.y, strict=False):
            ax.plot(positions, _numbers(table.column(name)), label=name, color=colour, lw=1.6)
        step = max(1, -(-len(xs) // 5))
        ax.set_xticks(positions[::step], [_when(x, xs) for x in xs[::step]], fontsize=7)
        ax.set_ylabel(spec.y_label, fontsize=9)
        ax.set_xlabel(spec.x_label, fontsize=9)
        if len(spec.y) > 1:
            ax.legend(fontsize=8, frameon=False)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def _when(x: str, xs: list[str]) -> str:
    """An ISO time as a short axis label: the clock time when every point is on one day."""
    same_day = len({v[:10] for v in xs}) == 1
    return x[11:16] if same_day and len(x) >= 16 else x[5:16].replace("T", " ")


def svg(table: Table) -> str | None:
    """The chart as an `<svg>` element (no XML prolog, scalable, titled), or None without one."""
    fig = _figure(table)
    if fig is None:
        return None
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "contestbot"}):
        FigureCanvasSVG(fig)
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    start = text.index("<svg")
    body = text[start:]
    body = re.sub(r'\swidth="[^"]*pt"', "", body, count=1)
    body = re.sub(r'\sheight="[^"]*pt"', "", body, count=1)
    body = body.replace("<svg ", '<svg role="img" aria-hidden="true" class="chart" ', 1)
    return body


def png(table: Table, *, dpi: int = 110) -> bytes | None:
    fig = _figure(table)
    if fig is None:
        return None
    fig.set_dpi(dpi)
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
