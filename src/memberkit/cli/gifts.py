"""memberkit gifts ...: gift stock, count reconciliation and posting (SPEC 5.6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import (
    MAX_COUNT,
    Command,
    DbOption,
    Group,
    WaitOption,
    err,
    report_connection,
    reports_errors,
    say_empty_tables,
)
from memberkit.cli.engine import refuse_spark
from memberkit.cli.framework import (
    FormatOption,
    Lang,
    LangOption,
    Limit,
    Output,
    OutputFormat,
    Request,
    check_xlsx_output,
    day_option,
    emit_files,
    period_report,
    run_report,
)
from memberkit.cli.outputs import (
    STORE,
    choose_format,
    expect_extension,
    month_of,
    with_month,
)
from memberkit.errors import EXIT_GIFT_VARIANCE, counted, printable
from memberkit.periods import Scope

app = typer.Typer(
    help="Gift stock: ledger, counts and reconciliation (礼品管理).",
    no_args_is_help=True,
    cls=Group,
    rich_markup_mode=None,  # plain help, like the main command's (start-up time)
)

Location = Annotated[
    str | None, typer.Option("--location", metavar="LOCATION", help="HQ or a store id.")
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="The day (default: today).")
]
Summary = Annotated[bool, typer.Option("--summary", help="One row per location.")]


def _show(
    con,
    report,
    name: str,
    fmt: OutputFormat | None,
    output: Path | None,
    lang: Lang,
    limit: int | None,
) -> None:
    """The report in the terminal or in --output ({month}: the month of its day)."""
    fmt = choose_format(fmt, output)
    output = with_month(output, month_of(report.period.end))
    check_xlsx_output(fmt, output)
    info = None
    if fmt is OutputFormat.xlsx:
        from memberkit.render.workbooks import workbook_info
        from memberkit.reports import data_through

        info = workbook_info(data_through(con))
    emit_files(report, name, fmt, output, lang, info=info, quiet=True, limit=limit)


@app.command("stock", cls=Command)
@reports_errors
def stock(
    ctx: typer.Context,
    as_of: AsOf = None,
    location: Location = None,
    limit: Limit = None,
    format: FormatOption = None,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """门店/总仓礼品库存表: opening, in, out, issued, adjusted and closing per gift."""
    from memberkit.reports import catalogue

    options = catalogue.GiftStockOptions(day_option(as_of) or date.today(), location)
    with report_connection(ctx, db_path, wait) as con:
        report = catalogue.run(con, "gift-stock", None, Scope(), options)
        _show(con, report, "gift-stock", format, output, lang, limit)


@app.command("requests", cls=Command)
@reports_errors
def requests(
    ctx: typer.Context,
    as_of: AsOf = None,
    location: Location = None,
    summary: Summary = False,
    limit: Limit = None,
    format: FormatOption = None,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """礼品申请审批表: each request as known on the day, delivered, outstanding and status."""
    from memberkit.reports import catalogue

    name = "gift-requests-summary" if summary else "gift-requests"
    options = catalogue.GiftRequestsOptions(day_option(as_of) or date.today(), location)
    with report_connection(ctx, db_path, wait) as con:
        report = catalogue.run(con, name, None, Scope(), options)
        say_empty_tables(con, catalogue.entry(name).needs)
        _show(con, report, name, format, output, lang, limit)


@app.command("issues", cls=Command)
@reports_errors
@period_report
def issues(request: Request) -> None:
    """赠品发放登记: gifts handed out per store and gift, with the members who got them."""

    run_report(request, "gift-issues")


@app.command("count-sheet", cls=Command)
@reports_errors
def count_sheet(
    ctx: typer.Context,
    location: Annotated[
        str, typer.Option("--location", metavar="LOCATION", help="HQ or a store id.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.xlsx",
            help="The workbook to write; {month} and {store} stand for the month and location.",
        ),
    ],
    count_date: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="The count date (default: today)."),
    ] = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """门店/总仓礼品盘点表: a blind count sheet to fill in and load back with `load gift-counts`."""
    from memberkit.render.workbooks import count_sheet as write_sheet
    from memberkit.render.workbooks import safe_filestore_part
    from memberkit.reports import gifts

    expect_extension(output, OutputFormat.xlsx)
    day = day_option(count_date, "--date") or date.today()
    output = with_month(output, month_of(day))
    output = Path(str(output).replace(STORE, safe_filestore_part(location)))
    with report_connection(ctx, db_path, wait) as con:
        held = gifts.gifts_held(con, location, day)
    write_sheet(output, location, day, held, lang.value)
    err.print(
        f"count sheet for {location} on {day}: {counted(len(held), 'gift')} -> {output}",
        markup=False,
    )


@app.command("reconcile", cls=Command)
@reports_errors
def reconcile(
    ctx: typer.Context,
    location: Location = None,
    count_date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Count date (default: each location's latest).",
        ),
    ] = None,
    tolerance: Annotated[
        int,
        typer.Option(min=0, max=MAX_COUNT, metavar="QTY", help="|variance| up to this is a match."),
    ] = 0,
    summary: Summary = False,
    fail_on_variance: Annotated[
        bool, typer.Option("--fail-on-variance", help="Exit 5 if any line is not a match.")
    ] = False,
    post: Annotated[
        bool,
        typer.Option(
            "--post", help="Record adjust moves so the book equals the count, and list them."
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List the adjustments --post would record; record none."),
    ] = False,
    limit: Limit = None,
    format: FormatOption = None,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """盘点表 / 盘点汇总表: counted against book stock at the count date."""
    from memberkit.reports import catalogue, gifts

    options = catalogue.GiftReconcileOptions(day_option(count_date, "--date"), location, tolerance)
    writes = post and not dry_run
    if writes:
        refuse_spark(ctx, "gifts reconcile --post")
    with report_connection(ctx, db_path, wait, read_only=not writes) as con:
        report = catalogue.run(con, "gift-reconcile", None, Scope(), options)
        shown = gifts.summary(report) if summary else report
        name = "gift-summary" if summary else "gift-reconcile"
        _show(con, shown, name, format, output, lang, limit)
        off = gifts.variances(report)
        adjustments = gifts.adjustments(report)
        if writes:
            gifts.post(con, report)
    if post or dry_run:
        _say_adjustments(adjustments, posted=writes)
    if fail_on_variance and off:
        err.print(f"memberkit: {len(off)} count line(s) do not match the book", markup=False)
        raise typer.Exit(EXIT_GIFT_VARIANCE)


def _say_adjustments(rows: list[dict], *, posted: bool) -> None:
    """What --post recorded (or, with --dry-run, would record): one line per adjust move, on
    stderr beside the table, which shows the lines as they were before posting."""
    said = "posted" if posted else "--dry-run: would post"
    if not rows:
        err.print(
            f"{said} 0 adjustments: every counted gift's book already equals its count",
            markup=False,
        )
        return
    err.print(
        f"{said} {counted(len(rows), 'adjustment')} so the book equals the count:", markup=False
    )
    for row in rows:
        name = f" {printable(row['gift_name'])}" if row.get("gift_name") else ""
        err.print(
            f"  {printable(row['location'])} {row['count_date']} "
            f"{printable(row['gift_id'])}{name}: adjust {row['variance']:+,} "
            f"(book {row['book_qty']:,} -> counted {row['counted_qty']:,})",
            markup=False,
        )
    if not posted:
        err.print("nothing was posted; run with --post alone to post them", markup=False)
