"""Query-parameter validation for the sandbox, with the X API's own 400 messages.

Each check appends `(parameter, values, message)` to a list; the caller turns a non-empty list into
one invalid-request problem body (the real API also reports every bad parameter at once). Covers
the per-endpoint list of known query parameters (`ALLOWED`), `max_results` bounds, ids, the
`*.fields`/`expansions` vocabularies, RFC 3339 times, the 7-day window for `start_time`/`since_id`,
and `end_time` at least 10 seconds in the past.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.snowflake import make_snowflake, snowflake_time
from bot.sandbox.wire import (
    MEDIA_FIELDS,
    TWEET_EXPANSIONS,
    TWEET_FIELDS,
    USER_EXPANSIONS,
    USER_FIELDS,
)

ID_RE = re.compile(r"^[0-9]{1,19}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
Problems = list[tuple[str, list[str], str]]

_FIELDS = (
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
)
_WINDOW = ("since_id", "until_id", "max_results", "pagination_token")
# The query parameters each read endpoint accepts, in the order X lists them in its 400 message
# (path parameters included, as X does). Anything else is a 400, never silently ignored.
ALLOWED: dict[str, tuple[str, ...]] = {
    "search": (
        "query",
        "start_time",
        "end_time",
        "since_id",
        "until_id",
        "max_results",
        "next_token",
        "pagination_token",
        "sort_order",
        "expansions",
        "tweet.fields",
        "media.fields",
        "poll.fields",
        "place.fields",
        "user.fields",
    ),
    "mentions": ("id", *_WINDOW, "start_time", "end_time", *_FIELDS),
    "user_tweets": ("id", *_WINDOW, "exclude", "start_time", "end_time", *_FIELDS),
    "tweets": ("ids", *_FIELDS),
    "tweet": ("id", *_FIELDS),
    "me": ("expansions", "tweet.fields", "user.fields"),
    "user_by_username": ("username", "expansions", "tweet.fields", "user.fields"),
}
POLL_FIELDS = frozenset(["duration_minutes", "end_datetime", "id", "options", "voting_status"])
PLACE_FIELDS = frozenset(
    ["contained_within", "country", "country_code", "full_name", "geo", "id", "name", "place_type"]
)
SORT_ORDERS = ("recency", "relevancy")


class ApiError(Exception):
    """An HTTP error answer: status and JSON body (raised by handlers, rendered by the server)."""

    def __init__(self, status: int, body: dict[str, object]) -> None:
        super().__init__(f"{status}: {body.get('detail') or body}")
        self.status = status
        self.body = body


def known(query_list: list[tuple[str, str]], endpoint: str, errs: Problems) -> None:
    """One error per query parameter `endpoint` does not accept, with every value it was given."""
    allowed = ALLOWED[endpoint]
    unknown: dict[str, list[str]] = {}
    for key, value in query_list:
        if key not in allowed:
            unknown.setdefault(key, []).append(value)
    for key, values in unknown.items():
        errs.append(
            (
                key,
                values,
                f"The query parameter [{key}] is not one of [{','.join(allowed)}]",
            )
        )


def one_of(params: dict[str, str], name: str, allowed: tuple[str, ...], errs: Problems) -> None:
    raw = params.get(name)
    if raw is not None and raw not in allowed:
        errs.append(
            (
                name,
                [raw],
                f"The `{name}` query parameter value [{raw}] is not one of [{','.join(allowed)}]",
            )
        )


@dataclass(frozen=True)
class Fields:
    tweet: frozenset[str]
    user: frozenset[str]
    media: frozenset[str]
    expansions: frozenset[str]


def fields(params: dict[str, str], errs: Problems, *, users_endpoint: bool = False) -> Fields:
    def parse(name: str, allowed: frozenset[str]) -> frozenset[str]:
        raw = params.get(name)
        if raw is None:
            return frozenset()
        values = [v for v in raw.split(",") if v]
        for v in values:
            if v not in allowed:
                errs.append(
                    (
                        name,
                        [v],
                        f"The `{name}` query parameter value [{v}] is not one "
                        f"of [{','.join(sorted(allowed))}]",
                    )
                )
        return frozenset(values)

    exp_allowed = USER_EXPANSIONS if users_endpoint else TWEET_EXPANSIONS
    if not users_endpoint:
        parse("poll.fields", POLL_FIELDS)
        parse("place.fields", PLACE_FIELDS)
    return Fields(
        parse("tweet.fields", TWEET_FIELDS),
        parse("user.fields", USER_FIELDS),
        parse("media.fields", MEDIA_FIELDS),
        parse("expansions", exp_allowed),
    )


def max_results(params: dict[str, str], errs: Problems, lo: int, hi: int, default: int) -> int:
    raw = params.get("max_results")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errs.append(
            (
                "max_results",
                [raw],
                f"The `max_results` query parameter value [{raw}] is not a valid integer",
            )
        )
        return default
    if not lo <= value <= hi:
        errs.append(
            (
                "max_results",
                [raw],
                f"The `max_results` query parameter value [{raw}] is not between {lo} and {hi}",
            )
        )
        return default
    return value


def tweet_id(params: dict[str, str], name: str, errs: Problems) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not ID_RE.match(raw):
        errs.append(
            (
                name,
                [raw],
                f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$",
            )
        )
        return None
    return int(raw)


def path_id(raw: str, name: str = "id") -> str:
    if not ID_RE.match(raw):
        raise ApiError(
            400,
            invalid(
                [
                    (
                        name,
                        [raw],
                        f"The `{name}` query parameter value [{raw}] "
                        "does not match ^[0-9]{1,19}$",
                    )
                ]
            ),
        )
    return raw


def parse_time(params: dict[str, str], name: str, errs: Problems) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        errs.append(
            (
                name,
                [raw],
                f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 "
                "date-time, e.g. 2026-08-01T10:00:00Z",
            )
        )
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _minute(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Window:
    since: int | None
    until: int | None
    start: datetime | None
    end: datetime | None


def window(
    params: dict[str, str],
    errs: Problems,
    now: datetime,
    *,
    seven_days: bool,
    end_margin: bool,
    reject_since_with_start: bool,
) -> Window:
    """since_id/until_id/start_time/end_time, checked against the search window rules."""
    since = tweet_id(params, "since_id", errs)
    until = tweet_id(params, "until_id", errs)
    start = parse_time(params, "start_time", errs)
    end = parse_time(params, "end_time", errs)
    cutoff = now - timedelta(days=7)
    if seven_days:
        if start is not None and start < cutoff:
            errs.append(
                (
                    "start_time",
                    [params["start_time"]],
                    f"Invalid 'start_time':'{_minute(start)}'. 'start_time' must be on or "
                    f"after {_minute(cutoff)}",
                )
            )
        floor = int(make_snowflake(cutoff))
        for name, value in (("since_id", since), ("until_id", until)):
            if value is not None and value < floor:
                errs.append(
                    (
                        name,
                        [str(value)],
                        f"'{name}' must be a tweet id created after {_minute(cutoff)}. "
                        f"Please use a '{name}' that is larger than {floor}",
                    )
                )
    if end_margin and end is not None and end > now - timedelta(seconds=10):
        errs.append(
            (
                "end_time",
                [params["end_time"]],
                f"Invalid 'end_time':'{_minute(end)}'. 'end_time' must be a minimum of 10 "
                "seconds prior to the request time.",
            )
        )
    if start is not None and end is not None and start >= end:
        errs.append(
            (
                "start_time",
                [params["start_time"]],
                f"Invalid 'start_time':'{_minute(start)}'. 'start_time' must be before "
                f"'end_time':'{_minute(end)}'",
            )
        )
    if reject_since_with_start:
        if since is not None and start is not None:
            errs.append(
                ("since_id", [str(since)], "At most one of `start_time`, `since_id` may be given")
            )
        if until is not None and end is not None:
            errs.append(
                ("until_id", [str(until)], "At most one of `end_time`, `until_id` may be given")
            )
    elif since is not None or until is not None:
        # Documented legacy behaviour: when both are given, the id wins.
        start = None if since is not None else start
        end = None if until is not None else end
    return Window(since, until, start, end)


def invalid(errors: Problems) -> dict[str, object]:
    from bot.sandbox.wire import invalid_request

    return invalid_request(errors)


def check(errs: Problems) -> None:
    if errs:
        raise ApiError(400, invalid(errs))


_TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKEN_MASK = 0x5DEECE66D5DEECE66D


def encode_token(direction: str, num: int) -> str:
    """An opaque-looking page token: direction ('n'ext / 'p'revious) + base36 of a masked id."""
    value, out = num ^ _TOKEN_MASK, ""
    while value:
        value, rem = divmod(value, 36)
        out = _TOKEN_ALPHABET[rem] + out
    return f"7140dibdnow9c7btw{direction}{out}"


def decode_token(name: str, raw: str) -> tuple[str, int]:
    bad = ApiError(
        400, invalid([(name, [raw], f"The `{name}` query parameter value [{raw}] is not valid")])
    )
    if not raw.startswith("7140dibdnow9c7btw") or len(raw) < 19:
        raise bad
    direction, body = raw[17], raw[18:]
    try:
        num = int(body, 36) ^ _TOKEN_MASK
    except ValueError:
        raise bad from None
    if direction not in "np" or num <= 0:
        raise bad
    snowflake_time(num)
    return direction, num
