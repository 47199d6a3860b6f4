"""memberkit gifts ...: gift stock, count reconciliation and posting (SPEC 5.6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import (
    MAX_COUNT,
    DbOption,
    WaitOption,
    err,
    report_connection,
    reports_errors,
)
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
    emit,
    period_report,
    run_report,
)
from memberkit.errors import EXIT_GIFT_VARIANCE
from memberkit.periods import Scope

app = typer.Typer(
    help="Gift stock: ledger, counts and reconciliation (礼品管理).",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, like the main command's (start-up time)
)

Location = Annotated[str | None, typer.Option("--location", help="HQ or a store id.")]


def _show(
    con, report, name: str, fmt: OutputFormat, output: Path | None, lang: Lang, limit: int | None
) -> None:
    workbook = None
    if fmt is OutputFormat.xlsx:
        check_xlsx_output(fmt, output)
        from memberkit.render.excel import Sheet
        from memberkit.render.workbooks import workbook_info
        from memberkit.reports import data_through

        workbook = (Sheet(report, name), workbook_info(data_through(con)))
    emit(report, name, fmt, output, lang, workbook=workbook, quiet=True, limit=limit)


@app.command("stock")
@reports_errors
def stock(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Default: today.")] = None,
    location: Location = None,
    limit: Limit = None,
    format: FormatOption = OutputFormat.table,
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


@app.command("issues")
@reports_errors
@period_report
def issues(request: Request) -> None:
    """赠品发放登记: gifts handed out per store and gift, with the members who got them."""

    run_report(request, "gift-issues")


@app.command("count-sheet")
@reports_errors
def count_sheet(
    ctx: typer.Context,
    location: Annotated[str, typer.Option("--location", help="HQ or a store id.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx to write.")],
    count_date: Annotated[str | None, typer.Option("--date", help="Default: today.")] = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """门店/总仓礼品盘点表: a blind count sheet to fill in and load back with `load gift-counts`."""
    from memberkit.render.workbooks import count_sheet as write_sheet
    from memberkit.reports import gifts

    day = day_option(count_date, "--date") or date.today()
    with report_connection(ctx, db_path, wait) as con:
        held = gifts.gifts_held(con, location, day)
    write_sheet(output, location, day, held, lang.value)
    err.print(f"count sheet for {location} on {day}: {len(held)} gifts -> {output}", markup=False)


@app.command("reconcile")
@reports_errors
def reconcile(
    ctx: typer.Context,
    location: Location = None,
    count_date: Annotated[
        str | None, typer.Option("--date", help="Count date (default: each location's latest).")
    ] = None,
    tolerance: Annotated[
        int, typer.Option(min=0, max=MAX_COUNT, help="|variance| up to this is a match.")
    ] = 0,
    summary: Annotated[bool, typer.Option("--summary", help="One row per location.")] = False,
    fail_on_variance: Annotated[
        bool, typer.Option("--fail-on-variance", help="Exit 5 if any line is not a match.")
    ] = False,
    post: Annotated[
        bool, typer.Option("--post", help="Record adjust moves so the book equals the count.")
    ] = False,
    limit: Limit = None,
    format: FormatOption = OutputFormat.table,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """盘点表 / 盘点汇总表: counted against book stock at the count date."""
    from memberkit.reports import catalogue, gifts

    options = catalogue.GiftReconcileOptions(day_option(count_date, "--date"), location, tolerance)
    with report_connection(ctx, db_path, wait, read_only=not post) as con:
        report = catalogue.run(con, "gift-reconcile", None, Scope(), options)
        shown = gifts.summary(report) if summary else report
        name = "gift-summary" if summary else "gift-reconcile"
        _show(con, shown, name, format, output, lang, limit)
        off = gifts.variances(report)
        if post:
            posted = gifts.post(con, report)
            err.print(f"posted {posted} adjustment(s) so the book equals the count", markup=False)
    if fail_on_variance and off:
        err.print(f"memberkit: {len(off)} count line(s) do not match the book", markup=False)
        raise typer.Exit(EXIT_GIFT_VARIANCE)
