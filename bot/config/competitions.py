"""`[[competition]]` tables -> `bot.core.models.Competition`, with every mistake reported.

Owns the organiser-facing vocabulary of a competition: which keys exist, their types and ranges,
how hashtags and handles are normalised ('#' and '@' stripped, hashtags NFC), how start and end are
read (an ISO-8601 time with an offset, or a local time plus an IANA `timezone`) and which zone
they were written in (`written_zone`, for display), that `accounts` (whose mentions count) has no
default, how categories,
eligibility and tie rules are declared, and how a community CSV file is read relative to the config.
A competition with any problem is dropped from the result; the problems say why.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import bot.config.limits as limits
from bot.config.problems import MISSING, Problem
from bot.config.reader import (
    ParseContext,
    TableReader,
    parse_handle,
    read_text_capped,
    type_name,
)
from bot.core.models import (
    Audience,
    Category,
    CategoryKind,
    Competition,
    Eligibility,
    ReplierRules,
    RepliesMode,
    TieRule,
)
from bot.core.rescans import DEFAULT_LATE_GRACE, MAX_LATE_GRACE, MIN_LATE_GRACE
from bot.x.queries import MAX_QUERY_LENGTH, build_search_queries, normalize_hashtag

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")

COMPETITION_KEYS = (
    "id",
    "title",
    "hashtags",
    "accounts",
    "start",
    "end",
    "timezone",
    "categories",
    "excluded_accounts",
    "organisers",
    "community",
    "community_file",
    "eligibility",
    "tie_rule",
    "tie_seed",
    "leaderboard_top",
    "late_posts_grace",
)
CATEGORY_KEYS = (
    "id",
    "kind",
    "title",
    "winners",
    "replies_mode",
    "weights",
    "audience",
    "questions_only",
    "replies_to_organisers_only",
    "shortlist",
    "min_score",
    "repliers",
)
REPLIER_KEYS = ("min_account_age_days", "min_followers")
MAX_MIN_SCORE = 1e9  # a minimum no post reaches is a typo
ELIGIBILITY_KEYS = (
    "allow_replies",
    "allow_quotes",
    "min_account_age_days",
    "min_followers",
    "languages",
    "one_entry_per_author",
    "one_prize_per_author",
)
KINDS: tuple[CategoryKind, ...] = ("likes", "replies", "quotes", "reposts", "weighted", "jury")
REPLIES_MODES: tuple[RepliesMode, ...] = ("reported", "distinct")
AUDIENCES: tuple[Audience, ...] = ("all", "outside", "both")
TIE_RULES: tuple[TieRule, ...] = ("earliest", "shared", "random")
WEIGHT_METRICS = ("likes", "replies", "reposts", "quotes")
COMMUNITY_HEADERS = {"handle", "username", "user", "account", "screen_name", "twitter", "x"}


def parse_competition(
    table: object,
    ctx: ParseContext,
    index: int,
    *,
    label: str | None = None,
) -> Competition | None:
    """The `index`-th (1-based) `[[competition]]`; None when it has any problem. Problems name it
    by `label`, by default its id (or "#index" when the id is missing or bad)."""
    if not isinstance(table, dict):
        ctx.problems.append(_top_problem(ctx, index, table))
        return None
    raw_id = table.get("id")
    if label is None:
        label = raw_id if isinstance(raw_id, str) and SLUG_RE.match(raw_id) else f"#{index}"
    r = TableReader(table, ctx, allowed=COMPETITION_KEYS, competition=label)
    r.finish()

    cid = r.string("id", required=True, example='"igf2026"')
    if cid and not SLUG_RE.match(cid):
        r.problem(
            "id",
            cid,
            "is not a valid id",
            "use up to 64 lowercase letters, digits, '-' and '_', starting with a letter or digit",
        )
    title = r.string("title", required=True, example='"IGF community Twitter competition"')
    hashtags = _hashtags(r)
    zone_name, zone = _zone(r)
    start = _instant(r, "start", zone, zone_name)
    end = _instant(r, "end", zone, zone_name)
    if start is not None and end is not None and end <= start:
        r.problem(
            "end",
            _as_written(table.get("end")),
            f'is {"before" if end < start else "the same as"} start "{start.isoformat()}"',
            "set end after start",
        )
    # No default: a mention of the bot alone must not enter every competition. A competition
    # that counts mentions (the bot's, a partner's) lists those accounts itself.
    accounts = r.handles("accounts")
    categories = _categories(r, ctx, label)
    community = list(r.handles("community"))
    community.extend(_community_file(r, ctx))
    eligibility = _eligibility(r, ctx, label)
    tie_rule = r.choice("tie_rule", TIE_RULES, "earliest")
    tie_seed: str | None = r.string("tie_seed") or None
    if tie_rule == "random" and tie_seed is None:
        r.problem(
            "tie_seed",
            r.raw("tie_seed"),
            'needed when tie_rule = "random"',
            'add tie_seed = "<any text, published before the start>" so the draw can be re-run',
        )
    top = r.integer("leaderboard_top", 10, minimum=1, maximum=limits.MAX_LEADERBOARD_TOP)
    late_grace = _late_grace(r)
    excluded = r.handles("excluded_accounts")
    organisers = r.handles("organisers")

    if r.failed or start is None or end is None:
        return None
    return Competition(
        id=cid,
        title=title,
        hashtags=hashtags,
        start=start,
        end=end,
        categories=categories,
        accounts=accounts,
        excluded_accounts=excluded,
        organisers=organisers,
        community=tuple(dict.fromkeys(community)),
        timezone=zone_name,
        eligibility=eligibility,
        tie_rule=tie_rule,
        tie_seed=tie_seed,
        leaderboard_top=top,
        late_grace=late_grace,
    )


def _late_grace(r: TableReader) -> timedelta:
    """`late_posts_grace`: how long after the end posts indexed late are still searched for."""
    grace = r.duration("late_posts_grace", DEFAULT_LATE_GRACE, example='"6h"')
    if not MIN_LATE_GRACE <= grace <= MAX_LATE_GRACE:
        r.problem(
            "late_posts_grace",
            r.raw("late_posts_grace"),
            "is too short" if grace < MIN_LATE_GRACE else "is too long",
            "use 2m to 2d (the final re-scan must still reach the whole window inside X's 7-day "
            'search); the default "6h" catches posts indexed up to 6 hours late',
        )
        return DEFAULT_LATE_GRACE
    return grace


def _top_problem(ctx: ParseContext, index: int, value: object) -> Problem:
    return Problem(
        file=ctx.source,
        competition=f"#{index}",
        key=None,
        issue=f"is {type_name(value)}, not a table",
        fix="declare each competition as a [[competition]] table",
    )


def _as_written(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime | date) else value


# -------------------------------------------------------------------------------------- hashtags


def _hashtags(r: TableReader) -> tuple[str, ...]:
    values = r.string_list("hashtags", example='["IGFcontest"]')
    if values is None:
        if not r.has("hashtags"):
            r.problem("hashtags", MISSING, "is required", 'add hashtags = ["IGFcontest"]')
        return ()
    if not values:
        r.problem(
            "hashtags", values, "is empty", 'list one or more, e.g. hashtags = ["IGFcontest"]'
        )
    if len(values) > limits.MAX_HASHTAGS:
        r.problem(
            "hashtags",
            f"{len(values)} hashtags",
            f"are more than {limits.MAX_HASHTAGS}",
            f"list at most {limits.MAX_HASHTAGS} hashtags (each query to X is billed)",
        )
        return ()
    out: dict[str, str] = {}
    for raw in values:
        tag = unicodedata.normalize("NFC", raw.strip())
        if tag.startswith(("#", "＃")):
            tag = tag[1:]
        problem = hashtag_problem(tag)
        if problem is None:
            try:
                tag = normalize_hashtag(raw)  # the query builder's own rule, so `run` agrees
            except ValueError:
                problem = "is not a hashtag X can search for"
        if problem:
            r.problem(
                "hashtags",
                raw,
                problem,
                "write a hashtag as one word of letters, digits or '_' (at most "
                f"{limits.MAX_HASHTAG_LENGTH} characters), e.g. IGFcontest",
            )
            continue
        # X matches hashtags case-insensitively: #IGF and #igf are one tag.
        out.setdefault(tag.casefold(), tag)
    tags = tuple(out.values())
    if tags and not r.failed:
        try:
            build_search_queries(tags)
        except ValueError as exc:
            r.problem(
                "hashtags",
                list(tags),
                f"cannot be searched for ({exc})",
                f"shorten the hashtags: every search query must stay within {MAX_QUERY_LENGTH} "
                "characters",
            )
    return tags


def hashtag_problem(tag: str) -> str | None:
    """Why `tag` (without '#') cannot be an X hashtag, or None."""
    if not tag:
        return "is an empty hashtag"
    if len(tag) > limits.MAX_HASHTAG_LENGTH:
        return f"is {len(tag)} characters long, more than X's {limits.MAX_HASHTAG_LENGTH}"
    if any(ch.isspace() for ch in tag):
        return "contains a space"
    if unicodedata.category(tag[0]).startswith("M"):
        return f"starts with the combining mark {tag[0]!r}, which cannot begin a hashtag"
    for ch in tag:
        if not (ch == "_" or ch.isalnum() or unicodedata.category(ch).startswith("M")):
            return f"contains {ch!r}, which ends a hashtag on X"
    if tag.isdigit():
        return "is only digits, which X does not treat as a hashtag"
    return None


# ------------------------------------------------------------------------------------------ time


def _zone(r: TableReader) -> tuple[str, ZoneInfo | None]:
    name = r.string("timezone", default="UTC", example='"Europe/Paris"')
    found = limits.load_zone(name)
    if found is None:
        r.problem(
            "timezone",
            name,
            "is not a known time zone",
            'use an IANA zone name such as "Europe/Paris", "Africa/Nairobi" or "UTC"',
        )
    return name, found


def written_zone(table: dict[str, Any]) -> str:
    """The zone the organiser wrote the window in, for display: the `timezone` name when set,
    else the offset of `start` as written (`+01:00`; `UTC` for `Z` or +00:00)."""
    name = table.get("timezone")
    if isinstance(name, str) and name.strip():
        return name.strip()
    value = table.get("start")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return "UTC"
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _instant(r: TableReader, name: str, zone: ZoneInfo | None, zone_name: str) -> datetime | None:
    example = '"2026-11-02T09:00:00+01:00"'
    value = r.raw(name)
    if value is MISSING:
        r.problem(name, MISSING, "is required", f"add {name} = {example}")
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            r.problem(name, value, "is not an ISO-8601 time", f"write e.g. {name} = {example}")
            return None
    else:
        r.problem(name, value, f"is {type_name(value)}, not a time", f"write {name} = {example}")
        return None
    if not limits.wall_time_in_range(when):
        r.problem(
            name,
            _as_written(value),
            f"is outside {limits.DATE_RANGE}",
            f"write e.g. {name} = {example}",
        )
        return None
    if when.tzinfo is not None:
        return when.astimezone(UTC)
    if not r.has("timezone"):
        r.problem(
            name,
            _as_written(value),
            "has no UTC offset and no timezone is set",
            'add an offset (e.g. "+01:00" or "Z") or set timezone = "Europe/Paris"',
        )
        return None
    if zone is None:
        return None  # the unknown zone is already reported
    local = when.replace(tzinfo=zone)
    # A wall time skipped by a DST change does not exist; zoneinfo would quietly shift it.
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != when:
        r.problem(
            name,
            _as_written(value),
            f"does not exist in {zone_name} (the clocks skip it)",
            "pick a time outside the daylight-saving change, or give an explicit offset",
        )
        return None
    return local.astimezone(UTC)


# ------------------------------------------------------------------------------------ categories


def _categories(r: TableReader, ctx: ParseContext, label: str) -> tuple[Category, ...]:
    value = r.raw("categories")
    fix = 'add [[competition.categories]] tables with id = "most-liked" and kind = "likes"'
    if value is MISSING:
        r.problem("categories", MISSING, "is required", fix)
        return ()
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        r.problem("categories", None, f"is {type_name(value)} of values, not tables", fix)
        return ()
    if not value:
        r.problem("categories", value, "is empty", fix)
        return ()
    out: list[Category] = []
    seen: set[str] = set()
    for i, table in enumerate(value, start=1):
        cat = _category(table, ctx, label, f"categories[{i}]")
        if cat is None:
            r.failed = True
            continue
        if cat.id in seen:
            r.problem(
                f"categories[{i}].id",
                cat.id,
                "is used by another category of this competition",
                "give each category its own id",
            )
            continue
        seen.add(cat.id)
        out.append(cat)
    return tuple(out)


def _category(table: dict[str, Any], ctx: ParseContext, label: str, prefix: str) -> Category | None:
    r = TableReader(table, ctx, allowed=CATEGORY_KEYS, competition=label, prefix=prefix)
    r.finish()
    cid = r.string("id", required=True, example='"most-liked"')
    if cid and not SLUG_RE.match(cid):
        r.problem("id", cid, "is not a valid id", "use lowercase letters, digits, '-' and '_'")
    kind_raw = r.raw("kind")
    kind = r.choice("kind", KINDS, "likes")
    if kind_raw is MISSING:
        r.problem("kind", MISSING, "is required", f"add kind = one of {', '.join(KINDS)}")
    weights: tuple[tuple[str, float], ...] = ()
    table_w = r.table_of("weights")
    if kind == "weighted" and table_w is None and not r.has("weights"):
        r.problem(
            "weights",
            MISSING,
            'needed when kind = "weighted"',
            "add weights = { likes = 1, replies = 2, reposts = 3, quotes = 3 }",
        )
    elif table_w is not None and kind != "weighted":
        r.problem(
            "weights",
            table_w,
            f'only applies to kind = "weighted", not "{kind}"',
            ('remove weights, or set kind = "weighted"'),
        )
    elif table_w is not None:
        wr = TableReader(
            table_w, ctx, allowed=WEIGHT_METRICS, competition=label, prefix=f"{prefix}.weights"
        )
        wr.finish()
        weights = tuple((m, wr.number(m, 0.0)) for m in WEIGHT_METRICS if m in table_w)
        if not wr.failed and not any(w > 0 for _, w in weights):
            r.problem(
                "weights",
                table_w,
                "gives no metric a positive weight",
                "give at least one of likes, replies, reposts, quotes a weight above 0",
            )
        r.failed = r.failed or wr.failed
    replies_mode = r.choice("replies_mode", REPLIES_MODES, "reported")
    min_score: float | None = None
    if r.has("min_score"):
        raw_min = r.raw("min_score")
        finite = not isinstance(raw_min, float) or math.isfinite(raw_min)
        min_score = r.number("min_score", 0.0) if finite else math.inf
        if not math.isfinite(min_score) or min_score > MAX_MIN_SCORE:
            r.problem(
                "min_score",
                r.raw("min_score"),
                "is not a usable minimum score",
                f"use a number from 0 to {MAX_MIN_SCORE:g} (e.g. min_score = 1)",
            )
            min_score = None
    repliers = _replier_rules(r, ctx, label, prefix, kind, replies_mode)
    category = Category(
        id=cid,
        kind=kind,
        title=r.string("title"),
        winners=r.integer("winners", 1, minimum=1, maximum=limits.MAX_WINNERS),
        replies_mode=replies_mode,
        weights=weights,
        audience=r.choice("audience", AUDIENCES, "all"),
        questions_only=r.boolean("questions_only", False),
        replies_to_organisers_only=r.boolean("replies_to_organisers_only", False),
        shortlist=r.integer("shortlist", 10, minimum=1, maximum=limits.MAX_SHORTLIST),
        min_score=min_score,
        repliers=repliers,
    )
    return None if r.failed else category


def _replier_rules(
    r: TableReader, ctx: ParseContext, label: str, prefix: str, kind: str, replies_mode: str
) -> ReplierRules | None:
    """`[competition.categories.repliers]`: who counts as a distinct replier (default: the
    entrant rules of `[competition.eligibility]`)."""
    table = r.table_of("repliers")
    if table is None:
        return None
    if replies_mode != "distinct":
        r.problem(
            "repliers",
            table,
            'only applies with replies_mode = "distinct" (it says who counts as a replier)',
            'set replies_mode = "distinct", or remove the repliers table',
        )
        return None
    rr = TableReader(
        table, ctx, allowed=REPLIER_KEYS, competition=label, prefix=f"{prefix}.repliers"
    )
    rr.finish()
    rules = ReplierRules(
        min_account_age_days=rr.integer(
            "min_account_age_days", 0, maximum=limits.MAX_ACCOUNT_AGE_DAYS
        ),
        min_followers=rr.integer("min_followers", 0, maximum=limits.MAX_FOLLOWERS),
    )
    r.failed = r.failed or rr.failed
    return rules


# ----------------------------------------------------------------------- eligibility, community


def _eligibility(r: TableReader, ctx: ParseContext, label: str) -> Eligibility:
    table = r.table_of("eligibility")
    if table is None:
        return Eligibility()
    er = TableReader(table, ctx, allowed=ELIGIBILITY_KEYS, competition=label, prefix="eligibility")
    er.finish()
    languages: list[str] = []
    for lang in er.string_list("languages", example='["en", "fr"]') or []:
        code = lang.strip().lower()
        if not LANG_RE.match(code):
            er.problem(
                "languages",
                lang,
                "is not a language code",
                'use codes as X reports them, e.g. "en", "fr", "pt"',
            )
            continue
        languages.append(code)
    eligibility = Eligibility(
        allow_replies=er.boolean("allow_replies", False),
        allow_quotes=er.boolean("allow_quotes", True),
        min_account_age_days=er.integer(
            "min_account_age_days", 0, maximum=limits.MAX_ACCOUNT_AGE_DAYS
        ),
        min_followers=er.integer("min_followers", 0, maximum=limits.MAX_FOLLOWERS),
        languages=tuple(dict.fromkeys(languages)),
        one_entry_per_author=er.boolean("one_entry_per_author", True),
        one_prize_per_author=er.boolean("one_prize_per_author", False),
    )
    r.failed = r.failed or er.failed
    return eligibility


def _community_file(r: TableReader, ctx: ParseContext) -> list[str]:
    name = r.string("community_file", example='"community.csv"')
    if not name:
        return []
    path = ctx.base_dir / name
    fix = "give a UTF-8 CSV path relative to the config file, one handle per row"
    try:
        # A regular file of at most 4 MiB, opened without blocking (a FIFO would hang).
        text = read_text_capped(path, limits.MAX_COMMUNITY_FILE_BYTES)
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        if isinstance(exc, UnicodeDecodeError):
            reason = f"not UTF-8: byte {exc.start}"
        elif isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        else:
            reason = type(exc).__name__
        r.problem("community_file", name, f"cannot be read ({reason}; looked at {path})", fix)
        return []
    handles: list[str] = []
    bad: list[tuple[int, str]] = []
    for n, row in enumerate(rows, start=1):
        cell = row[0].strip() if row else ""
        if not cell:
            continue
        if n == 1 and cell.lower() in COMMUNITY_HEADERS:
            continue
        handle = parse_handle(cell)
        if handle is None:
            bad.append((n, cell))
            continue
        handles.append(handle)
    if bad:
        # One problem for the file, however many rows are wrong: the count and the first two.
        shown = "; ".join(f"row {n}: {_short_cell(cell)!r}" for n, cell in bad[:2])
        more = f" and {len(bad) - 2} more" if len(bad) > 2 else ""
        r.problem(
            "community_file",
            name,
            f"has {len(bad)} row{'s' if len(bad) != 1 else ''} that are not X handles "
            f"({shown}{more})",
            "put one handle (1-15 letters, digits, underscores) in the first column of each row",
        )
    if len(handles) > limits.MAX_COMMUNITY:
        r.problem(
            "community_file",
            name,
            f"lists {len(handles)} handles, more than {limits.MAX_COMMUNITY}",
            "list the community's own accounts only",
        )
        return []
    return handles


def _short_cell(cell: str) -> str:
    return cell if len(cell) <= 40 else cell[:37] + "..."
