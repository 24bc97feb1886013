"""The twitter-text v3 weighted length of a post, as X measures it before accepting a tweet: NFC
text, every URL its extractor finds counts 23, every emoji grapheme 2, code points in a few Latin
and punctuation ranges 1 and everything else 2 (CONTRACT.md §13). Owns `parse_tweet` (length,
validity, permillage and the UTF-16 display/valid ranges exactly as the reference parseTweet
reports them) and `find_urls`, the URL extractor the thread splitter uses to never cut a link.
Written from the twitter-text 3.1.0 rules (extractUrlsWithIndices, idna, parseTweet, the twemoji
grapheme regex) and checked against its conformance cases; emoji are recognised by Unicode's
Extended_Pictographic property, so newer emoji also count 2. Pure: no I/O, no clock."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from bot.core.tlds import COUNTRY_TLDS, GENERIC_TLDS

MAX_WEIGHTED_LENGTH = 280
TRANSFORMED_URL_LENGTH = 23


@dataclass(frozen=True)
class TextConfig:
    """A twitter-text configuration (config/v2.json, config/v3.json); weights are in `scale`ths."""

    max_weighted_length: int = MAX_WEIGHTED_LENGTH
    scale: int = 100
    default_weight: int = 200
    transformed_url_length: int = TRANSFORMED_URL_LENGTH
    emoji_parsing_enabled: bool = True
    # (first code point, last code point, weight); anything outside weighs `default_weight`.
    ranges: tuple[tuple[int, int, int], ...] = (
        (0x0000, 0x10FF, 100),
        (0x2000, 0x200D, 100),
        (0x2010, 0x201F, 100),
        (0x2032, 0x2037, 100),
    )


CONFIG_V3 = TextConfig()
# v2 is v3 without emoji parsing: a family emoji then costs the sum of its code points.
CONFIG_V2 = TextConfig(emoji_parsing_enabled=False)


@dataclass(frozen=True)
class ParseResult:
    """What twitter-text's parseTweet reports. Ranges are UTF-16 code-unit offsets into the text
    as given (not NFC), end inclusive, because that is what the reference and the conformance data
    use; `valid_range_end` is the last code unit that still fits the limit."""

    weighted_length: int
    valid: bool
    permillage: int
    display_range_start: int
    display_range_end: int
    valid_range_start: int
    valid_range_end: int


# --- URL extraction (twitter-text regexp/*.js, rebuilt as one Python pattern) -------------------

_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"

_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"


def _tld_alternation(names: frozenset[str]) -> str:
    """A trie-shaped alternation (one pass instead of ~1,500 tries per position) that prefers the
    longer name at every branch, like the reference's longest-first list; a TLD must not run on
    into letters, digits, '@', '+' or '-'."""
    trie: dict[str, Any] = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return f"(?:{emit(trie)}(?=[^0-9a-zA-Z@+-]|$))"


_TLD = f"(?:{_tld_alternation(GENERIC_TLDS)}|{_tld_alternation(COUNTRY_TLDS)}|(?:xn--[\\-0-9a-z]+))"
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"

_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
_BALANCED_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
_PATH_ENDING = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|(?:{_BALANCED_PARENS}))"
_PATH = (
    f"(?:(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_ENDING})|(?:@{_PATH_CHAR}+/))"
)
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_ENDING = r"[a-z0-9\-_&=#/]"
_PRECEDING = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"

# The reference is one regex, `(?P<before>_PRECEDING)(?P<url>(https?://)?_DOMAIN(:port)?(/path)?
# (?query)?)`, run with exec in a loop. Its domain part, `_SUBDOMAIN* _DOMAIN_NAME _TLD`, walks
# from every start through all later labels and back, which is quadratic on texts like
# "a.a.a.…a.-x.com". The scanner below finds the same matches in one pass: the labels of a run are
# read once, from the last to the first, and each start then costs O(1).
_ONE_DOMAIN_CHAR = re.compile(_DOMAIN_CHAR)
_ONE_ASCII_LABEL_CHAR = re.compile(f"[\\-a-z0-9{_LATIN_ACCENTS}]", re.IGNORECASE)
_ALL_ASCII_LABEL_CHARS = re.compile(f"[\\-a-z0-9{_LATIN_ACCENTS}.]*", re.IGNORECASE)

_PRECEDING_CHAR = re.compile(f"[^A-Za-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]", re.IGNORECASE)
_PROTOCOL = re.compile("https?://", re.IGNORECASE)
_URL_TAIL = re.compile(
    f"(?::[0-9]+)?(?P<path>/{_PATH}*)?(?:\\?{_QUERY_CHAR}*{_QUERY_ENDING})?", re.IGNORECASE
)
_TCO_URL = re.compile(
    f"^https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHAR}*{_QUERY_ENDING})?", re.IGNORECASE
)
_INVALID_BEFORE_BARE_DOMAIN = re.compile(r"[-_./]$")
_IDNA_SEPARATORS = re.compile("[.\u3002\uff0e\uff61]")
_NON_SPACE_RUN = re.compile(f"[^{_SPACES}]+")

_HAS_INVALID = re.compile(f"[{_INVALID}]")

_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_DOMAIN_LABEL_LENGTH = 63


@functools.cache
def _dot_then_tld(*, ascii_lower: bool) -> re.Pattern[str]:
    """A dot a TLD follows. Compiled on first use: the TLD alternation takes 50 ms to compile,
    which every process importing the core (each CLI command) would pay. `ascii_lower` is the
    pattern for lowercased ASCII text, four times faster: the TLD names are lowercase and none of
    their non-ASCII characters matches an ASCII one case-insensitively (tests check both)."""
    if ascii_lower:
        return re.compile(f"\\.(?=({_TLD}))")
    return re.compile(f"\\.(?=({_TLD}))", re.IGNORECASE)


def _dots_before_tlds(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The dots in text[start:end] that a TLD follows (group 1 is the TLD)."""
    if text.isascii():
        return _dot_then_tld(ascii_lower=True).finditer(text.lower(), start, end)
    return _dot_then_tld(ascii_lower=False).finditer(text, start, end)


