"""The command line: thin Typer modules that parse options and call library functions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memberkit import __version__
from memberkit.cli import (
    callback_review,
    callbacks,
    check,
    complaints,
    export,
    gifts,
    info,
    load,
    members,
    reports,
    risk,
    sample,
    satisfaction,
)
from memberkit.cli.common import Command, Group, RootDbOption, fail
from memberkit.cli.engine import (
    EngineName,
    EngineOption,
    LakeOption,
    SparkConfOption,
    SparkMasterOption,
    SparkRemoteOption,
    TablesOption,
    chosen_engine,
)
from memberkit.errors import MemberkitError, option_style

app = typer.Typer(
    name="memberkit",
    help="Member and POS ticket analytics for a retail chain's head office.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help, as click prints it: Rich's help formatter alone costs a third of the
    # start-up time (`memberkit --help` must stay under 0.3 s).
    rich_markup_mode=None,
    cls=Group,
    # --install-completion / --show-completion: bash, zsh, fish and PowerShell complete
    # commands, options and choices
    add_completion=True,
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
    engine: EngineOption = EngineName.duckdb,
    spark_master: SparkMasterOption = None,
    spark_remote: SparkRemoteOption = None,
    lake: LakeOption = None,
    tables: TablesOption = None,
    spark_conf: SparkConfOption = None,
) -> None:
    try:
        chosen = chosen_engine(
            ctx,
            name=engine,
            spark_master=spark_master,
            spark_remote=spark_remote,
            lake=lake,
            tables=tables,
            spark_conf=spark_conf,
        )
    except MemberkitError as exc:
        raise fail(exc.message, exc.exit_code, exc.hint) from None
    ctx.obj = {"db": db, "engine": chosen}
    # the library's messages name options as flags while a command runs, and as keywords again
    # after it (the Python API may run in the same process)
    spelling = option_style.set("flag")
    ctx.call_on_close(lambda: option_style.reset(spelling))


app.command("load", cls=Command)(load.load)
app.command("info", cls=Command)(info.info)
app.command("check", cls=Command)(check.check)
app.command("sample-data", cls=Command)(sample.sample_data)
app.command("spend-bands", cls=Command)(reports.spend_bands)
app.command("demographics", cls=Command)(reports.demographics)
app.command("spending-power", cls=Command)(reports.spending_power)
app.command("churn", cls=Command)(reports.churn)
app.command("report", cls=Command)(reports.report)
app.command("expiring", cls=Command)(reports.expiring)
app.command("complaints", cls=Command)(complaints.complaints)
app.command("callbacks", cls=Command)(callbacks.callbacks)
app.command("callback-review", cls=Command)(callback_review.callback_review)
app.command("new-members", cls=Command)(members.new_members)
app.command("grades", cls=Command)(members.grades)
app.command("churn-risk", cls=Command)(risk.churn_risk)
app.command("satisfaction", cls=Command)(satisfaction.satisfaction)
app.add_typer(gifts.app, name="gifts")
app.add_typer(export.app, name="export")


def main() -> None:
    app()


__all__ = ["app", "main", "Path"]
