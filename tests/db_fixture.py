"""Pytest plugin: a fresh database per test, on SQLite or on a real PostgreSQL the tests start.

`--db sqlite|postgresql` (or CONTESTBOT_TEST_DB) picks the backend of the `db_url` fixture; SQLite
is the default. For PostgreSQL one throwaway server per test session is started from the machine's
binaries (initdb + pg_ctl in a temp dir, trust auth, unix socket plus 127.0.0.1 on a free port,
fsync off) and each test gets its own empty database on it. PostgreSQL refuses to run as root, so
under uid 0 the server runs as the `postgres` user (or `nobody`) from a temp dir owned by it.
`pg_url` is for tests that always need PostgreSQL (mark them `postgres`): it skips with a clear
reason when no binaries are installed, except under CI=true, where it fails, because CI must have
them (`scripts/ensure_postgres.sh` installs them). Register with `pytest_plugins =
["tests.db_fixture"]` in the top-level conftest.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest

BACKENDS = ("sqlite", "postgresql")
ENV_BACKEND = "CONTESTBOT_TEST_DB"
ENV_BINDIR = "CONTESTBOT_PG_BINDIR"
SUPERUSER = "postgres"
START_ATTEMPTS = 3


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL binaries, or the server would not start."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=BACKENDS,
        default=None,
        help=f"database backend for db_url: sqlite (default) or postgresql; env {ENV_BACKEND}",
    )


def selected_backend(config: pytest.Config) -> str:
    """The backend from --db, else CONTESTBOT_TEST_DB, else sqlite."""
    option = config.getoption("--db")
    if option is not None:
        return str(option)
    value = os.environ.get(ENV_BACKEND, "").strip().lower() or "sqlite"
    if value not in BACKENDS:
        raise pytest.UsageError(
            f"{ENV_BACKEND}={value!r} is not a database backend; use one of {', '.join(BACKENDS)}"
        )
    return value


def pytest_configure(config: pytest.Config) -> None:
    selected_backend(config)  # a bad CONTESTBOT_TEST_DB fails at start, not in the first test


def pytest_report_header(config: pytest.Config) -> str:
    return f"contestbot test database: {selected_backend(config)}"


# --------------------------------------------------------------------------------------------------
# Finding the binaries and running a throwaway server
# --------------------------------------------------------------------------------------------------


def find_bindir() -> Path | None:
    """A directory holding initdb and pg_ctl: $CONTESTBOT_PG_BINDIR, `pg_config --bindir`, the
    newest /usr/lib/postgresql/*/bin, then PATH. None when there is none."""
    candidates: list[Path] = []
    if os.environ.get(ENV_BINDIR):
        candidates.append(Path(os.environ[ENV_BINDIR]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates.extend(Path(p) for p in sorted(versions, key=_version_key, reverse=True))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway cluster. `create_database()` returns the URL of a new empty database."""

    bindir: Path
    root: Path
    port: int
    run_as: pwd.struct_passwd | None

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def admin_conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        name = f"test_{uuid.uuid4().hex}"
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            # FORCE ends sessions a test left open (PostgreSQL 13+).
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.run_as is not None:
            env["HOME"] = str(self.root)
        return subprocess.run(
            args,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            user=None if self.run_as is None else self.run_as.pw_uid,
            group=None if self.run_as is None else self.run_as.pw_gid,
            extra_groups=None if self.run_as is None else [],
        )

    def start(self) -> None:
        init = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed in {self.root}:\n{init.stderr.strip()}")
        last_error = ""
        for _ in range(START_ATTEMPTS):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            started = self._run(
                str(self.bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.datadir),
                "-l",
                str(self.root / "server.log"),
                "-o",
                options,
            )
            if started.returncode == 0:
                return
            # Most often another process took the port between probing and binding: retry.
            last_error = started.stderr.strip() + "\n" + self.log_tail()
        raise PostgresUnavailable(f"PostgreSQL did not start from {self.bindir}:\n{last_error}")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "immediate")

    def log_tail(self, lines: int = 20) -> str:
        log = self.root / "server.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable(
        "running as root but there is no 'postgres' or 'nobody' user to run PostgreSQL as; "
        "create one (useradd --system postgres) or run the tests as a normal user"
    )


@contextlib.contextmanager
def running_postgres(bindir: Path) -> Iterator[PostgresServer]:
    """Start a throwaway cluster from `bindir`; stop it and delete its files afterwards."""
    run_as = _unprivileged_user() if os.geteuid() == 0 else None
    # Not under pytest's tmp_path: that is private to root, and the server user must reach it.
    root = Path(tempfile.mkdtemp(prefix="contestbot-pg-"))
    if run_as is not None:
        os.chown(root, run_as.pw_uid, run_as.pw_gid)
    server = PostgresServer(bindir=bindir, root=root, port=0, run_as=run_as)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _missing_postgres(message: str, *, required: bool) -> NoReturn:
    """Fail under CI (where PostgreSQL must be installed) or when --db asked for it; else skip."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{message} (CI=true: PostgreSQL is required; run scripts/ensure_postgres.sh)")
    if required:
        pytest.fail(f"{message} (--db postgresql was asked for; run scripts/ensure_postgres.sh)")
    pytest.skip(f"{message}; install PostgreSQL (scripts/ensure_postgres.sh) to run this test")


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def db_backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite" or "postgresql": what `db_url` gives in this session."""
    return selected_backend(request.config)


@pytest.fixture(scope="session")
def postgres_server(db_backend: str) -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole session, started on first use."""
    bindir = find_bindir()
    if bindir is None:
        _missing_postgres(
            "no PostgreSQL binaries found (looked at $CONTESTBOT_PG_BINDIR, pg_config --bindir, "
            "/usr/lib/postgresql/*/bin and PATH)",
            required=db_backend == "postgresql",
        )
    try:
        with running_postgres(bindir) as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg_url_factory(postgres_server: PostgresServer) -> Iterator[Callable[[], str]]:
    """Call it for each new empty PostgreSQL database a test needs; all are dropped afterwards."""
    created: list[str] = []

    def make() -> str:
        url = postgres_server.create_database()
        created.append(url)
        return url

    yield make
    for url in created:
        postgres_server.drop_database(url)


@pytest.fixture
def pg_url(pg_url_factory: Callable[[], str]) -> str:
    """A new empty PostgreSQL database, whatever --db says (for tests marked `postgres`)."""
    return pg_url_factory()


@pytest.fixture
def db_url_factory(
    request: pytest.FixtureRequest, db_backend: str, tmp_path: Path
) -> Callable[[], str]:
    """Call it for each new empty database a test needs, on the selected backend."""
    if db_backend == "postgresql":
        factory: Callable[[], str] = request.getfixturevalue("pg_url_factory")
        return factory
    counter = iter(range(1_000_000))

    def make_sqlite() -> str:
        n = next(counter)
        return f"sqlite:///{tmp_path / ('test.db' if n == 0 else f'test{n}.db')}"

    return make_sqlite


@pytest.fixture
def db_url(db_url_factory: Callable[[], str]) -> str:
    """A new empty database URL: sqlite:///{tmp_path}/test.db, or a fresh PostgreSQL database."""
    return db_url_factory()


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def each_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty database on each backend in turn, whatever --db says (for the few tests that
    must prove something on both, e.g. the lease compare-and-set)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite:///{tmp_path / 'each.db'}"