def _tld_ends(text: str, start: int, end: int) -> dict[int, int]:
    """For each dot in text[start:end] that a TLD follows: where that TLD ends."""
    return {match.start(): match.end(1) for match in _dots_before_tlds(text, start, end)}


def _domain_ends(text: str, start: int, end: int, tld_ends: dict[int, int]) -> dict[int, int]:
    """`_SUBDOMAIN* _DOMAIN_NAME _TLD` from every start in text[start:end] (a run of non-spaces)
    where it matches: start -> the domain's end, as the regex's backtracking decides it (the most
    subdomain labels after which a domain-name label and a TLD follow). The labels are read once,
    from the last to the first, on a class string ("d" for each domain character)."""
    classes = _ONE_DOMAIN_CHAR.sub("d", text[start:end])
    labels = classes.split(".")
    found: dict[int, int] = {}
    further: int | None = None  # the domain's end from the next label's first character
    stop = end  # where the label ends: its dot, or `end` for the last label, which has none
    for label in reversed(labels):
        first = stop - len(label)
        answer, lowest = None, stop
        if stop < end and label.endswith("d"):
            if further is not None:
                answer, lowest = further, first + len(label.rstrip("d_-"))
            elif stop in tld_ends:
                answer, lowest = tld_ends[stop], first + len(label.rstrip("d-"))
        if answer is not None:
            for offset in range(lowest - first, len(label)):
                if label[offset] == "d":
                    found[first + offset] = answer
        further = found.get(first)
        stop = first - 1
    return found


