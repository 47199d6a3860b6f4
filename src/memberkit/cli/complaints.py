"""memberkit complaints: 客户投诉处理 against the handbook's service levels (SPEC 5.8)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated

import typer

from memberkit.cli.common import reports_errors
from memberkit.cli.framework import By, Limit, Request, period_report, run_report
from memberkit.errors import UsageError
from memberkit.reports import catalogue


class ComplaintsBy(enum.StrEnum):
    store = "store"
    region = "region"
    category = "category"
    channel = "channel"


@reports_errors
@period_report
def complaints(
    request: Request,
    by: Annotated[
        ComplaintsBy | None,
        typer.Option(
            "--by", help="One row per store, region, complaint category or channel, plus ALL."
        ),
    ] = None,
    overdue: Annotated[
        bool,
        typer.Option("--overdue", help="The overdue complaints to follow up, oldest first."),
    ] = False,
    limit: Limit = None,
) -> None:
    """客户投诉处理: replies in 24 h, resolutions in 48 h, open and overdue, satisfaction."""
    if overdue:
        if by is not None:
            raise UsageError("--overdue gives one list; leave out --by")
        run_report(request, "complaints-overdue", limit=limit)
        return
    if limit is not None:
        raise UsageError("--limit shortens the --overdue list: use it with --overdue")
    by_field = None
    if by in (ComplaintsBy.store, ComplaintsBy.region):
        request = dataclasses.replace(request, by=By(by.value))  # the shared scope split
    elif by is not None:
        by_field = by.value
    run_report(request, "complaints", catalogue.ComplaintsOptions(by_field))
