"""The Dockerfile, .dockerignore and docker-compose.yml have the properties docs/OPERATIONS.md
promises. Images can't be built on our machines (no registry for base images), so the files are
parsed and checked instead: slim base, non-root user, no .env baked in, data/ a volume owned by the
bot's user, a HEALTHCHECK, exec-form ENTRYPOINT so SIGTERM reaches the daemon, and a compose file
with the bot and PostgreSQL that holds no secrets."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE", re.IGNORECASE)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            word, _, args = full.partition(" ")
            result.append((word.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return result


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions((REPO / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def args_of(dockerfile: list[tuple[str, str]], word: str) -> list[str]:
    return [args for w, args in dockerfile if w == word]


def exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form instruction; fails on shell form."""
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        pytest.fail(f'{args!r} is shell form; use the exec form ["..."] so signals reach it')
    assert isinstance(value, list)
    assert all(isinstance(v, str) for v in value)
    return value


# --------------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------------


def test_single_slim_python_3_11_base(dockerfile: list[tuple[str, str]]) -> None:
    assert args_of(dockerfile, "FROM") == ["python:3.11-slim"]


def test_runs_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    users = args_of(dockerfile, "USER")
    assert users, "no USER: the bot would run as root"
    final = users[-1].split(":")[0]
    assert final not in ("root", "0")
    words = [w for w, _ in dockerfile]
    assert words.index("ENTRYPOINT") > len(words) - 1 - words[::-1].index("USER")
    created = " ".join(args_of(dockerfile, "RUN"))
    assert "useradd" in created and final in created


def test_no_env_file_or_secret_is_baked_in(dockerfile: list[tuple[str, str]]) -> None:
    for word in ("COPY", "ADD"):
        for args in args_of(dockerfile, word):
            parts = [p for p in args.split() if not p.startswith("--")]
            sources = parts[:-1]
            assert sources, f"{word} {args}: no source"
            for src in sources:
                assert ".env" not in src, f"{word} {args} copies an env file"
                assert src not in (".", "./"), f"{word} {args} copies the whole context"
    for word in ("ENV", "ARG"):
        for args in args_of(dockerfile, word):
            assert not SECRETISH.search(args), f"{word} {args} looks like a secret"


def test_installs_without_test_dependencies(dockerfile: list[tuple[str, str]]) -> None:
    installs = [a for a in args_of(dockerfile, "RUN") if "pip install" in a]
    assert len(installs) == 1
    assert re.search(r"pip install \.(\s|$)", installs[0])
    assert "[test]" not in installs[0]
    assert " -e " not in installs[0]


def test_copied_files_exist_and_are_not_ignored(dockerfile: list[tuple[str, str]]) -> None:
    ignored = dockerignore_patterns()
    for args in args_of(dockerfile, "COPY"):
        parts = [p for p in args.split() if not p.startswith("--")]
        for src in parts[:-1]:
            assert (REPO / src).exists(), f"COPY {src}: no such file in the repository"
            assert not is_ignored(src, ignored), f"COPY {src} is excluded by .dockerignore"


def test_data_is_a_volume_owned_by_the_bot_user(dockerfile: list[tuple[str, str]]) -> None:
    workdir = args_of(dockerfile, "WORKDIR")[-1]
    volumes = [v for args in args_of(dockerfile, "VOLUME") for v in exec_form(args)]
    assert f"{workdir.rstrip('/')}/data" in volumes
    user = args_of(dockerfile, "USER")[-1].split(":")[0]
    runs = " ".join(args_of(dockerfile, "RUN"))
    assert re.search(rf"chown {user}(:{user})? {re.escape(workdir)}/data", runs)
    words = [w for w, _ in dockerfile]
    last_run = len(words) - 1 - words[::-1].index("RUN")
    assert words.index("VOLUME") > last_run, "VOLUME before the chown would discard it"


def test_healthcheck_runs_contestbot_health(dockerfile: list[tuple[str, str]]) -> None:
    checks = args_of(dockerfile, "HEALTHCHECK")
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD ")
    assert exec_form(command.strip()) == ["contestbot", "health"]
    assert "--interval=" in options
    assert "--timeout=" in options


def test_sigterm_reaches_the_daemon(dockerfile: list[tuple[str, str]]) -> None:
    assert args_of(dockerfile, "STOPSIGNAL") == ["SIGTERM"]
    assert [exec_form(a) for a in args_of(dockerfile, "ENTRYPOINT")] == [["contestbot"]]
    assert [exec_form(a) for a in args_of(dockerfile, "CMD")] == [["run"]]


def test_the_entrypoint_is_the_package_s_console_script() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["contestbot"] == "bot.cli.main:main"


# --------------------------------------------------------------------------------------------------
# .dockerignore
# --------------------------------------------------------------------------------------------------


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def is_ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last matching pattern wins; `!` re-includes; a pattern
    matching a directory excludes what is inside it."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.rstrip("/").removeprefix("**/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        names = list(parts)
        if any(fnmatch.fnmatch(p, pat) for p in prefixes + names):
            ignored = not negate
    return ignored


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        "data/contestbot.db",
        "data/heartbeat",
        ".git/config",
        ".pytest_cache/v",
        ".mypy_cache/x",
        ".ruff_cache/x",
        ".hypothesis/x",
        "bot/__pycache__/x.pyc",
        "tests/core/test_x.py",
    ],
)
def test_dockerignore_keeps_secrets_state_and_caches_out(path: str) -> None:
    assert is_ignored(path, dockerignore_patterns())


@pytest.mark.parametrize("path", ["bot/core/models.py", "pyproject.toml", "README.md"])
def test_dockerignore_keeps_the_sources(path: str) -> None:
    assert not is_ignored(path, dockerignore_patterns())


# --------------------------------------------------------------------------------------------------
# docker-compose.yml
# --------------------------------------------------------------------------------------------------


def test_compose_has_the_bot_and_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "postgres"}
    pg = services["postgres"]
    assert pg["image"] == "postgres:16"
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in pg["volumes"])
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])


def test_the_bot_waits_for_a_healthy_postgres(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["env_file"] in (".env", [".env"])
    url = bot["environment"]["DATABASE_URL"]
    assert re.match(r"postgresql(\+psycopg)?://[^@]+@postgres:5432/\w+$", url)
    assert any(str(v).endswith(":/app/data") for v in bot["volumes"])
    assert bot.get("stop_signal", "SIGTERM") == "SIGTERM"


def _environment_items(service: dict[str, Any]) -> list[tuple[str, str]]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return [(item.partition("=")[0], item.partition("=")[2]) for item in env]
    return [(str(k), "" if v is None else str(v)) for k, v in env.items()]


def test_compose_holds_no_secret_inline(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _environment_items(service):
            if SECRETISH.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", value), (
                    f"{name}.{key} must come from .env (${{VAR}}), not be written here"
                )
            # A password inside a URL must be a reference too.
            for password in re.findall(r"://[^:/@]+:([^@]+)@", value):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", password), (
                    f"{name}.{key} has a password written inline"
                )
