"""memberkit sample-data DIR: a realistic chain's exports, for demos and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import out, reports_errors
from memberkit.cli.engine import refuse_spark
from memberkit.errors import UsageError


@reports_errors
def sample_data(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="FOLDER", help="Folder to write the CSV files into.")
    ],
    seed: Annotated[
        int,
        typer.Option(metavar="N", help="Random seed: the same seed gives the same files."),
    ] = 7,
    stores: Annotated[int, typer.Option(min=1, max=999, metavar="N", help="How many stores.")] = 8,
    members: Annotated[
        int, typer.Option(min=1, metavar="N", help="How many members, spread over the stores.")
    ] = 2_000,
    tickets: Annotated[
        int, typer.Option(min=1, metavar="N", help="How many tickets over all the months.")
    ] = 60_000,
    months: Annotated[
        int,
        typer.Option(
            min=1, max=120, metavar="N", help="How many months of tickets, up to --end-month."
        ),
    ] = 26,
    end_month: Annotated[
        str, typer.Option(metavar="YYYY-MM", help="The last month with tickets.")
    ] = "2026-10",
    encoding: Annotated[
        str,
        typer.Option(
            metavar="ENCODING", help="utf-8, utf-8-sig or gb18030 for every file written."
        ),
    ] = "utf-8",
    ticket_lines: Annotated[
        bool,
        typer.Option(
            "--ticket-lines",
            help="Also write ticket_lines.csv: every ticket as product lines (小票明细).",
        ),
    ] = False,
    lines_from: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM",
            help="Tickets from this month on go to ticket_lines.csv instead of transactions.csv.",
        ),
    ] = None,
) -> None:
    """Write stores, members, tickets, targets and gift files of a made-up retail chain."""
    from memberkit.sample import SampleSpec, write_sample_data

    refuse_spark(ctx, "sample-data")

    try:
        spec = SampleSpec(
            seed=seed,
            stores=stores,
            members=members,
            tickets=tickets,
            months=months,
            end_month=end_month,
            encoding=encoding,
            ticket_lines=ticket_lines,
            lines_from=lines_from,
        )
        written = write_sample_data(directory, spec)
    except ValueError as exc:  # a bad month or encoding: the user's words were off
        raise UsageError(_as_option(str(exc))) from None
    for kind, path in written.items():
        out.print(f"{kind}: {path}", markup=False)


_OPTIONS = {"end_month": "--end-month", "lines_from": "--lines-from", "encoding": "--encoding"}


def _as_option(message: str) -> str:
    """The library's message naming a field (end_month ...) as the option the user typed."""
    field = message.split(" ", 1)[0]
    return _OPTIONS[field] + message[len(field) :] if field in _OPTIONS else message
