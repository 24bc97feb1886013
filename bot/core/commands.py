"""Command words addressed to the bot: "@bot rank", "@bot aide", ... in each language the bot
knows, recognised after the bot's @handle (case- and diacritic-insensitive). The responder answers
them; eligibility never counts them as entries. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.core.events import SUPPORTED_LANGUAGES

CommandName = Literal["rank", "help"]

COMMAND_WORDS: Mapping[str, Mapping[CommandName, tuple[str, ...]]] = {
    "en": {"rank": ("rank", "ranking", "standing", "standings", "position"), "help": ("help",)},
    "fr": {"rank": ("classement", "rang", "position"), "help": ("aide",)},
    "es": {"rank": ("clasificación", "posición", "puesto", "rango"), "help": ("ayuda",)},
    "ar": {"rank": ("ترتيب", "الترتيب", "ترتيبي"), "help": ("مساعدة", "المساعدة")},
    "zh": {"rank": ("排名", "名次"), "help": ("帮助",)},
    "ru": {"rank": ("рейтинг", "место", "позиция"), "help": ("помощь",)},
}

_MENTION = re.compile(r"[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_])")
_EDGE_PUNCT = "¿¡?!.,;:…'\"«»“”‘’()[]{}<>-—–؟،。！？，、：；"


@dataclass(frozen=True)
class Command:
    name: CommandName
    lang: str


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: NFKD, combining marks (accents, Arabic harakat) and
    tatweel dropped, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != "\u0640")
    return unicodedata.normalize("NFC", kept).casefold()


@lru_cache(maxsize=64)
def _lookup(languages: tuple[str, ...]) -> tuple[tuple[str, CommandName, str], ...]:
    """The folded command words of `languages` (all known languages when none is known): built
    once per language set, since eligibility asks for every entry's text."""
    langs = [x for x in languages if x in COMMAND_WORDS] or list(SUPPORTED_LANGUAGES)
    return tuple(
        (fold(word), name, lang)
        for lang in langs
        for name, words in COMMAND_WORDS[lang].items()
        for word in words
    )


def parse_command(text: str, bot_username: str, languages: Sequence[str]) -> Command | None:
    """The command in a mention: the first word after the bot's @handle, other @handles skipped.
    Words without spaces around them (Chinese) match as a prefix. None when there is none."""
    bot = bot_username.lstrip("@").casefold()
    at = next((m for m in _MENTION.finditer(text) if m.group(1).casefold() == bot), None)
    if at is None:
        return None
    rest = text[at.end() :]
    while True:
        rest = rest.lstrip()
        m = _MENTION.match(rest)
        if m is None:
            break
        rest = rest[m.end() :]
    folded = fold(rest).lstrip(_EDGE_PUNCT + " ")
    first = folded.split(maxsplit=1)[0].strip(_EDGE_PUNCT) if folded.split() else ""
    if not first:
        return None
    for word, name, lang in _lookup(tuple(languages)):
        if first == word or (_is_cjk_word(word) and first.startswith(word)):
            return Command(name, lang)
    return None


def _is_cjk_word(word: str) -> bool:
    return all(0x3400 <= ord(ch) <= 0x9FFF for ch in word)
