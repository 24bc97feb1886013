"""The one way an exception becomes text for a person: one line, whitespace folded.

Used wherever a failure is logged, recorded for `status`, printed by the CLI or shown by the demo,
so the same failure reads the same everywhere. Pure.
"""

from __future__ import annotations


def one_line(exc: BaseException, limit: int | None = None) -> str:
    """`exc`'s message on one line (runs of whitespace, newlines included, become one space), or
    its class name when it has none; cut to `limit` characters with an ellipsis when given."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text
