"""A PNG chart of a competition's final standings, attached to the winners announcement.

One horizontal bar panel per category (top N entries, rank 1 at the top, winners highlighted, the
score printed at the end of each bar), drawn on matplotlib's Agg canvas (no display, and no
global backend switch), returned as bytes for `XClient.upload_media`. Text is only handles,
category titles and numbers.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.core.composing import category_title, format_score
from bot.core.models import Standings

WINNER_COLOUR = "#d4a017"
OTHER_COLOUR = "#4a78b5"
MAX_PANELS = 6


def standings_chart(standings: Standings, *, title: str, top: int = 5, dpi: int = 110) -> bytes:
    """The chart as PNG bytes. Raises ValueError when there is no category to draw."""
    categories = standings.categories[:MAX_PANELS]
    if not categories:
        raise ValueError(f"competition {standings.competition_id!r} has no category to chart")
    shown_of = [[r for r in cs.entries if r.rank <= top][:top] for cs in categories]
    heights = [max(1, len(shown)) for shown in shown_of]
    fig = Figure(figsize=(8, 1.0 + 0.45 * sum(heights) + 0.9 * len(categories)), dpi=dpi)
    axes = fig.subplots(len(categories), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[
        :, 0
    ]
    for ax, cs, shown in zip(axes, categories, shown_of, strict=True):
        ax.set_title(category_title(cs.category), loc="left", fontsize=11, fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        if not shown:
            ax.text(0.5, 0.5, "no eligible entry", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        winners = set(cs.winners)
        labels = [f"{r.rank}. @{r.username}" for r in shown]
        scores = [r.score for r in shown]
        colours = [WINNER_COLOUR if r.key in winners else OTHER_COLOUR for r in shown]
        positions = list(range(len(shown)))
        ax.barh(positions, scores, color=colours)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        peak = max(scores) or 1.0
        ax.set_xlim(0, peak * 1.15)
        for y, score in zip(positions, scores, strict=True):
            ax.text(score + peak * 0.01, y, format_score(score), va="center", fontsize=9)
    fig.suptitle(f"{title}: final standings", fontsize=13, fontweight="bold")
    fig.tight_layout()
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)  # attaches the Agg canvas: savefig then needs no global backend
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
