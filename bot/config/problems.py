"""What is wrong with the organiser's input, said so they can fix it: `Problem` and `ConfigError`.

A `Problem` names where the mistake is (the file or "environment", the competition, the key), the
bad value, what is wrong with it and the fix, and renders as one line. Validation collects every
problem before raising one `ConfigError`, so an organiser fixes a broken file in one pass instead of
one error per run. Settings (`bot.settings`) report their problems in the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

MISSING = object()
"""`Problem.value` when the key is absent (rendered as `missing`)."""


def render_value(value: object) -> str:
    """A value as it would appear in the file, on one line: strings quoted with control characters
    escaped (so a hostile value cannot break the line), lists and tables as JSON."""
    if value is MISSING:
        return "missing"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = json.dumps(str(value), ensure_ascii=False)
    except RecursionError:  # a value nested thousands deep
        text = f"<a {type(value).__name__} nested too deeply to show>"
    if len(text) > 200:
        text = text[:197] + "..."
    return text


@dataclass(frozen=True)
class Problem:
    """One mistake. `file` is the config path (or "environment" for settings); `competition` the
    competition id (or its position when the id itself is bad), None outside competitions; `key` a
    dotted key path; `value` the bad value (`MISSING` when absent, None when not applicable);
    `issue` what is wrong; `fix` what to do."""

    file: str
    key: str | None
    issue: str
    fix: str
    value: object = None
    competition: str | None = None

    def render(self) -> str:
        parts = [self.file]
        if self.competition is not None:
            # An id is quoted; a position ("#2") stands in when the id itself is missing or bad.
            label = self.competition
            parts.append(f"competition {label if label.startswith('#') else render_value(label)}")
        head = ": ".join(parts)
        if self.key is None:
            body = self.issue
        elif self.value is MISSING:
            extra = "" if self.issue == "is required" else f" ({self.issue})"
            body = f'key "{self.key}" is missing{extra}'
        elif self.value is None:
            body = f'key "{self.key}": {self.issue}'
        else:
            body = f'key "{self.key}": {render_value(self.value)} {self.issue}'
        return f"{head}: {body} — {self.fix}"

    def __str__(self) -> str:
        return self.render()


class ConfigError(Exception):
    """Every problem found in one file (or in the environment). `str()` gives one line each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(p.render() for p in self.problems))

    def lines(self) -> list[str]:
        return [p.render() for p in self.problems]
