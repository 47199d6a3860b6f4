"""Help a user reads: placeholders instead of Python types, whole command summaries, every
option explained, every load kind named, shell completion, choice errors in plain words."""

from __future__ import annotations

import inspect
import os
import re

import pytest
import typer
from typer.testing import CliRunner

from conftest import run_cli
from memberkit.cli import app
from memberkit.ingest.kinds import KINDS


def commands(command=None, path=()):
    """Every command and group, as the argv that reaches it."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


EVERY = list(commands())
IDS = [" ".join(path) or "memberkit" for path, _ in EVERY]
# what Typer shows for an option without a metavar: a Python type or a range of one
PYTHON_METAVAR = re.compile(r"<(str|int|float|path|list|bool|text|integer|tuple)\b[^>]*>")


def help_text(path, columns: int = 200) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0 and result.exception is None, result.output
    return result.output


def test_the_walk_reaches_every_command():
    names = {" ".join(p) for p, _ in EVERY}
    assert {"load", "info", "sample-data", "expiring", "churn-risk", "gifts reconcile"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(("path", "command"), EVERY, ids=IDS)
def test_help_shows_placeholders_not_python_types(path, command):
    text = help_text(path)
    assert not PYTHON_METAVAR.findall(text), PYTHON_METAVAR.findall(text)
    usage = text.splitlines()[0]
    assert "{" not in usage and "list[" not in usage, usage


@pytest.mark.parametrize(("path", "command"), EVERY, ids=IDS)
def test_every_option_and_argument_has_help(path, command):
    missing = [p.name for p in command.params if not getattr(p, "help", None)]
    assert not missing, f"{' '.join(path)}: {missing} without help"


def test_placeholders_say_what_to_type():
    assert "--month YYYY-MM" in help_text(["spend-bands"])
    assert "--year YYYY" in help_text(["spend-bands"])
    assert "-o, --output FILE" in help_text(["spend-bands"])
    assert "--as-of YYYY-MM-DD" in help_text(["expiring"])
    assert "--stores N" in help_text(["sample-data"])
    assert help_text(["load"]).splitlines()[0] == "Usage: memberkit load [OPTIONS] KIND FILE..."
    assert help_text(["sample-data"]).splitlines()[0].endswith("[OPTIONS] FOLDER")


def test_load_help_names_every_kind():
    text = " ".join(help_text(["load"], columns=80).split())
    assert len(KINDS) >= 8
    for kind in KINDS:
        assert kind in text


@pytest.mark.parametrize("columns", [80, 200])
def test_command_summaries_are_whole(columns):
    text = " ".join(help_text([], columns).split())
    for path, command in EVERY:
        if len(path) != 1:
            continue
        first = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
        assert first.endswith(".") and first in text, first
    assert "..." not in text.split("Commands:")[1]


def test_shell_completion_is_offered_and_completes_commands_and_choices():
    text = help_text([])
    assert "--install-completion" in text and "--show-completion" in text
    env = {**os.environ, "_MEMBERKIT_COMPLETE": "complete_bash"}
    for words, cword, expected in (
        ("memberkit spe", "1", {"spend-bands", "spending-power"}),
        ("memberkit spend-bands --format ", "3", {"table", "csv", "json", "xlsx"}),
        ("memberkit load ", "2", set(KINDS)),
    ):
        result = CliRunner().invoke(
            app,
            [],
            env={**env, "COMP_WORDS": words, "COMP_CWORD": cword},
            prog_name="memberkit",
        )
        assert set(result.output.split()) == expected, result.output


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [
        (["spend-bands", "--format", "xyz"], "'--format'", "'xyz'"),
        (["spend-bands", "--by", "town"], "'--by'", "'town'"),
        (["spend-bands", "--lang", "fr"], "'--lang'", "'fr'"),
        (["load", "memebrs", "x.csv"], "'KIND'", "'memebrs'"),
        (["gifts", "stock", "-f", "pdf"], "'--format'", "'pdf'"),
        (["info", "-f", "csv"], "'--format'", "'csv'"),
    ],
)
def test_choice_errors_name_the_option_and_the_choices_in_plain_words(args, option, value):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "Value error" not in result.output
    assert f"Invalid value for {option}" in result.output
    assert f"{value} is not one of" in result.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--end-month", "2026-13"), ("--lines-from", "1990-01"), ("--encoding", "gbk")],
)
def test_sample_data_errors_name_the_option_as_typed(tmp_path, option, value):
    result = run_cli("sample-data", tmp_path / "x", option, value)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"memberkit: {option} ") and repr(value) in result.stderr
    assert not (tmp_path / "x").exists()
