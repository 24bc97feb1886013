"""Settings from an environment mapping: defaults, validation lines that name the variable, the
value and the fix, and secrets that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.settings import (
    Secret,
    Settings,
    env_file_problems,
    load_settings,
    mask_url_password,
    url_password,
)

CANARY = "CANARY-s3cr3t-T0KEN-value"
CREDENTIALS = {
    "X_BEARER_TOKEN": CANARY + "-bearer",
    "X_API_KEY": CANARY + "-key",
    "X_API_SECRET": CANARY + "-secret",
    "X_ACCESS_TOKEN": CANARY + "-access",
    "X_ACCESS_TOKEN_SECRET": CANARY + "-access-secret",
}


def problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(environ)
    return info.value.lines()


def test_defaults() -> None:
    s = load_settings({})
    assert s.database_url == "sqlite:///data/contestbot.db"
    assert s.sqlite_path == Path("data/contestbot.db")
    assert s.config_path == Path("config/contestbot.toml")
    assert s.x_api_base_url == "https://api.twitter.com"
    assert (s.log_format, s.log_file) == ("text", None)
    assert s.x_bearer_token is None and not s.has_user_context
    assert s.missing("X_BEARER_TOKEN", "X_API_KEY") == ("X_BEARER_TOKEN", "X_API_KEY")


def test_values_are_read_and_empty_values_count_as_unset() -> None:
    s = load_settings(
        {
            **CREDENTIALS,
            "DATABASE_URL": "postgresql://bot:pw-1234@db.example:5432/contestbot",
            "CONTESTBOT_CONFIG": "other.toml",
            "X_API_BASE_URL": "http://127.0.0.1:8000/",
            "CONTESTBOT_LOG_FORMAT": "json",
            "CONTESTBOT_LOG_FILE": "data/bot.log",
            "X_API_KEY": "",
        }
    )
    assert s.x_bearer_token == Secret(CANARY + "-bearer")
    assert s.x_api_key is None and not s.has_user_context
    # psycopg 3 is the driver shipped; plain postgresql:// would ask SQLAlchemy for psycopg2
    assert s.database_url == "postgresql+psycopg://bot:pw-1234@db.example:5432/contestbot"
    assert s.database_url_masked == "postgresql+psycopg://bot:***@db.example:5432/contestbot"
    assert s.sqlite_path is None
    assert s.config_path == Path("other.toml")
    assert s.x_api_base_url == "http://127.0.0.1:8000"
    assert (s.log_format, s.log_file) == ("json", Path("data/bot.log"))
    assert "pw-1234" in s.secrets() and CANARY + "-bearer" in s.secrets()


@pytest.mark.parametrize(
    "url", ["https://api.example.org", "http://localhost:9000", "http://[::1]:8000", "https://x"]
)
def test_accepted_base_urls(url: str) -> None:
    assert load_settings({"X_API_BASE_URL": url}).x_api_base_url == url


SETTINGS_CASES = [
    (
        "http on a public host",
        {"X_API_BASE_URL": "http://api.example.org"},
        ('key "X_API_BASE_URL"', '"http://api.example.org"', "not loopback", "use https://"),
    ),
    (
        "not a URL",
        {"X_API_BASE_URL": "api.twitter.com"},
        ('key "X_API_BASE_URL"', "not an http(s) URL"),
    ),
    ("ftp base", {"X_API_BASE_URL": "ftp://127.0.0.1"}, ('key "X_API_BASE_URL"', "http(s)")),
    ("bad port", {"X_API_BASE_URL": "https://host:99999"}, ("not a valid URL",)),
    ("query in base", {"X_API_BASE_URL": "https://host/?a=1"}, ("query",)),
    (
        "unsupported database scheme",
        {"DATABASE_URL": "mysql://u@h/db"},
        ('key "DATABASE_URL"', '"mysql://u@h/db"', "'mysql'", "sqlite:///data/contestbot.db"),
    ),
    (
        "postgres:// scheme",
        {"DATABASE_URL": "postgres://u:hunter22@h/db"},
        ('key "DATABASE_URL"', "postgres://u:***@h/db", "write postgresql://"),
    ),
    ("sqlite without a file", {"DATABASE_URL": "sqlite://"}, ("not a SQLite file URL",)),
    (
        "postgres without a database",
        {"DATABASE_URL": "postgresql://u@h"},
        ("does not name a host and a database",),
    ),
    ("no scheme", {"DATABASE_URL": "data/contestbot.db"}, ("'(none)'",)),
    (
        "bad log format",
        {"CONTESTBOT_LOG_FORMAT": "xml"},
        ('key "CONTESTBOT_LOG_FORMAT"', '"xml"', "use text or json"),
    ),
    ("log file is a directory", {"CONTESTBOT_LOG_FILE": "."}, ("is a directory",)),
    (
        "log file under a file",
        {"CONTESTBOT_LOG_FILE": f"{__file__}/logs/bot.log"},
        ('key "CONTESTBOT_LOG_FILE"', "test_settings.py is not a folder", "data/contestbot.log"),
    ),
    (
        "credentials in the base URL",
        {"X_API_BASE_URL": "https://user:hunter22@api.example.com"},
        ('key "X_API_BASE_URL"', '"https://***@api.example.com"', "holds credentials"),
    ),
    (
        "a user alone in the base URL",
        {"X_API_BASE_URL": "http://hunter22@127.0.0.1:8000"},
        ('"http://***@127.0.0.1:8000"', "X_BEARER_TOKEN"),
    ),
    (
        "unparsable PostgreSQL URL with a password",
        {"DATABASE_URL": "postgresql://bot:hunter22@[::1/contestbot"},
        ('key "DATABASE_URL"', "bot:***@", "not a valid URL", "percent-encode"),
    ),
    (
        "raw slash in a database password",
        {"DATABASE_URL": "mysql://bot:hun/ter22@db/x"},
        ("bot:***@db/x",),
    ),
    (
        "credential with a space",
        {"X_BEARER_TOKEN": CANARY + " x"},
        ('key "X_BEARER_TOKEN"', '"***"', "whitespace"),
    ),
]


@pytest.mark.parametrize(
    ("name", "environ", "fragments"), SETTINGS_CASES, ids=[c[0] for c in SETTINGS_CASES]
)
def test_each_bad_setting_gives_one_line(
    name: str, environ: dict[str, str], fragments: tuple[str, ...]
) -> None:
    (line,) = problems(environ)
    assert line.startswith("environment: ")
    assert " — " in line
    for fragment in fragments:
        assert fragment in line
    assert CANARY not in line and "hunter22" not in line


def test_all_problems_are_reported_together() -> None:
    lines = problems({"X_API_BASE_URL": "http://example.org", "DATABASE_URL": "mysql://x/y"})
    assert len(lines) == 2


def test_secrets_are_masked_in_repr_str_and_format() -> None:
    s = load_settings({**CREDENTIALS, "DATABASE_URL": "postgresql://u:hunter22@h/db"})
    for text in (
        repr(s),
        str(s),
        f"{s}",
        repr(s.x_api_secret),
        str(s.x_api_secret),
        f"{s.x_api_secret}",
        "{}".format(s.x_access_token),  # noqa: UP032
    ):
        assert CANARY not in text
        assert "hunter22" not in text
    assert "***" in repr(s)
    assert s.x_api_secret is not None and s.x_api_secret.reveal() == CANARY + "-secret"


def test_settings_is_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.database_url = "sqlite:///other.db"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "password", "masked"),
    [
        ("postgresql://bot:s3cret@db/x", "s3cret", "postgresql://bot:***@db/x"),
        ("postgresql://bot:pa/ss@db/x", "pa/ss", "postgresql://bot:***@db/x"),
        ("postgresql://bot@db/x", None, "postgresql://bot@db/x"),
        ("https://host:443/a@b", None, "https://host:443/a@b"),  # an '@' in a path is no user
        ("sqlite:///data/a@b.db", None, "sqlite:///data/a@b.db"),
    ],
)
def test_url_passwords_are_found_and_masked(url: str, password: str | None, masked: str) -> None:
    assert url_password(url) == password
    assert mask_url_password(url) == masked


def test_a_percent_encoded_database_password_is_a_secret_in_both_forms() -> None:
    s = load_settings({"DATABASE_URL": "postgresql://bot:pa%40ss-word@db/x"})
    assert {"pa%40ss-word", "pa@ss-word"} <= set(s.secrets())


def test_unparsable_env_lines_are_named_without_their_content(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "X_BEARER_TOKEN=ok\nX_API_KEY = 'unterminated " + CANARY + "\njust words\nX_API_SECRET=s\n",
        encoding="utf-8",
    )
    lines = env_file_problems(env)
    assert len(lines) == 2
    assert f"{env} line 2 (X_API_KEY) cannot be parsed and is ignored" in lines[0]
    assert f"{env} line 3 cannot be parsed" in lines[1] and "NAME=value" in lines[1]
    assert CANARY not in "".join(lines)
    assert env_file_problems(tmp_path / "absent.env") == []
