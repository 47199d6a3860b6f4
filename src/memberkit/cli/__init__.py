"""The command line: thin Typer modules that parse options and call library functions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memberkit import __version__
from memberkit.cli import (
    callbacks,
    check,
    complaints,
    gifts,
    info,
    load,
    members,
    reports,
    risk,
    sample,
)
from memberkit.cli.common import RootDbOption
from memberkit.errors import option_style

app = typer.Typer(
    name="memberkit",
    help="Member and POS ticket analytics for a retail chain's head office.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help, as click prints it: Rich's help formatter alone costs a third of the
    # start-up time (`memberkit --help` must stay under 0.3 s).
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"memberkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    db: RootDbOption = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = {"db": db}
    # the library's messages name options as flags while a command runs, and as keywords again
    # after it (the Python API may run in the same process)
    spelling = option_style.set("flag")
    ctx.call_on_close(lambda: option_style.reset(spelling))


app.command("load")(load.load)
app.command("info")(info.info)
app.command("check")(check.check)
app.command("sample-data")(sample.sample_data)
app.command("spend-bands")(reports.spend_bands)
app.command("demographics")(reports.demographics)
app.command("spending-power")(reports.spending_power)
app.command("churn")(reports.churn)
app.command("report")(reports.report)
app.command("expiring")(reports.expiring)
app.command("complaints")(complaints.complaints)
app.command("callbacks")(callbacks.callbacks)
app.command("new-members")(members.new_members)
app.command("grades")(members.grades)
app.command("churn-risk")(risk.churn_risk)
app.add_typer(gifts.app, name="gifts")


def main() -> None:
    app()


__all__ = ["app", "main", "Path"]
