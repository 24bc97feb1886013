"""Every command and option documents itself (sqlite-utils' test_docs style), and the README
lists every command."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli.main import build_parser, main


def all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        found.append((prefix, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(f"{prefix} {name}".strip(), sub)

    walk("", build_parser())
    return found


COMMANDS = [name for name, _ in all_parsers() if name]


def test_the_expected_commands_exist() -> None:
    assert set(COMMANDS) >= {
        "run",
        "demo",
        "sandbox",
        "leaderboard",
        "competitions",
        "config",
        "config check",
        "db",
        "db upgrade",
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_text(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*command.split(), "--help"], environ={})
    out = capsys.readouterr().out
    assert code == 0
    assert f"usage: contestbot {command}" in out
    parser = dict(all_parsers())[command]
    assert parser.description, f"{command} has no description"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            assert action.help, f"{command}: the sub-command list has no help"
            for choice in action._choices_actions:
                assert choice.help, f"{command} {choice.dest} has no help"
        elif action.dest != "help":
            assert action.help, f"{command}: option {action.option_strings or action.dest}"


def test_top_level_options_have_help() -> None:
    parser = build_parser()
    for action in parser._actions:
        assert action.help, action.dest


@pytest.mark.parametrize(
    "command",
    ["run", "demo", "sandbox", "leaderboard", "competitions", "config check", "db upgrade"],
)
def test_the_readme_documents_every_command(command: str) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"contestbot {command}" in readme


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], environ={}) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_an_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["leaderboard", "x", "--top", "0"], environ={}) == 2
    assert "is below 1" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_config_and_debug_are_accepted_after_every_command(command: str) -> None:
    parser = dict(all_parsers())[command]
    options = {o for action in parser._actions for o in action.option_strings}
    assert {"--config", "--debug"} <= options


def test_an_option_after_the_command_does_not_reset_one_before_it() -> None:
    args = build_parser().parse_args(["--debug", "--config", "a.toml", "db", "upgrade"])
    assert (args.debug, args.config) == (True, "a.toml")
    args = build_parser().parse_args(["db", "upgrade", "--config", "b.toml"])
    assert (args.debug, args.config) == (False, "b.toml")
