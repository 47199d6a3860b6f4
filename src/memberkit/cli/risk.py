"""`memberkit churn-risk` (SPEC 5.11): the BG/NBD model's fit and the members at risk."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import (
    DbOption,
    WaitOption,
    err,
    report_connection,
    reports_errors,
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
    Store,
    Year,
    check_xlsx_output,
    day_option,
    emit,
    emit_files,
)
from memberkit.cli.outputs import STORE, choose_format, month_of, store_files, with_month
from memberkit.errors import UsageError, counted
from memberkit.periods import choose_period, choose_scope
from memberkit.reports.options import MAX_DAYS

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Fit on purchases up to this day instead of a month's or year's end.",
    ),
]
HorizonDays = Annotated[
    int,
    typer.Option(
        "--horizon-days",
        min=1,
        max=MAX_DAYS,
        metavar="DAYS",
        help="Days ahead for expected purchases.",
    ),
]


@reports_errors
def churn_risk(
    ctx: typer.Context,
    month: Month = None,
    year: Year = None,
    as_of: AsOf = None,
    horizon_days: HorizonDays = 90,
    limit: Limit = None,
    store: Store = None,
    region: Region = None,
    by: ByOption = None,
    fmt: FormatOption = None,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """Members likely to have slipped away, by the money at risk (BG/NBD model), fitted on
    purchases up to E: the end of --month/--year (default: last month) or --as-of.

    --by adds the members expected to be still active and the value at risk per store or
    region: a second table, sheet or JSON key ("units"); with --format csv, the CSV."""
    from memberkit.render.workbooks import workbook_info
    from memberkit.reports import catalogue, data_through
    from memberkit.reports.churn_risk import risk_by_unit

    fmt = choose_format(fmt, output)
    end = day_option(as_of)
    if end is not None and (month is not None or year is not None):
        raise UsageError("--as-of sets E to a day: give it or --month/--year, not both")
    period = choose_period(month, year, date.today())
    output = with_month(output, period if end is None else month_of(end))
    check_xlsx_output(fmt, output)
    scope = choose_scope(store, region, by.value if by else None)
    with report_connection(ctx, db_path, wait) as con:
        options = catalogue.ChurnRiskOptions(end, horizon_days)
        report = catalogue.run(con, "churn-risk", period, scope, options)
        info = workbook_info(data_through(con)) if fmt is OutputFormat.xlsx else None
    model = report.model
    err.print(
        f"BG/NBD fit on {counted(model['members'], 'member')}: r {model['r']:.4f}, "
        f"alpha {model['alpha']:.4f}, a {model['a']:.4f}, b {model['b']:.4f}, "
        f"log-likelihood {model['log_likelihood']:,.2f}",
        markup=False,
    )
    for note in report.notes:
        err.print(f"memberkit: {note}", markup=False)
    units = risk_by_unit(report)
    if fmt is OutputFormat.xlsx:
        from memberkit.render.excel import Sheet, write_workbook

        for path, part in store_files(report, "churn-risk", output):
            sheets = [Sheet(part, "churn-risk")]
            if part is report:  # the units sheet sums every store of the fit
                sheets.insert(0, Sheet(units, "churn-risk-units"))
            write_workbook(path, sheets, lang.value, info)
            err.print(f"churn-risk: {counted(len(part.rows), 'member')} -> {path}", markup=False)
        return
    if by is not None and fmt is OutputFormat.csv:
        # --by gives one row per unit and ALL, as for every report (SPEC 4); a CSV holds one
        # table, and the member list is the same with or without --by
        emit(units, "churn-risk-units", fmt, output, lang)
        return
    if fmt in (OutputFormat.json, OutputFormat.csv) and STORE not in str(output or ""):
        _stream(report, "churn-risk", fmt, output)
    else:
        emit_files(report, "churn-risk", fmt, output, lang, limit=limit)
    if by is not None and fmt is OutputFormat.table and output is None:
        emit(units, "churn-risk-units", fmt, None, lang, quiet=True)


def _stream(report, name: str, fmt: OutputFormat, output: Path | None) -> None:
    """JSON or CSV written a chunk of members at a time, to the file (beside it, then
    renamed: never half a file) or standard output: millions of members never become one
    string. The same text as emit() writes."""
    from memberkit.files import atomic_output
    from memberkit.render.stream import csv_parts, json_parts

    parts = json_parts(report, name) if fmt is OutputFormat.json else csv_parts(report, name)
    if output is None:
        for part in parts:
            typer.echo(part, nl=False)
        return
    encoding = "utf-8-sig" if fmt is OutputFormat.csv else "utf-8"  # Excel's BOM (SPEC 6)
    with atomic_output(output, private=False) as tmp:
        with tmp.open("w", encoding=encoding, newline="") as file:
            for part in parts:
                file.write(part)
    err.print(f"{name}: {counted(len(report.rows), 'row')} -> {output}", markup=False)