def _ascii_domains(domain: str) -> list[tuple[int, int]]:
    """`_ASCII_DOMAIN.finditer(domain)` spans (`(?:[-a-z0-9accents]+\\.)+_TLD`), in one pass like
    `_domain_ends`: from each start, the most labels after which a TLD follows."""
    last_dot = domain.rfind(".")
    if (
        # Every label is ASCII: the first match is the whole domain when it ends with a TLD.
        domain[:1] != "."
        and ".." not in domain
        and _ALL_ASCII_LABEL_CHARS.fullmatch(domain)
        and last_dot > 0
        and _tld_ends(domain, last_dot, len(domain)).get(last_dot) == len(domain)
    ):
        return [(0, len(domain))]
    classes = _ONE_ASCII_LABEL_CHAR.sub("l", domain)
    tld_ends = _tld_ends(domain, 0, len(domain))
    ends: dict[int, int] = {}
    further: int | None = None
    stop = len(domain)
    for label in reversed(classes.split(".")):
        first = stop - len(label)
        answer = further if further is not None else tld_ends.get(stop)
        if stop < len(domain) and answer is not None:
            for position in range(first + len(label.rstrip("l")), stop):
                ends[position] = answer
        further = ends.get(first)
        stop = first - 1
    found = []
    position = 0
    while position < len(domain):
        if position in ends:
            found.append((position, ends[position]))
            position = ends[position]
        else:
            position += 1
    return found


class _UrlMatch(NamedTuple):
    """One match of the reference URL regex: its groups and where `url` lies in the text."""

    before: str
    start: int
    end: int
    protocol: str
    domain: str
    has_path: bool


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _punycode_label(label: str) -> str:
    """punycode.js toASCII on one DNS label: it also splits on the ideographic full stops."""
    parts = _IDNA_SEPARATORS.split(label)
    return ".".join(
        part if part.isascii() else "xn--" + part.encode("punycode").decode("ascii")
        for part in parts
    )


def _is_valid_domain(domain: str) -> bool:
    """twitter-text's lib/idna.toAscii: every label must punycode-encode to 1..63 characters."""
    if domain.startswith("xn--") and not _ascii_domains(domain):
        return False
    if domain.isascii():  # an ASCII label is its own punycode
        return all(1 <= len(label) <= _MAX_DOMAIN_LABEL_LENGTH for label in domain.split("."))
    return all(
        1 <= len(_punycode_label(label)) <= _MAX_DOMAIN_LABEL_LENGTH for label in domain.split(".")
    )


def _is_valid_url(url: str, protocol: str, domain: str) -> bool:
    if not _is_valid_domain(domain):
        return False
    # The reference adds the punycode/unicode length difference, but its toAscii returns the
    # unencoded labels, so the difference is always 0: the limit is on the text as written.
    return len(protocol) + _utf16_length(url) <= _MAX_URL_LENGTH


def _url_at(
    text: str, domains: dict[int, int], tail_end: int, before: str, start: int
) -> _UrlMatch | None:
    """The reference regex's `url` group at `start` (the protocol tried first, as its `?` does)."""
    protocol = _PROTOCOL.match(text, start, tail_end)
    for domain_start in ([protocol.end()] if protocol else []) + [start]:
        domain_end = domains.get(domain_start)
        if domain_end is None:
            continue
        tail = _URL_TAIL.match(text, domain_end, tail_end)
        assert tail is not None  # every part of the tail is optional
        return _UrlMatch(
            before=before,
            start=start,
            end=tail.end(),
            protocol=text[start:domain_start],
            domain=text[domain_start:domain_end],
            has_path=bool(tail["path"]),
        )
    return None


