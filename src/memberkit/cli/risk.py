"""`memberkit churn-risk` (SPEC 5.11): the BG/NBD model's fit and the members at risk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from memberkit.cli.common import DbOption, WaitOption, err, report_connection, reports_errors
from memberkit.cli.reports import (
    ByOption,
    FormatOption,
    Lang,
    LangOption,
    Output,
    OutputFormat,
    Region,
    Store,
    _emit,
)
from memberkit.errors import UsageError
from memberkit.periods import choose_scope

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="YYYY-MM-DD: fit on purchases up to this day (default: today)."),
]
HorizonDays = Annotated[
    int, typer.Option("--horizon-days", min=1, help="Days ahead for expected purchases.")
]


@reports_errors
def churn_risk(
    ctx: typer.Context,
    as_of: AsOf = None,
    horizon_days: HorizonDays = 90,
    store: Store = None,
    region: Region = None,
    by: ByOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: Output = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """Members likely to have slipped away, by the money at risk (BG/NBD model)."""
    from memberkit.reports.churn_risk import churn_risk as compute

    if fmt is OutputFormat.xlsx:
        raise UsageError("churn-risk writes table, csv or json for now")
    try:
        end = datetime.strptime(as_of, "%Y-%m-%d").date() if as_of else date.today()
    except ValueError:
        raise UsageError(f"--as-of wants YYYY-MM-DD, not {as_of!r}") from None
    scope = choose_scope(store, region, by.value if by else None)
    with report_connection(ctx, db_path, wait) as con:
        report = compute(con, end, scope, horizon_days=horizon_days)
    model = report.details["model"]
    err.print(
        f"BG/NBD fit on {model['members']:,} members: r {model['r']:.4f}, "
        f"alpha {model['alpha']:.4f}, a {model['a']:.4f}, b {model['b']:.4f}, "
        f"log-likelihood {model['log_likelihood']:,.2f}",
        markup=False,
    )
    if by is not None:
        for unit in report.details["expected_active"]:
            err.print(
                f"{unit['scope']}: {unit['members']:,} members, "
                f"{unit['expected_active']:,.1f} expected active",
                markup=False,
            )
    _emit(report, "churn-risk", fmt, output, lang)
