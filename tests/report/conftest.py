"""The report tests run commands as organisers do: the CLI fixtures of tests/cli."""

from tests.cli.conftest import cli  # noqa: F401 (a fixture)
