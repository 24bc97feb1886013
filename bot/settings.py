"""Environment (and `.env`) -> `Settings`: credentials, database, config path, API base, logging.

Built once by the CLI's `main()` after `load_dotenv()`; `load_settings(environ)` itself only reads
the mapping it is given, so tests pass a dict. Every value is validated and every problem reported
at once (as `bot.config.ConfigError`, file "environment"), naming the variable, the bad value and
the fix. Credentials are `Secret`s: masked in `repr`, `str` and f-strings, and never put in an error
message; `Settings.secrets()` lists the raw values the log filter masks.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import SplitResult, unquote, urlsplit

from bot.config.problems import ConfigError, Problem

DEFAULT_DATABASE_URL = "sqlite:///data/contestbot.db"
DEFAULT_CONFIG = "config/contestbot.toml"
DEFAULT_API_BASE_URL = "https://api.twitter.com"
SOURCE = "environment"

LogFormat = Literal["text", "json"]

CREDENTIALS = (
    "X_BEARER_TOKEN",
    "X_API_KEY",
    "X_API_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET",
)
USER_CONTEXT = CREDENTIALS[1:]
OPERATIONS = (
    "CONTESTBOT_LEASE_TTL",
    "CONTESTBOT_INSTANCE_ID",
    "CONTESTBOT_DATA_DIR",
    "CONTESTBOT_CLOCK",
)
VARIABLES = (
    *CREDENTIALS,
    "DATABASE_URL",
    "X_API_BASE_URL",
    "CONTESTBOT_CONFIG",
    "CONTESTBOT_LOG_FORMAT",
    "CONTESTBOT_LOG_FILE",
    *OPERATIONS,
)
"""Every variable contestbot reads: each is checked to be text before any is used."""
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


class Secret:
    """A credential. It shows as `'***'` everywhere; only `reveal()` gives the value, and only the
    code that hands it to the X client should call it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Settings:
    """Validated settings. Credentials are None when unset. `database_url` may hold a password
    (PostgreSQL): use `database_url_masked` to show it."""

    x_bearer_token: Secret | None = None
    x_api_key: Secret | None = None
    x_api_secret: Secret | None = None
    x_access_token: Secret | None = None
    x_access_token_secret: Secret | None = None
    database_url: str = DEFAULT_DATABASE_URL
    config_path: Path = Path(DEFAULT_CONFIG)
    x_api_base_url: str = DEFAULT_API_BASE_URL
    log_format: LogFormat = "text"
    log_file: Path | None = None

    def __repr__(self) -> str:
        creds = ", ".join(
            f"{name.lower()}={'***' if getattr(self, name.lower()) else None}"
            for name in CREDENTIALS
        )
        return (
            f"Settings({creds}, database_url={self.database_url_masked!r}, "
            f"config_path={str(self.config_path)!r}, x_api_base_url={self.x_api_base_url!r}, "
            f"log_format={self.log_format!r}, log_file={self.log_file!r})"
        )

    @property
    def database_url_masked(self) -> str:
        return mask_url_password(self.database_url)

    @property
    def has_user_context(self) -> bool:
        """Whether the four OAuth 1.0a user credentials (to post, read mentions) are set."""
        return all(getattr(self, n.lower()) for n in USER_CONTEXT)

    @property
    def is_default_api(self) -> bool:
        return self.x_api_base_url == DEFAULT_API_BASE_URL

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when `database_url` is a SQLite file, else None."""
        return sqlite_file(self.database_url)

    def secrets(self) -> tuple[str, ...]:
        """Raw secret values (credentials, database password) for the log filter to mask."""
        values = [s.reveal() for s in (getattr(self, n.lower()) for n in CREDENTIALS) if s]
        password = url_password(self.database_url)
        if password:
            # Drivers and SQLAlchemy may show it decoded (`p@ss`) or as written (`p%40ss`).
            values.extend(dict.fromkeys((password, unquote(password))))
        return tuple(values)

    def missing(self, *names: str) -> tuple[str, ...]:
        """Which of the credential variables `names` are unset."""
        return tuple(n for n in names if not getattr(self, n.lower()))


def sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    rest = url[len("sqlite:///") :].split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """(`scheme://`, userinfo, `@rest`) when `url` has a user part, else None. Never raises: it
    must also mask URLs too broken for `urlsplit` (a bad IPv6 host, a raw '/' in a password)."""
    head, sep, rest = url.partition("://")
    if not sep:
        return None
    end = len(rest)
    for ch in "/?#":
        i = rest.find(ch)
        if i != -1:
            end = min(end, i)
    authority = rest[:end]
    if "@" in authority:
        userinfo, _, _ = authority.rpartition("@")
    else:
        # A password holding a raw '/' ends the authority early; mask up to the last '@' rather
        # than print it (over-masking an odd path is harmless).
        userinfo, at, _ = rest.rpartition("@")
        if not at or ":" not in userinfo or authority.partition(":")[2].isdigit():
            return None  # no user part, or `host:port/path@...`
    return head + sep, userinfo, rest[len(userinfo) :]


def url_password(url: str) -> str | None:
    """The password of `url`'s user part, if any (never raises)."""
    parts = _split_userinfo(url)
    if parts is None or ":" not in parts[1]:
        return None
    return parts[1].split(":", 1)[1] or None