def _url_matches(text: str) -> Iterator[_UrlMatch]:
    """What the reference regex's exec loop finds in `text`, in order, in linear time. A URL
    never contains a space, so each run of non-spaces is scanned on its own, from the space before
    it (the preceding character, exactly as in a whole-text scan); runs without a dot and a TLD
    are skipped. The reference tries, at each position, a preceding character and a URL after
    it (and at the very start of the text also a URL with nothing before it), and after a match
    goes on from its end; only positions where a domain or a protocol starts can match, so only
    those are tried."""
    for run in _NON_SPACE_RUN.finditer(text):
        start, end = run.span()
        if text.find(".", start, end) < 0:
            continue
        run_text = text[start:end]
        tld_ends = _tld_ends(run_text, 0, len(run_text))
        if not tld_ends:
            continue
        domains = _domain_ends(
            text, start, end, {dot + start: tld_end + start for dot, tld_end in tld_ends.items()}
        )
        starts = set(domains)
        starts.update(
            protocol.start()
            for protocol in _PROTOCOL.finditer(text, start, end)
            if protocol.end() in domains
        )
        position = max(start - 1, 0)
        if position == 0:  # the first position also tries "nothing before" (the regex's ^)
            found = None
            if 1 in starts and _PRECEDING_CHAR.match(text, 0):
                found = _url_at(text, domains, end, text[0], 1)
            if found is None and 0 in starts:
                found = _url_at(text, domains, end, "", 0)
            if found is not None:
                yield found
            position = found.end if found is not None else 1
        for url_start in sorted(starts):
            before = url_start - 1
            if before < position or not _PRECEDING_CHAR.match(text, before):
                continue
            found = _url_at(text, domains, end, text[before], url_start)
            if found is not None:
                yield found
                position = found.end


def find_urls(text: str) -> list[tuple[int, int]]:
    """The URLs twitter-text would extract from `text`, as (start, end) Python str indices, end
    exclusive, in order. Protocol-less domains (`example.com/path`) count when their TLD is known.
    Indices refer to `text` as given; `parse_tweet` calls this on the NFC form."""
    if "." not in text:
        return []
    found: list[tuple[int, int]] = []
    for match in _url_matches(text):
        protocol, domain, start, end = match.protocol, match.domain, match.start, match.end
        url = text[start:end]
        if not _is_valid_url(url, protocol or "https://", domain):
            continue
        if protocol:
            tco = _TCO_URL.match(url)
            if tco is not None:
                if len(tco[1]) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()
            found.append((start, end))
            continue
        if _INVALID_BEFORE_BARE_DOMAIN.search(match.before):
            continue
        # Without a protocol only ASCII domains inside the match are links ("日本。example.com").
        bare = [
            (start + ascii_start, start + ascii_end)
            for ascii_start, ascii_end in _ascii_domains(domain)
        ]
        if not bare:
            continue
        if match.has_path:
            bare[-1] = (bare[-1][0], end)
        found.extend(bare)
    return found


# --- Emoji graphemes (twemoji-parser's idea, from Unicode properties) ---------------------------

