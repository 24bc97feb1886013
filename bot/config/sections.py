"""The registry of top-level config sections besides `[bot]` and `[[competition]]`.

A section module (`bot.config.budget`, `events`, `posting`, `reports`) calls `register_section`
on import; `bot.config.parse_config` parses every registered section and puts what its parser
returns into `Config.sections` under the section name.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config.reader import ParseContext
from bot.core.models import Competition

SectionParser = Callable[[object, ParseContext, tuple[Competition, ...]], object]
"""Parses one top-level section's raw value, given the already parsed competitions (to cross-check
ids); records problems in the context and returns what goes into `Config.sections`."""

SECTIONS: dict[str, SectionParser] = {}


def register_section(name: str, parser: SectionParser) -> None:
    """Make top-level key `name` valid, parsed by `parser` (the last registration wins)."""
    SECTIONS[name] = parser
