"""memberkit callback-review: 回访情况统计表 and, with --effect, whether calling the lapsed
members brought them back (SPEC 5.13)."""

from __future__ import annotations

from typing import Annotated

import typer

from memberkit.cli.common import reports_errors
from memberkit.cli.framework import Request, period_report, run_report
from memberkit.errors import UsageError
from memberkit.reports.analyses import DEFAULT_INACTIVE_DAYS
from memberkit.reports.callback_review import DEFAULT_WINDOW_DAYS, CallbackEffectOptions
from memberkit.reports.options import MAX_DAYS


@reports_errors
@period_report
def callback_review(
    request: Request,
    effect: Annotated[
        bool,
        typer.Option(
            "--effect",
            help="Judge the period's lapsed call-backs: did the members called come back "
            "more often than those not called? (the base: last month's lapsed list)",
        ),
    ] = False,
    window_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_DAYS,
            metavar="DAYS",
            help=f"With --effect: a return is a ticket within DAYS after last month's end "
            f"(default {DEFAULT_WINDOW_DAYS}).",
        ),
    ] = None,
    inactive_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_DAYS,
            metavar="DAYS",
            help=f"With --effect: days without a ticket after which a member is lapsed "
            f"(default {DEFAULT_INACTIVE_DAYS}, as churn).",
        ),
    ] = None,
) -> None:
    """回访情况统计表: calls, members reached and wrong numbers per store and kind; --effect
    compares the return of lapsed members called and not called."""
    if not effect:
        if window_days is not None or inactive_days is not None:
            raise UsageError("--window-days and --inactive-days go with --effect")
        run_report(request, "callback-review")
        return
    options = CallbackEffectOptions(
        window_days=DEFAULT_WINDOW_DAYS if window_days is None else window_days,
        inactive_days=DEFAULT_INACTIVE_DAYS if inactive_days is None else inactive_days,
    )
    run_report(request, "callback-effect", options)
