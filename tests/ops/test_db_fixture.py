"""The database plugin: a fresh, working database per test on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.db_fixture import find_bindir

REPO = Path(__file__).resolve().parents[2]


def _roundtrip(url: str) -> tuple[str, list[tuple[int, str]]]:
    """Create a table, write two rows, read them back; return the dialect and the rows."""
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        notes = sa.Table(
            "notes",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("text", sa.Text, nullable=False),
        )
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(notes.insert(), [{"id": 1, "text": "ünïcode ✓"}, {"id": 2, "text": "b"}])
        with engine.connect() as conn:
            rows = [(r.id, r.text) for r in conn.execute(sa.select(notes).order_by(notes.c.id))]
        return engine.dialect.name, rows
    finally:
        engine.dispose()


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_url_gives_a_working_empty_database(db_url: str, db_backend: str) -> None:
    assert _tables(db_url) == []
    dialect, rows = _roundtrip(db_url)
    assert dialect == db_backend
    assert rows == [(1, "ünïcode ✓"), (2, "b")]


def test_sqlite_urls_live_in_tmp_path(tmp_path: Path, db_backend: str, db_url: str) -> None:
    if db_backend == "sqlite":
        assert db_url == f"sqlite:///{tmp_path}/test.db"
    else:
        assert db_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")


def test_each_call_of_the_factory_is_a_new_database(db_url_factory: Callable[[], str]) -> None:
    first, second = db_url_factory(), db_url_factory()
    assert first != second
    _roundtrip(first)
    assert _tables(second) == []


@pytest.mark.postgres
def test_pg_url_is_a_real_postgresql_database(pg_url: str) -> None:
    dialect, rows = _roundtrip(pg_url)
    assert dialect == "postgresql"
    assert rows[0] == (1, "ünïcode ✓")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
            fsync = conn.execute(sa.text("SHOW fsync")).scalar_one()
    finally:
        engine.dispose()
    assert int(version) >= 130000  # DROP DATABASE ... WITH (FORCE) needs 13
    assert fsync == "off"


@pytest.mark.postgres
def test_pg_databases_are_isolated(pg_url_factory: Callable[[], str]) -> None:
    a, b = pg_url_factory(), pg_url_factory()
    _roundtrip(a)
    assert _tables(a) == ["notes"]
    assert _tables(b) == []


def test_each_db_url_works_on_both_backends(each_db_url: str) -> None:
    dialect, rows = _roundtrip(each_db_url)
    assert dialect in ("sqlite", "postgresql")
    assert each_db_url.split(":", 1)[0].startswith(dialect)
    assert len(rows) == 2


# --------------------------------------------------------------------------------------------------
# Backend selection, checked in a child pytest so the options really go through the command line
# --------------------------------------------------------------------------------------------------

PROBE = """
def test_probe(db_url, db_backend):
    print("PROBE", db_backend, db_url.split(":", 1)[0])
"""


def _child_pytest(
    tmp_path: Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(PROBE)
    child_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.db_fixture",
            "-p",
            "no:cacheprovider",
            "-s",
            str(tmp_path / "test_probe.py"),
            *args,
        ],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_sqlite_is_the_default(tmp_path: Path) -> None:
    run = _child_pytest(tmp_path, env={"CONTESTBOT_TEST_DB": ""})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PROBE sqlite sqlite" in run.stdout
    assert "contestbot test database: sqlite" in run.stdout


@pytest.mark.postgres
def test_db_option_and_env_choose_postgresql(tmp_path: Path) -> None:
    if find_bindir() is None:
        pytest.skip("no PostgreSQL binaries; the pg_url tests report this (and fail under CI)")
    by_option = _child_pytest(tmp_path, "--db", "postgresql", env={"CONTESTBOT_TEST_DB": ""})
    assert by_option.returncode == 0, by_option.stdout + by_option.stderr
    assert "PROBE postgresql postgresql+psycopg" in by_option.stdout
    by_env = _child_pytest(tmp_path, env={"CONTESTBOT_TEST_DB": "postgresql"})
    assert "PROBE postgresql postgresql+psycopg" in by_env.stdout
    # The option wins over the environment.
    both = _child_pytest(tmp_path, "--db", "sqlite", env={"CONTESTBOT_TEST_DB": "postgresql"})
    assert "PROBE sqlite sqlite" in both.stdout


def test_a_bad_backend_name_is_a_usage_error(tmp_path: Path) -> None:
    run = _child_pytest(tmp_path, env={"CONTESTBOT_TEST_DB": "oracle"})
    assert run.returncode == 4  # pytest's usage-error exit code
    assert "CONTESTBOT_TEST_DB='oracle' is not a database backend" in run.stdout + run.stderr