# Extended_Pictographic (Unicode 17) without © and ®, which are text unless followed by U+FE0F.
_PICTOGRAPHIC_RANGES = """
203C 2049 2122 2139 2194-2199 21A9-21AA 231A-231B 2328 23CF 23E9-23F3 23F8-23FA 24C2
25AA-25AB 25B6 25C0 25FB-25FE 2600-2604 260E 2611 2614-2615 2618 261D 2620 2622-2623 2626
262A 262E-262F 2638-263A 2640 2642 2648-2653 265F-2660 2663 2665-2666 2668 267B 267E-267F
2692-2697 2699 269B-269C 26A0-26A1 26A7 26AA-26AB 26B0-26B1 26BD-26BE 26C4-26C5 26C8
26CE-26CF 26D1 26D3-26D4 26E9-26EA 26F0-26F5 26F7-26FA 26FD 2702 2705 2708-270D 270F 2712
2714 2716 271D 2721 2728 2733-2734 2744 2747 274C 274E 2753-2755 2757 2763-2764 2795-2797
27A1 27B0 27BF 2934-2935 2B05-2B07 2B1B-2B1C 2B50 2B55 3030 303D 3297 3299 1F004 1F02C-1F02F
1F094-1F09F 1F0AF-1F0B0 1F0C0 1F0CF-1F0D0 1F0F6-1F0FF 1F170-1F171 1F17E-1F17F 1F18E
1F191-1F19A 1F1AE-1F1E5 1F201-1F20F 1F21A 1F22F 1F232-1F23A 1F23C-1F23F 1F249-1F25F
1F266-1F321 1F324-1F393 1F396-1F397 1F399-1F39B 1F39E-1F3F0 1F3F3-1F3F5 1F3F7-1F3FA
1F400-1F4FD 1F4FF-1F53D 1F549-1F54E 1F550-1F567 1F56F-1F570 1F573-1F57A 1F587 1F58A-1F58D
1F590 1F595-1F596 1F5A4-1F5A5 1F5A8 1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3 1F5DC-1F5DE
1F5E1 1F5E3 1F5E8 1F5EF 1F5F3 1F5FA-1F64F 1F680-1F6C5 1F6CB-1F6D2 1F6D5-1F6E5 1F6E9
1F6EB-1F6F0 1F6F3-1F6FF 1F7DA-1F7FF 1F80C-1F80F 1F848-1F84F 1F85A-1F85F 1F888-1F88F
1F8AE-1F8AF 1F8BC-1F8BF 1F8C2-1F8CF 1F8D9-1F8FF 1F90C-1F93A 1F93C-1F945 1F947-1F9FF
1FA58-1FA5F 1FA6E-1FAFF 1FC00-1FFFD
"""


def _char_class(ranges: str) -> str:
    pieces = []
    for item in ranges.split():
        first, _, last = item.partition("-")
        pieces.append(chr(int(first, 16)) + ("-" + chr(int(last, 16)) if last else ""))
    return "[" + "".join(pieces) + "]"


_PICTOGRAPH = _char_class(_PICTOGRAPHIC_RANGES)
_SKIN_TONE = "[\U0001f3fb-\U0001f3ff]"
_TAG_SEQUENCE = "[\U000e0020-\U000e007e]+\U000e007f"
# A pictograph followed by U+FE0E asked for text presentation, so it is not an emoji there.
_EMOJI_ELEMENT = (
    f"(?:{_PICTOGRAPH}(?!\ufe0e)|[\xa9\xae]\ufe0f)(?:\ufe0f|{_SKIN_TONE}|{_TAG_SEQUENCE})*"
)
_EMOJI = re.compile(
    "[#*0-9]\ufe0f?\u20e3"  # keycaps
    "|[\U0001f1e6-\U0001f1ff]{2}"  # flags: a pair of regional indicators
    f"|{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*"  # ZWJ sequences, skin tones, tag flags
    f"|{_SKIN_TONE}"
)


def find_emoji(text: str) -> list[tuple[int, int]]:
    """Emoji graphemes in `text` as (start, end) Python str indices, end exclusive."""
    return [match.span() for match in _EMOJI.finditer(text)]


# --- Weighing ------------------------------------------------------------------------------------


def _code_point_weight(code_point: int, config: TextConfig) -> int:
    for first, last, weight in config.ranges:
        if first <= code_point <= last:
            return weight
    return config.default_weight


@functools.lru_cache(maxsize=8)
def _range_patterns(config: TextConfig) -> tuple[tuple[re.Pattern[str], int], ...]:
    """One character class per weight range, to weigh a run of plain text in C (the first range
    that holds a code point decides its weight, so later ranges leave out earlier ones)."""
    patterns = []
    for index, (first, last, weight) in enumerate(config.ranges):
        earlier = "".join(
            f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b, _ in config.ranges[:index]
        )
        span = f"{re.escape(chr(first))}-{re.escape(chr(last))}"
        pattern = f"[{span}]" if not earlier else f"(?![{earlier}])[{span}]"
        patterns.append((re.compile(pattern), weight))
    return tuple(patterns)


@functools.lru_cache(maxsize=8)
def _ascii_weight(config: TextConfig) -> int | None:
    """The weight every ASCII code point has under `config`, when they all weigh the same."""
    weights = {_code_point_weight(code_point, config) for code_point in range(128)}
    return weights.pop() if len(weights) == 1 else None


