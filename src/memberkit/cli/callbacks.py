"""memberkit callbacks: the monthly call-back lists (会员回访, SPEC 5.9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

import typer

from memberkit.cli.common import (
    MAX_COUNT,
    err,
    report_connection,
    reports_errors,
    say_empty_tables,
)
from memberkit.cli.framework import (
    Limit,
    OutputFormat,
    Request,
    check_xlsx_output,
    period_report,
    run_report,
)
from memberkit.cli.outputs import store_files, with_month
from memberkit.errors import UsageError, counted
from memberkit.periods import choose_period, choose_scope
from memberkit.reports import catalogue
from memberkit.reports.analyses import DEFAULT_INACTIVE_DAYS
from memberkit.reports.callbacks import DEFAULT_MIN_AMOUNT, parse_kinds
from memberkit.reports.options import MAX_DAYS


@reports_errors
@period_report
def callbacks(
    request: Request,
    min_amount: Annotated[
        float,
        typer.Option(min=0, metavar="YUAN", help="Smallest ticket that earns an after-sale call."),
    ] = float(DEFAULT_MIN_AMOUNT),
    inactive_days: Annotated[
        int,
        typer.Option(
            min=1,
            max=MAX_DAYS,
            metavar="DAYS",
            help="Days without a ticket after which a member is lapsed.",
        ),
    ] = DEFAULT_INACTIVE_DAYS,
    per_store: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_COUNT,
            metavar="N",
            help="Keep each store's N highest amounts per kind (its capacity).",
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KIND",
            help="after_sale, new or lapsed; repeat or separate by commas (default all).",
        ),
    ] = None,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
    ] = False,
    limit: Limit = None,
) -> None:
    """会员回访名单: members to phone after a large purchase, after joining, after lapsing."""
    if request.by is not None:
        raise UsageError("callbacks gives one list; leave out --by (each row has its store)")
    kinds = parse_kinds(kind)
    period = choose_period(request.month, request.year, date.today())
    request = replace(request, output=with_month(request.output, period))

    options = catalogue.CallbacksOptions(min_amount, inactive_days, per_store, kinds)
    if request.fmt is OutputFormat.table:
        from memberkit.render.callbacks import with_kind_labels

        def present(report):
            return with_kind_labels(report, request.lang.value)

        run_report(
            request, "callbacks", options, show_phone=show_phone, present=present, limit=limit
        )
    elif request.fmt is not OutputFormat.xlsx:
        run_report(request, "callbacks", options)
    else:
        _write_workbook(request, period, options)


def _write_workbook(request: Request, period, options: catalogue.CallbacksOptions) -> None:
    """One workbook for the period: all call-backs, a sheet per kind, a sheet per store."""
    from memberkit.render.callbacks import callbacks_workbook
    from memberkit.render.workbooks import workbook_info
    from memberkit.reports import data_through
    from memberkit.reports.expiring import store_names

    check_xlsx_output(request.fmt, request.output)
    scope = choose_scope(request.store, request.region, None)
    with report_connection(request.ctx, request.db_path, request.wait) as con:
        report = catalogue.run(con, "callbacks", period, scope, options)
        say_empty_tables(con, catalogue.entry("callbacks").needs)
        names = store_names(con)
        info = workbook_info(data_through(con))
    for path, part in store_files(report, "callbacks", request.output):
        callbacks_workbook(part, path, request.lang.value, info, names)
        stores = len({row["store_id"] for row in part.rows})
        err.print(
            f"callbacks {period.label}: {counted(len(part.rows), 'call')} in "
            f"{counted(stores, 'store')} -> {path}",
            markup=False,
        )
