"""What every subcommand gets: parsed arguments, the injected clock and environment, output streams,
and settings and config loaded on first use (so `--help` and `sandbox` need neither).

`UsageError` is the CLI's "bad config or usage" failure (exit 2): it carries one line per problem.
Loading settings also (re)configures logging with the secrets to mask (debug level with `--debug`);
a log file that cannot be opened is reported as a settings problem (exit 2), not a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from loguru import logger

from bot.clock import Clock
from bot.config import Config, ConfigError, Problem, load_config
from bot.logs import Masker, configure_logging
from bot.settings import LOG_FILE_FIX, SOURCE, Settings, load_settings


class UsageError(Exception):
    """Bad usage or configuration: exit 2 after printing `lines`, one per problem."""

    def __init__(self, lines: str | Sequence[str]) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@dataclass
class Context:
    args: argparse.Namespace
    clock: Clock
    environ: Mapping[str, str]
    mask: Masker = field(default_factory=lambda: Masker(()))
    _settings: Settings | None = None
    _config: Config | None = None
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def on_exit(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` when the command ends, however it ends (e.g. closing a store)."""
        self._cleanups.append(cleanup)

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()

    @property
    def out(self) -> IO[str]:
        return sys.stdout

    @property
    def err(self) -> IO[str]:
        return sys.stderr

    @property
    def debug(self) -> bool:
        return bool(getattr(self.args, "debug", False))

    @property
    def loaded_settings(self) -> Settings | None:
        """The settings if a command has loaded them (error messages use them), else None."""
        return self._settings

    def settings(self) -> Settings:
        """Settings from the environment (raises ConfigError); logging follows them."""
        if self._settings is None:
            settings = load_settings(self.environ)
            override = getattr(self.args, "config", None)
            if override:
                settings = _with_config(settings, Path(override))
            try:
                self.mask = configure_logging(
                    fmt=settings.log_format,
                    file=settings.log_file,
                    secrets=settings.secrets(),
                    level="DEBUG" if self.debug else "INFO",
                )
            except OSError as exc:
                # The folder check in load_settings cannot foresee every refusal (/proc, a
                # read-only mount, root on a full disk): report it the same way.
                raise ConfigError([log_file_problem(settings, exc)]) from None
            self._settings = settings
            logger.debug("settings: {!r}", settings)
        return self._settings

    def config_path(self) -> Path:
        return self.settings().config_path

    def config(self) -> Config:
        """The validated config file (raises ConfigError with every problem)."""
        if self._config is None:
            self._config = load_config(self.config_path())
        return self._config


def log_file_problem(settings: Settings, exc: OSError) -> Problem:
    reason = exc.strerror or type(exc).__name__
    where = (
        f" ({exc.filename})" if exc.filename and str(exc.filename) != str(settings.log_file) else ""
    )
    return Problem(
        file=SOURCE,
        key="CONTESTBOT_LOG_FILE",
        value=str(settings.log_file),
        issue=f"cannot be opened for writing: {reason}{where}",
        fix=LOG_FILE_FIX,
    )


def _with_config(settings: Settings, path: Path) -> Settings:
    return replace(settings, config_path=path)