def mask_url_password(url: str) -> str:
    """`postgresql://bot:s3cret@db/x` -> `postgresql://bot:***@db/x` (the user stays readable)."""
    parts = _split_userinfo(url)
    if parts is None or ":" not in parts[1]:
        return url
    head, userinfo, rest = parts
    return f"{head}{userinfo.split(':', 1)[0]}:***{rest}"


def mask_url_userinfo(url: str) -> str:
    """`https://user:pw@host` -> `https://***@host`: the whole user part hidden."""
    parts = _split_userinfo(url)
    if parts is None:
        return url
    head, _, rest = parts
    return f"{head}***{rest}"


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Validate `environ` (os.environ after load_dotenv(), or a test's dict). Raises
    `ConfigError` listing every problem; empty values count as unset."""
    problems: list[Problem] = []
    unusable: set[str] = set()

    def get(name: str) -> str | None:
        if name in unusable:
            return None
        value = environ.get(name, "").strip()
        return value or None

    def problem(name: str, value: object, issue: str, fix: str) -> None:
        problems.append(Problem(file=SOURCE, key=name, value=value, issue=issue, fix=fix))

    for name in VARIABLES:
        issue = text_problem(environ.get(name, ""), secret=name in CREDENTIALS)
        if issue is not None:
            # The value is never shown: it may be a secret, and it cannot be printed as text.
            problem(name, None, issue[0], issue[1])
            unusable.add(name)

    secrets: dict[str, Secret | None] = {}
    for name in CREDENTIALS:
        raw = get(name)
        if raw is not None and any(ch.isspace() for ch in raw):
            problem(
                name,
                "***",
                "contains whitespace",
                "paste the credential exactly as the X developer console shows it, unquoted",
            )
            raw = None
        secrets[name] = Secret(raw) if raw else None

    database_url = _database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL, problem)
    base_url = _base_url(get("X_API_BASE_URL") or DEFAULT_API_BASE_URL, problem)

    log_format = get("CONTESTBOT_LOG_FORMAT") or "text"
    if log_format not in ("text", "json"):
        problem("CONTESTBOT_LOG_FORMAT", log_format, "is not a log format", "use text or json")
        log_format = "text"
    log_file = get("CONTESTBOT_LOG_FILE")
    if log_file is not None:
        _log_file(log_file, problem)
    _operations({n: v for n in OPERATIONS if (v := get(n)) is not None}, database_url, problem)

    if problems:
        raise ConfigError(problems)
    return Settings(
        x_bearer_token=secrets["X_BEARER_TOKEN"],
        x_api_key=secrets["X_API_KEY"],
        x_api_secret=secrets["X_API_SECRET"],
        x_access_token=secrets["X_ACCESS_TOKEN"],
        x_access_token_secret=secrets["X_ACCESS_TOKEN_SECRET"],
        database_url=database_url,
        config_path=Path(get("CONTESTBOT_CONFIG") or DEFAULT_CONFIG),
        x_api_base_url=base_url,
        log_format="json" if log_format == "json" else "text",
        log_file=Path(log_file) if log_file else None,
    )


def text_problem(value: str, *, secret: bool = False) -> tuple[str, str] | None:
    """(issue, fix) when an environment value is not usable text, else None. Undecodable bytes
    arrive as lone surrogates (Python's surrogateescape); a credential travels in an HTTP header
    and an OAuth signature, so it must be printable ASCII."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return (
            "holds bytes that are not valid UTF-8",
            "set it again as UTF-8 text (check the terminal's or the .env file's encoding)",
        )
    stripped = value.strip()
    if not stripped.isprintable() and not secret:
        return (
            "holds control characters",
            "set it again without control characters (a pasted newline, tab or escape)",
        )
    if secret and not all("!" <= ch <= "~" for ch in stripped if not ch.isspace()):
        return (
            "holds characters other than printable ASCII (X credentials are plain letters, "
            "digits and punctuation)",
            "copy the credential again from the X developer console and paste it unquoted",
        )
    return None


def _operations(values: Mapping[str, str], database_url: str, problem: _Reporter) -> None:
    """The daemon's operations variables, checked here so every command refuses them before
    anything is opened (`run` builds the same values again in `bot.daemon.options`)."""
    from bot.daemon.options import BadOption, check_data_dir, data_dir, instance_id, lease_ttl
    from bot.daemon.scheduling import ClockSpecError, parse_clock_spec

    checks = (
        ("CONTESTBOT_LEASE_TTL", lambda: lease_ttl(values)),
        ("CONTESTBOT_INSTANCE_ID", lambda: instance_id(values)),
        ("CONTESTBOT_DATA_DIR", lambda: check_data_dir(data_dir(database_url, values))),
        ("CONTESTBOT_CLOCK", lambda: parse_clock_spec(values.get("CONTESTBOT_CLOCK", ""))),
    )
    for name, check in checks:
        if name not in values:
            continue  # unset: the default is valid (the database's folder is checked with it)
        try:
            check()
        except (BadOption, ClockSpecError) as exc:
            issue, _, fix = str(exc).partition(" - ")
            if not fix:
                issue, _, fix = str(exc).partition("; ")
            problems_issue = issue.removeprefix(name).lstrip("=: ") or issue
            problem(name, None, problems_issue, fix or "fix the value, or leave it unset")


LOG_FILE_FIX = "give a file path in a folder you can write, e.g. data/contestbot.log"


def _log_file(raw: str, problem: _Reporter) -> None:
    """The log file must be creatable: not a directory, under a folder this user can write (the
    folders still missing are created when logging starts)."""
    path = Path(raw)
    if path.is_dir():
        problem("CONTESTBOT_LOG_FILE", raw, "is a directory", LOG_FILE_FIX)
        return
    if path.exists() and not os.access(path, os.W_OK):
        problem("CONTESTBOT_LOG_FILE", raw, "exists but is not writable", LOG_FILE_FIX)
        return
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        problem(
            "CONTESTBOT_LOG_FILE", raw, f"cannot be created: {folder} is not a folder", LOG_FILE_FIX
        )
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem(
            "CONTESTBOT_LOG_FILE",
            raw,
            f"cannot be created: the folder {folder} is not writable by this user",
            LOG_FILE_FIX,
        )


def _database_url(url: str, problem: _Reporter) -> str:
    shown = mask_url_password(url)
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "postgres":
        problem(
            "DATABASE_URL",
            shown,
            "uses the scheme postgres://, which SQLAlchemy does not accept",
            "write postgresql://user:password@host/dbname",
        )
        return url
    if scheme not in DATABASE_SCHEMES:
        problem(
            "DATABASE_URL",
            shown,
            f"has the scheme {scheme or '(none)'!r}, which contestbot does not support",
            "use sqlite:///data/contestbot.db (a file) or postgresql://user:password@host/dbname",
        )
        return url
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or sqlite_file(url) is None:
            problem(
                "DATABASE_URL",
                shown,
                "is not a SQLite file URL",
                "use sqlite:///relative/path.db or sqlite:////absolute/path.db",
            )
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        problem(
            "DATABASE_URL",
            shown,
            "is not a valid URL",
            "write postgresql://user:password@host:5432/dbname (percent-encode @ : / in the "
            "password)",
        )
        return url
    if (not parts.hostname and "host=" not in parts.query) or not parts.path.strip("/"):
        problem(
            "DATABASE_URL",
            shown,
            "does not name a host and a database",
            "write postgresql://user:password@host:5432/dbname",
        )
    # psycopg 3 is the driver we ship; plain postgresql:// would make SQLAlchemy look for psycopg2.
    if scheme == "postgresql":
        return "postgresql+psycopg" + url[len("postgresql") :]
    return url


def _base_url(url: str, problem: _Reporter) -> str:
    fix = "use https://host, or http://127.0.0.1:PORT for a local sandbox"
    shown = mask_url_userinfo(url)
    if shown != url:
        problem(
            "X_API_BASE_URL",
            shown,
            "holds credentials (user:password@ before the host)",
            "remove them: the X API credentials go in X_BEARER_TOKEN and the other X_* variables",
        )
        return url
    try:
        parts: SplitResult = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        problem("X_API_BASE_URL", url, "is not a valid URL", fix)
        return url
    if parts.scheme not in ("http", "https") or not host:
        problem("X_API_BASE_URL", url, "is not an http(s) URL with a host", fix)
        return url
    if parts.query or parts.fragment or parts.username is not None:
        problem("X_API_BASE_URL", url, "has a query, fragment or user part", fix)
        return url
    if parts.scheme == "http" and not is_loopback(host):
        problem(
            "X_API_BASE_URL",
            url,
            "uses plain http on a host that is not loopback (credentials would travel in clear)",
            "use https://, or http:// only with 127.0.0.1, ::1 or localhost",
        )
        return url
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


ENV_NAME_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


ENV_FILE_LIMIT = 1024 * 1024  # a .env holds a few lines; /dev/zero must not fill memory


def env_file_error(path: Path) -> str | None:
    """Why the `.env` file at `path` cannot be used at all (not a regular file, too large, not
    readable, not UTF-8), or None (also when there is none). Never opens a FIFO (it would block)."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror}) — check its permissions"
    fix = "it must be a text file of NAME=value lines"
    if not stat.S_ISREG(mode):
        return f"{path} is not a regular file — {fix}"
    try:
        with open(path, "rb") as fh:
            data = fh.read(ENV_FILE_LIMIT + 1)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror}) — check its permissions"
    if len(data) > ENV_FILE_LIMIT:
        return f"{path} is larger than {ENV_FILE_LIMIT // 1024} KiB — {fix}"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{path} is not UTF-8 (byte {exc.start}) — save it as UTF-8; {fix}"
    return None


def env_file_problems(path: Path) -> list[str]:
    """One line per statement of the `.env` file at `path` that python-dotenv cannot parse (it
    skips them, so a credential there would silently be unset). The line's text is never shown:
    it may hold a secret; the variable name is, when one can be read."""
    from dotenv.parser import parse_stream

    try:
        with open(path, encoding="utf-8") as fh:
            bindings = list(parse_stream(fh))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return [f"{path} cannot be read ({reason}) — check its permissions; it must be UTF-8"]
    out: list[str] = []
    for b in bindings:
        if not b.error:
            continue
        name = ENV_NAME_RE.match(b.original.string)
        what = f" ({name.group(1)})" if name else ""
        out.append(
            f"{path} line {b.original.line}{what} cannot be parsed and is ignored — write "
            'NAME=value, quoting a value that holds spaces, quotes or # (NAME="a b")'
        )
    return out


class _Reporter(Protocol):
    def __call__(self, name: str, value: object, issue: str, fix: str) -> None: ...
