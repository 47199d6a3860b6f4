"""memberkit export parquet DIR: the database as a Parquet lake for Spark (SPEC 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import (
    Command,
    DbOption,
    Group,
    WaitOption,
    err,
    open_database,
    reports_errors,
)
from memberkit.cli.engine import refuse_spark
from memberkit.errors import counted

app = typer.Typer(
    help="Publish the database for other tools: export parquet DIR.",
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=Group,
)


@app.command("parquet", cls=Command)
@reports_errors
def parquet(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="The lake's folder (a new or empty one).")
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Write over a lake already at DIR.")
    ] = False,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """Write every table as Parquet for Spark: tickets, ticket lines and summaries by month.

    transactions, ticket_lines and ticket_months are split by month, Hive-style
    (DIR/transactions/month=2026-10/...); every other table is a folder of its own.
    DIR/_memberkit.json records the schema version, each table's rows and months and how far
    the data reaches. The lake is written beside DIR and renamed when complete, so an
    interrupted export leaves no half lake; it holds names and phones like the database, so
    it is readable by its owner only. Then: `memberkit --engine spark --lake DIR REPORT`."""
    from memberkit.lake import export_parquet

    refuse_spark(ctx, "export")

    def said(name: str, entry: dict) -> None:
        months = (
            f" in {counted(len(entry['months']), 'month')}" if entry.get("partitioned_by") else ""
        )
        err.print(f"  {name}: {counted(entry['rows'], 'row')}{months}", markup=False)

    con = open_database(ctx, db_path, wait, read_only=True)
    try:
        manifest = export_parquet(con, directory, replace=replace, on_table=said)
    finally:
        con.close()
    tickets = manifest["tables"]["transactions"]
    err.print(
        f"exported {counted(len(manifest['tables']), 'table')} "
        f"({counted(tickets['rows'], 'ticket')} in {counted(len(tickets['months']), 'month')}, "
        f"data through {manifest['data_through'] or '—'}) -> {directory}",
        markup=False,
    )
