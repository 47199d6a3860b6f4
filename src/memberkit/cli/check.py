"""memberkit check: after a crash, a killed job or a full disk, say what holds and what not."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from memberkit.cli.common import (
    DbOption,
    TableOrJson,
    WaitOption,
    chosen_db,
    fail,
    out,
    reports_errors,
    say_waiting,
)
from memberkit.cli.engine import refuse_spark
from memberkit.errors import EXIT_UNEXPECTED, counted


@reports_errors
def check(
    ctx: typer.Context,
    format: Annotated[
        TableOrJson, typer.Option("--format", "-f", help="A table, or JSON for scripts.")
    ] = TableOrJson.table,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """Verify the database's invariants: after a crash, a killed load or a full disk.

    Checks the schema version; that no load was left half-done; that the load_ids sequence
    is ahead of every load; that each load's ledger adds up (read = loaded + duplicate +
    rejected) and the rejects table holds its rejected rows; that no key is held twice in
    any table (gift moves: no key with a ref by two loads, since every row of a file is a
    movement); that each kind's rows agree with its loads (members with members_history);
    that ticket_stores lists exactly the stores on tickets; that every member id on a
    ticket has one key (member_keys); and that the ticket summaries (ticket_months) equal
    their recomputation from the tickets, row for row. Stores on tickets missing from the
    stores table are a warning.

    The database is opened read-only and left exactly as found. A load that was killed
    half-way is reported (a failure) with its file and start time; its rows are taken out
    the next time another memberkit command opens the database (any load, report or info
    does), after which that file must be loaded again. The other checks look at the
    database as it will be then, so one killed load is reported once.

    Exit 0 when every check passes or only warns; 1 when any check fails (the exit code of
    an unexpected error); 2 if there is no database; 4 if a load holds it (see --wait)."""
    from memberkit import db
    from memberkit.checks import all_ok, run_checks

    refuse_spark(ctx, "check")
    path = chosen_db(ctx, db_path)
    con = db.connect_as_is(path, wait, on_wait=say_waiting)
    try:
        results = run_checks(con)
    finally:
        con.close()
    ok = all_ok(results)
    if format is TableOrJson.json:
        doc = {"report": "check", "checks": [r.as_dict() for r in results], "ok": ok}
        out.print_json(json.dumps(doc, ensure_ascii=False))
    else:
        _print(results)
    failed = [r.name for r in results if r.status == "fail"]
    if failed:
        raise fail(
            f"{path}: {counted(len(failed), 'check')} failed: {', '.join(failed)}",
            EXIT_UNEXPECTED,
        )


def _print(results) -> None:
    from rich.table import Table  # rich is imported only when a table is printed
    from rich.text import Text

    table = Table(title="Checks", title_justify="left")
    table.add_column("check")
    table.add_column("status")
    table.add_column("count", justify="right")
    table.add_column("detail", overflow="fold")
    style = {"pass": "green", "warn": "yellow", "fail": "bold red"}
    for r in results:
        # file names and store ids come from outside: Text, never markup
        table.add_row(r.name, Text(r.status, style[r.status]), f"{r.count:,}", Text(r.detail))
    out.print(table)
    warned = sum(r.status == "warn" for r in results)
    failed = sum(r.status == "fail" for r in results)
    if failed:
        summary = f"{failed} of {len(results)} checks failed"
    else:
        summary = f"all {len(results)} checks passed" + (
            f" ({warned} with a warning)" if warned else ""
        )
    out.print(summary, markup=False)
