"""Member records and grades: new-members (SPEC 5.7) and grades (SPEC 5.10)."""

from __future__ import annotations

from typing import Annotated

import typer

from memberkit.cli.common import reports_errors
from memberkit.cli.framework import Limit, Request, period_report, run_report
from memberkit.errors import UsageError
from memberkit.reports import catalogue
from memberkit.reports.options import money_edges

ShowPhone = Annotated[
    bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
]


@reports_errors
@period_report
def new_members(
    request: Request,
    problems: Annotated[
        bool, typer.Option("--problems", help="The member records to fix instead.")
    ] = False,
    all_members: Annotated[
        bool,
        typer.Option("--all-members", help="With --problems: every member, not only new ones."),
    ] = False,
    show_phone: ShowPhone = False,
    limit: Limit = None,
) -> None:
    """新会员资料管理: new members, YoY, activation within 30 days; --problems to fix records."""
    if all_members and not problems:
        raise UsageError("--all-members goes with --problems")
    if limit is not None and not problems:
        raise UsageError("--limit shortens the list of --problems: use it with --problems")
    if problems:
        if request.by is not None:
            raise UsageError("--problems gives one list; leave out --by")
        options = catalogue.MemberProblemsOptions(all_members)
        run_report(request, "member-problems", options, show_phone=show_phone, limit=limit)
        return
    run_report(request, "new-members")


@reports_errors
@period_report
def grades(
    request: Request,
    grade_edges: Annotated[
        str,
        typer.Option(
            metavar="EDGES", help="Spend edges in yuan between D|C|B|A (365 days up to the end)."
        ),
    ] = "500,2000,5000",
    migration: Annotated[
        bool, typer.Option("--migration", help="Grades a year earlier against grades now.")
    ] = False,
) -> None:
    """会员分级: members on file graded A/B/C/D on 365 days' net spend; --migration."""
    edges = money_edges(grade_edges, "--grade-edges", "500,2000,5000")
    if len(edges) != 3:
        raise UsageError("--grade-edges wants three ascending edges (D|C|B|A), like 500,2000,5000")
    run_report(
        request, "grade-migration" if migration else "grades", catalogue.GradesOptions(tuple(edges))
    )