def _plain_weight(text: str, config: TextConfig) -> int:
    """The weight of `text` when it holds no URL and no emoji."""
    ascii_weight = _ascii_weight(config)
    if ascii_weight is not None and text.isascii():
        return ascii_weight * len(text)
    total = config.default_weight * len(text)
    for pattern, weight in _range_patterns(config):
        total += (weight - config.default_weight) * len(pattern.findall(text))
    return total


def _tokens(
    normalized: str, urls: dict[int, int], config: TextConfig
) -> Iterator[tuple[int, int, bool]]:
    """The text cut as twitter-text walks it: (start, end, special) where a special token is a
    URL (taken first where both start) or an emoji grapheme and the rest are runs of plain text.
    An emoji or URL that starts inside an earlier token is skipped, as the reference skips it."""
    emoji = dict(find_emoji(normalized)) if config.emoji_parsing_enabled else {}
    starts = sorted(urls.keys() | emoji.keys())
    index = 0
    for start in starts:
        if start < index:
            continue
        if start > index:
            yield index, start, False
        index = urls[start] if start in urls else emoji[start]
        yield start, index, True
    if index < len(normalized):
        yield index, len(normalized), False


def parse_tweet(text: str, config: TextConfig = CONFIG_V3) -> ParseResult:
    """Measure `text` as twitter-text's parseTweet does (X counts the same way when posting).
    Linear in the text: plain runs are weighed in bulk, and only the run where the limit is
    crossed (or an invalid character met) is walked code point by code point."""
    normalized = unicodedata.normalize("NFC", text)
    urls = dict(find_urls(normalized))
    limit = config.max_weighted_length * config.scale

    total = 0
    valid = True
    valid_end = 0  # last UTF-16 unit (of the NFC text) that still fits the limit
    utf16_position = 0
    for start, end, special in _tokens(normalized, urls, config):
        piece = normalized[start:end]
        units = _utf16_length(piece)
        if special:
            total += (
                config.transformed_url_length * config.scale
                if start in urls
                else config.default_weight
            )
            # Like the reference, only the last character of a URL or emoji is checked.
            valid = valid and piece[-1] not in _INVALID
            utf16_position += units
            if valid and total <= limit:
                valid_end = utf16_position - 1
            continue
        weight = _plain_weight(piece, config)
        if not valid or (total + weight <= limit and not _HAS_INVALID.search(piece)):
            total += weight
            utf16_position += units
            if valid:
                valid_end = utf16_position - 1
            continue
        for offset, char in enumerate(piece):  # the limit is crossed in here, or validity lost
            total += _code_point_weight(ord(char), config)
            utf16_position += 2 if ord(char) > 0xFFFF else 1
            valid = valid and char not in _INVALID
            if not valid or total > limit:
                rest = piece[offset + 1 :]
                total += _plain_weight(rest, config)
                utf16_position += _utf16_length(rest)
                break
            valid_end = utf16_position - 1

    weighted = total // config.scale
    text_units = _utf16_length(text)
    return ParseResult(
        weighted_length=weighted,
        valid=valid and 0 < weighted <= config.max_weighted_length,
        # The reference computes this in floating point; doing the same keeps every edge equal.
        permillage=math.floor(weighted / config.max_weighted_length * 1000),
        display_range_start=0,
        display_range_end=max(text_units - 1, 0),
        valid_range_start=0,
        valid_range_end=valid_end + (text_units - utf16_position),
    )


def weighted_length(text: str) -> int:
    """The twitter-text v3 weighted length of `text` (what X compares with 280)."""
    return parse_tweet(text).weighted_length


def is_valid_tweet(text: str) -> bool:
    """True when X would accept `text` as a standard post: 1..280 weighted, no U+FFFE/FEFF/FFFF."""
    return parse_tweet(text).valid
