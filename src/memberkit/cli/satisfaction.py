"""memberkit satisfaction: 满意度调查分析 of the survey responses (SPEC 5.12)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated

import typer

from memberkit.cli.common import reports_errors
from memberkit.cli.framework import By, Limit, Request, period_report, run_report
from memberkit.errors import UsageError
from memberkit.reports.satisfaction import SatisfactionOptions


class SatisfactionBy(enum.StrEnum):
    store = "store"
    region = "region"
    channel = "channel"


@reports_errors
@period_report
def satisfaction(
    request: Request,
    by: Annotated[
        SatisfactionBy | None,
        typer.Option("--by", help="One row per store, region or survey channel, plus ALL."),
    ] = None,
    low: Annotated[
        bool,
        typer.Option("--low", help="The responses with an overall score of 2 or less, to call."),
    ] = False,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
    ] = False,
    limit: Limit = None,
) -> None:
    """满意度调查分析: responses, and per dimension answered, mean score, satisfied rate."""
    if low:
        if by is not None:
            raise UsageError("--low gives one list; leave out --by")
        run_report(request, "satisfaction-low", show_phone=show_phone, limit=limit)
        return
    if limit is not None or show_phone:
        flag = "--limit" if limit is not None else "--show-phone"
        raise UsageError(f"{flag} goes with the --low list: use it with --low")
    by_field = None
    if by in (SatisfactionBy.store, SatisfactionBy.region):
        request = dataclasses.replace(request, by=By(by.value))  # the shared scope split
    elif by is not None:
        by_field = by.value
    run_report(request, "satisfaction", SatisfactionOptions(by_field))
