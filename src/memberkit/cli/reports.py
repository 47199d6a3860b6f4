"""The handbook's analyses: spend-bands, demographics, spending-power, churn; the monthly
workbook (report) and the expiring-members list."""

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
    say_empty_tables,
)
from memberkit.cli.framework import (
    ByOption,
    FormatOption,
    Lang,
    LangOption,
    Limit,
    Month,
    Output,
    OutputFormat,
    Region,
    Request,
    Store,
    Year,
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
    store_files,
    with_month,
)
from memberkit.errors import UsageError, counted
from memberkit.periods import Scope, choose_period, choose_scope
from memberkit.reports import analyses, catalogue
from memberkit.reports.options import MAX_DAYS, age_edges, money_edges


@reports_errors
def report(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.xlsx",
            help="The workbook to write; {month} stands for the period, {store} writes one "
            "workbook per store.",
        ),
    ],
    month: Month = None,
    year: Year = None,
    store: Store = None,
    region: Region = None,
    by: ByOption = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """The monthly workbook: a cover, one sheet per analysis and a per-store breakdown."""
    from memberkit.render.workbooks import monthly_workbook, workbook_info
    from memberkit.reports import check_scope
    from memberkit.reports.monthly import MONTHLY_NEEDS, monthly_reports
    from memberkit.reports.stores import resolve_scope, store_ids

    expect_extension(output, OutputFormat.xlsx)
    period = choose_period(month, year, date.today())
    output = with_month(output, period)
    scope = choose_scope(store, region, by.value if by else None)
    with report_connection(ctx, db_path, wait) as con:
        scope = resolve_scope(con, scope)
        check_scope(con, scope)
        if STORE not in str(output):
            scopes = {output: scope}
        elif scope.store is None and scope.by != "store":
            raise UsageError(f"{STORE} in --output writes one workbook per store: add --by store")
        else:  # one store's workbook for each store of the scope
            from memberkit.render.workbooks import safe_filestore_part

            ids = [scope.store] if scope.store else store_ids(con, scope.region)
            scopes = {
                Path(str(output).replace(STORE, safe_filestore_part(s))): Scope(store=s)
                for s in ids
            }
        for path, one in scopes.items():
            monthly = monthly_reports(con, period, one)
            say_empty_tables(con, MONTHLY_NEEDS, one.by)
            info = workbook_info(monthly.data_through)
            sheets = monthly_workbook(monthly, lang.value, path, info)
            err.print(f"report {period.label}: {len(sheets) + 1} sheets -> {path}", markup=False)


@reports_errors
def expiring(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="YYYY-MM-DD", help="The day to count up to (default: today)."
        ),
    ] = None,
    month: Annotated[
        str | None,
        typer.Option("--month", metavar="YYYY-MM", help="Expiry month (default: the next)."),
    ] = None,
    store: Store = None,
    region: Region = None,
    min_visits: Annotated[
        int, typer.Option(min=0, max=MAX_COUNT, metavar="N", help="Visits that earn the waiver.")
    ] = 3,
    min_spend: Annotated[
        float, typer.Option(min=0, metavar="YUAN", help="Net spend that earns it.")
    ] = 1000,
    limit: Limit = None,
    split_by_store: Annotated[
        Path | None,
        typer.Option(
            "--split-by-store", metavar="FOLDER", help="Also write one workbook per store here."
        ),
    ] = None,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
    ] = False,
    format: FormatOption = None,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """到期会员名单: members whose card expires next month without the fee waiver (cron: 5th)."""
    from memberkit.periods import parse_month
    from memberkit.reports.expiring import month_after, store_names

    format = choose_format(format, output)
    day = day_option(as_of) or date.today()
    period = parse_month(month) if month is not None else month_after(day)
    output, split_by_store = with_month(output, period), with_month(split_by_store, period)
    check_xlsx_output(format, output)
    scope = choose_scope(store, region, None)
    from memberkit.render.workbooks import workbook_info
    from memberkit.reports import data_through

    with report_connection(ctx, db_path, wait) as con:
        options = catalogue.ExpiringOptions(day, min_visits, min_spend)
        report = catalogue.run(con, "expiring", period, scope, options)
        say_empty_tables(con, catalogue.entry("expiring").needs)
        names = store_names(con)
        info = workbook_info(data_through(con))
    stores = len({row["store_id"] for row in report.rows})
    if format is OutputFormat.xlsx:
        from memberkit.render.workbooks import expiring_workbook

        written = store_files(report, "expiring", output)
        for path, part in written:
            expiring_workbook(part, path, lang.value, info, names)
        written = [path for path, _ in written]
    else:
        written = emit_files(
            report,
            "expiring",
            format,
            output,
            lang,
            show_phone=show_phone,
            quiet=True,
            limit=limit,
        )
    if split_by_store is not None:
        from memberkit.render.workbooks import split_expiring

        written = split_expiring(report, split_by_store, lang.value, info, names)
        err.print(f"{counted(len(written), 'workbook')} -> {split_by_store}", markup=False)
    target = f" -> {output}" if output else ""
    if output is not None and STORE in str(output):
        target = f" -> {counted(len(written), 'file')} {output}"
    err.print(
        f"{period.label}: {counted(len(report.rows), 'member')} in {counted(stores, 'store')}"
        f"{target}",
        markup=False,
    )


@reports_errors
@period_report
def spend_bands(
    request: Request,
    bands: Annotated[
        str, typer.Option(metavar="EDGES", help="Band edges in yuan, ascending.")
    ] = "100,300,500,1000",
) -> None:
    """会员消费水平分析: members on file, active members and their net spend bands."""
    edges = money_edges(bands, "--bands", "100,300,500,1000")
    run_report(request, "spend-bands", catalogue.SpendBandsOptions(tuple(edges)))


@reports_errors
@period_report
def demographics(
    request: Request,
    age_bands: Annotated[
        str, typer.Option(metavar="EDGES", help="Age band edges in years, ascending.")
    ] = "20,30,40",
) -> None:
    """消费会员性别年龄分析: gender and age of the period's active members."""
    edges = age_edges(age_bands, "--age-bands", "20,30,40")
    run_report(request, "demographics", catalogue.DemographicsOptions(tuple(edges)))


@reports_errors
@period_report
def spending_power(request: Request) -> None:
    """会员消费力分析: sales, member sales, basket, tickets, frequency, attach rate, YoY/MoM."""
    run_report(request, "spending-power")


@reports_errors
@period_report
def churn(
    request: Request,
    inactive_days: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_DAYS,
            metavar="DAYS",
            help="Days without a ticket after which a member is lapsed.",
        ),
    ] = analyses.DEFAULT_INACTIVE_DAYS,
    list_members: Annotated[
        bool, typer.Option("--list", help="The call-back list of lapsed members instead.")
    ] = False,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
    ] = False,
    risk: Annotated[
        bool,
        typer.Option(
            "--risk",
            help="With --list: add the churn-risk model's figures; order by value at risk.",
        ),
    ] = False,
    limit: Limit = None,
) -> None:
    """会员流失分析: base, lapsed, newly lapsed and returned members; --list to call them."""
    if risk and not list_members:
        raise UsageError("--risk orders the call-back list: use it with --list")
    if limit is not None and not list_members:
        raise UsageError("--limit shortens the call-back list: use it with --list")
    if list_members:
        if request.by is not None:
            raise UsageError("--list gives one list; leave out --by")
        options = catalogue.ChurnOptions(inactive_days)
        name = "churn-list-risk" if risk else "churn-list"
        run_report(request, name, options, show_phone, limit=limit)
        return
    run_report(request, "churn", catalogue.ChurnOptions(inactive_days))
