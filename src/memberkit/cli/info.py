"""memberkit info: what the database holds."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from memberkit.cli.common import (
    MAX_COUNT,
    DbOption,
    TableOrJson,
    WaitOption,
    err,
    open_database,
    out,
    reports_errors,
)
from memberkit.cli.engine import engine_of
from memberkit.errors import InputRejected, UsageError, counted, printable


@reports_errors
def info(
    ctx: typer.Context,
    format: Annotated[
        TableOrJson, typer.Option("--format", "-f", help="A table, or JSON for scripts.")
    ] = TableOrJson.table,
    loads: Annotated[
        int,
        typer.Option(min=1, max=MAX_COUNT, metavar="N", help="How many recent loads to list."),
    ] = 10,
    stores: Annotated[
        bool,
        typer.Option(
            "--stores",
            help="List the stores instead: id, name, region, members and tickets (what "
            "--store takes).",
        ),
    ] = False,
    lake: Annotated[
        str | None,
        typer.Option(
            "--lake",
            metavar="DIR",
            help="Describe a lake written by `export parquet` instead, its files checked "
            "against its manifest (exit 3 if they disagree).",
        ),
    ] = None,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """Show tables and row counts, date ranges, stores, loose ends and the last loads."""
    from memberkit.inventory import database_info
    from memberkit.reports.stores import store_list

    engine = engine_of(ctx)
    if lake is None and engine.spark:
        if engine.tables is not None or engine.lake is None:
            raise UsageError(
                "info describes the database or a lake, not warehouse tables (--tables)",
                hint="`memberkit info --lake DIR`, or info without --engine spark",
            )
        lake = engine.lake
    if lake is not None:
        if stores:
            raise UsageError("--stores lists the database's stores; leave out --lake")
        _lake_info(lake, format)
        return
    con = open_database(ctx, db_path, wait, read_only=True)
    try:
        if stores:
            listed = store_list(con)
        else:
            facts = database_info(con, last_loads=loads)
    finally:
        con.close()
    if stores:
        if format is TableOrJson.json:
            out.print_json(json.dumps({"stores": listed}, ensure_ascii=False))
        else:
            _print_stores(listed)
        return
    if format is TableOrJson.json:
        out.print_json(json.dumps(facts, default=str, ensure_ascii=False))
        return
    _print(facts)


def _lake_info(lake: str, format: TableOrJson) -> None:
    """The lake's tables, rows and months as its files hold them; exit 3 naming every way
    they disagree with its manifest."""
    from memberkit.lake_check import check_lake

    facts = check_lake(lake)
    if format is TableOrJson.json:
        out.print_json(json.dumps(facts, ensure_ascii=False))
    else:
        _print_lake(facts)
    if facts["problems"]:
        for problem in facts["problems"]:
            err.print(f"memberkit: {problem}", markup=False)
        count = len(facts["problems"])
        raise InputRejected(
            f"the lake {lake} does not match its manifest ({counted(count, 'difference')})",
            hint="export it again: `memberkit export parquet DIR --replace`",
        )


def _print_lake(facts: dict) -> None:
    from rich.table import Table

    table = Table(title=f"Lake {printable(facts['lake'])}", title_justify="left")
    for name, justify in (("table", "left"), ("rows", "right"), ("months", "left")):
        table.add_column(name, justify=justify)
    for name, found in facts["tables"].items():
        months = sorted(found["months"])
        shown = f"{months[0]} to {months[-1]} ({len(months)})" if months else ""
        table.add_row(name, f"{found['rows']:,}", shown)
    out.print(table)
    out.print(
        f"data through {facts['data_through'] or '—'}; written {facts['written_at']} by "
        f"memberkit {facts['memberkit_version']} (schema {facts['schema_version']}); "
        + ("files match the manifest" if not facts["problems"] else "files DIFFER from it"),
        markup=False,
    )


_SHOWN = 20  # store ids named on the line (-f json lists them all)


def _some(ids: list[str]) -> str:
    """'none', or the first store ids and how many more: a line-level export of a large chain
    (the Complete Journey has 457 stores) named every one on a single line."""
    if not ids:
        return "none"
    more = f" and {len(ids) - _SHOWN:,} more (-f json lists them)" if len(ids) > _SHOWN else ""
    return printable(", ".join(ids[:_SHOWN])) + more


def _print(facts: dict) -> None:
    from rich.table import Table  # rich is imported only when a table is printed
    from rich.text import Text

    rows = Table(title="Tables", title_justify="left")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for table, count in facts["rows"].items():
        rows.add_row(table, f"{count:,}")
    out.print(rows)

    t, m = facts["tickets"], facts["members"]
    u, s = facts["unknown_member_tickets"], facts["stores"]
    lines = [
        f"tickets: {t['first_date'] or '—'} to {t['last_date'] or '—'}; "
        f"{counted(t['tickets'] or 0, 'ticket')} "
        f"({counted(t['member_tickets'] or 0, 'member ticket')}), "
        f"{counted(t['refunds'] or 0, 'refund')}, "
        f"{counted(t['zero_amount'] or 0, 'zero-amount row')}, "
        f"{counted(t['stores_with_tickets'], 'store')}",
        _lines_line(t["lines"], t["from_lines"], facts["rows"]["transactions"]),
        f"members: joined {m['first_join'] or '—'} to {m['last_join'] or '—'}; "
        f"{m['without_tickets'] or 0:,} without tickets, "
        f"{m['without_expiry'] or 0:,} without expiry date",
        f"tickets with an unknown member id: {u['tickets']:,} "
        f"({counted(u['member_ids'], 'member id')})",
        f"stores: {s['stores']:,} in {counted(s['regions'], 'region')} (`info --stores` lists "
        "them); "
        f"store ids without a store row: {_some(s['unknown'])}",
    ]
    for line in lines:
        out.print(line, markup=False)

    loads = Table(title="Last loads", title_justify="left")
    for name in (
        "load",
        "kind",
        "file",
        "status",
        "read",
        "loaded",
        "replaced",
        "duplicate",
        "rejected",
        "encoding",
        "finished",
    ):
        loads.add_column(
            name,
            justify="right"
            if name in ("load", "read", "loaded", "replaced", "duplicate", "rejected")
            else "left",
        )
    for row in facts["last_loads"]:
        loads.add_row(
            str(row["load_id"]),
            row["kind"],
            # ledger rows from before names were escaped; a Text, never markup ('[vip].csv')
            Text(printable(row["file_name"])),
            row["status"],
            f"{row['rows_read']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_replaced']:,}",
            f"{row['rows_duplicate']:,}",
            f"{row['rows_rejected']:,}",
            row["encoding"],
            f"{row['finished_at']:%Y-%m-%d %H:%M}",
        )
    out.print(loads)


def _lines_line(lines: int, from_lines: int, ticket_rows: int) -> str:
    """How many ticket lines there are and how many transactions rows they make up (refunds
    included: each ticket of a line file is one of them)."""
    if not lines:
        return "ticket lines: none loaded"
    rows = (
        f"all {counted(ticket_rows, 'transactions row')}"
        if from_lines == ticket_rows
        else f"{from_lines:,} of the {ticket_rows:,} transactions rows (the other "
        f"{ticket_rows - from_lines:,} from ticket files)"
    )
    return f"ticket lines: {counted(lines, 'line')}, rolled up into {rows}"


def _print_stores(stores: list[dict]) -> None:
    """The stores as a table; ids only members or tickets name are marked as such."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Stores ({len(stores):,})", title_justify="left")
    for name, justify in (
        ("store", "left"),
        ("name", "left"),
        ("region", "left"),
        ("members", "right"),
        ("tickets", "right"),
    ):
        # an id or a count is never cut: the name and region give way
        table.add_column(name, justify=justify, no_wrap=name in ("store", "members", "tickets"))
    for row in stores:
        table.add_row(
            Text(printable(row["store_id"])),  # from data: never markup
            Text(printable(row["store_name"] or ""))
            if row["region"] or row["store_name"]
            else Text("(not in the stores table)", style="dim"),
            Text(printable(row["region"] or "")),
            f"{row['members']:,}",
            f"{row['tickets']:,}",
        )
    out.print(table)
