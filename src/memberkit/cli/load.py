"""memberkit load KIND FILE...: load exports, one transaction per file."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memberkit.cli.common import DbOption, WaitOption, err, open_database, out, reports_errors
from memberkit.cli.engine import refuse_spark
from memberkit.errors import EXIT_INPUT_REJECTED, EXIT_USAGE, MemberkitError, counted
from memberkit.ingest.kinds import KINDS

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from memberkit.ingest.loader import LoadOptions, LoadResult

LoadKind = enum.Enum("LoadKind", {name: name for name in KINDS}, type=str)


class DateFormat(enum.StrEnum):
    dmy = "dmy"
    mdy = "mdy"


PROGRESS_MIN_BYTES = 32 << 20


@reports_errors
def load(
    ctx: typer.Context,
    kind: Annotated[
        LoadKind,
        typer.Argument(
            metavar="KIND",
            help=f"What the files hold: {', '.join(KINDS)}.",
            show_default=False,
        ),
    ],
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE...", help="CSV (comma or tab) or XLSX files.")
    ],
    encoding: Annotated[
        str | None,
        typer.Option(
            metavar="ENCODING", help="Force the encoding (default: detect UTF-8/GB18030)."
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(metavar="CHAR", help="Force the delimiter: ',' or 'tab' (default: detect)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.toml", help="TOML file mapping another system's column names to ours."
        ),
    ] = None,
    max_reject_ratio: Annotated[
        float,
        typer.Option(
            min=0, max=1, metavar="RATIO", help="Refuse a file with more rejected rows (0-1)."
        ),
    ] = 0.01,
    timezone: Annotated[
        str,
        typer.Option(
            "--timezone",
            metavar="ZONE",
            help="The exports' time zone: ISO times with an offset (Z, +08:00) are "
            "converted to wall time in it.",
        ),
    ] = "Asia/Shanghai",
    date_format: Annotated[
        DateFormat | None,
        typer.Option(
            "--date-format",
            help="Order of day and month in dates such as 05/10/2026 (refused without it).",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(metavar="FILE.csv", help="Write the rejected rows of this run to a CSV file."),
    ] = None,
    sheet: Annotated[
        list[str] | None,
        typer.Option(
            "--sheet",
            metavar="NAME",
            help="XLSX: read only this sheet (repeat for several; default: every sheet "
            "that holds data).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """Load exports (members, tickets, ticket lines, stores, targets, gifts, complaints).

    Every row read is loaded, skipped as an identical duplicate, or rejected with its line,
    column and reason. A file with too many rejects loads nothing (exit 3); loading the same
    file again changes nothing.
    """
    from memberkit.ingest.loader import LoadOptions, export_rejects

    refuse_spark(ctx, "load")
    options = LoadOptions(
        kind=kind.value,
        encoding=encoding,
        delimiter=delimiter,
        mapping=mapping,
        max_reject_ratio=max_reject_ratio,
        timezone=timezone,
        date_format=date_format.value if date_format else None,
        sheets=sheet or None,
    )
    _check_paths(files)
    con = open_database(ctx, db_path, wait)
    results: list[LoadResult] = []
    failed = False
    try:
        for path in files:
            try:
                result = _load_one(con, path, options, show_progress=not quiet)
            except MemberkitError as exc:
                failed = True
                _say(err, f"memberkit: {exc.message}")
                if exc.hint:
                    _say(err, f"  hint: {exc.hint}")
                if exc.exit_code != EXIT_INPUT_REJECTED:
                    raise typer.Exit(exc.exit_code) from None
                continue
            results.append(result)
            _report(result, max_reject_ratio)
            failed |= result.status == "refused"
        load_ids = [r.load_id for r in results if r.load_id is not None and r.rejected]
        if rejects is not None:
            written = export_rejects(con, load_ids, rejects)
            _say(out, f"{counted(written, 'rejected row')} written to {rejects}")
    finally:
        con.close()
    if failed:
        raise typer.Exit(EXIT_INPUT_REJECTED)


def _check_paths(files: list[Path]) -> None:
    """Every FILE must be there, and a file, before anything loads: a missing path or a
    folder among several files stopped the rest half-way, without saying so (exit 2)."""
    bad = [
        f"{path}: no such file" if not path.exists() else f"{path}: is a folder, not a file"
        for path in files
        if not path.exists() or path.is_dir()
    ]
    if not bad:
        return
    for line in bad:
        _say(err, f"memberkit: {line}")
    # the hint, not a line of its own: every 'memberkit:' line names a file
    _say(
        err,
        f"  hint: nothing was loaded: {len(bad)} of the {len(files)} paths given "
        f"{'is not a file' if len(bad) == 1 else 'are not files'}; fix or leave them out "
        "(a folder's files are given one by one, like DIR/*.csv)",
    )
    raise typer.Exit(EXIT_USAGE)


def _load_one(con, path: Path, options: LoadOptions, show_progress: bool) -> LoadResult:
    from memberkit.ingest.loader import load_file

    size = path.stat().st_size if path.is_file() else 0
    if not (show_progress and sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES):
        return load_file(con, path, options)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    class _SizeColumn(DownloadColumn):
        """Bytes read of the file while it is scanned; nothing for a stage without a size."""

        def render(self, task):
            from rich.text import Text

            return Text("") if task.total is None else super().render(task)

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _SizeColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err.console(), transient=True) as bar:
        task = bar.add_task(f"{path.name}: scanning", total=size)
        return load_file(con, path, options, progress=StageProgress(bar, task, path.name))


class StageProgress:
    """What the loader says, as the terminal shows it: the scan (hash, encoding check) as
    bytes of the file, then each stage without a size (reading the rows, inserting them) as
    a spinner, a moving bar and the time it has taken so far, never a bar that sits full."""

    def __init__(self, bar: Progress, task: TaskID, name: str):
        self.bar, self.task, self.name = bar, task, name

    def advance(self, nbytes: int) -> None:
        self.bar.advance(self.task, nbytes)

    def phase(self, text: str) -> None:
        # rich's update(total=None) keeps the old total: a stage is a task of its own
        self.bar.update(self.task, visible=False)
        self.task = self.bar.add_task(f"{self.name}: {text}", total=None)


def _report(result: LoadResult, max_ratio: float) -> None:
    name = result.file
    if result.status == "already_loaded":
        when = f"{result.previous_loaded_at:%Y-%m-%d %H:%M}" if result.previous_loaded_at else ""
        load_id = result.previous_load_id
        _say(out, f"{name}: already loaded {when} (load {load_id}); nothing changed")
        return
    if result.ignored_columns:
        _say(err, f"{name}: warning: ignoring unknown column(s): {_names(result.ignored_columns)}")
    for note in result.notes:
        _say(err, f"{name}: warning: {note}")
    how = f"{result.encoding}, {_delimiter_name(result.delimiter)}"
    if result.status == "refused":
        # nothing of a refused file is loaded: say so instead of counts that look partial,
        # and still account for every row read
        valid = result.rows_read - result.duplicates - result.rejected
        _say(
            out,
            f"{name}: {result.rows_read:,} read, REFUSED: {result.rejected:,} rejected, "
            f"nothing loaded ({valid:,} would have loaded, {result.duplicates:,} duplicate; "
            f"{how})",
        )
    else:
        parts = [f"{result.rows_read:,} read", f"{result.loaded:,} loaded"]
        if result.kind == "members" or result.replaced:
            parts.append(f"{result.replaced:,} replaced")
        parts += [f"{result.duplicates:,} duplicate", f"{result.rejected:,} rejected"]
        formed = "" if result.tickets is None else f"; {counted(result.tickets, 'ticket')} formed"
        _say(out, f"{name}: {', '.join(parts)} ({how}){formed}")
    for w in result.warnings[:20]:
        _say(err, f"{name}: warning: line {w.line}, column {w.column}: {w.reason}")
    if len(result.warnings) > 20:
        _say(err, f"{name}: ... {counted(len(result.warnings) - 20, 'more warning')}")
    for sample in result.first_rejects:
        where = f"line {sample.line}" if sample.line is not None else "line ?"
        where += f" {sample.sheet}" if sample.sheet else ""
        column = f", column {_names([sample.column])}" if sample.column else ""
        _say(err, f"  {where}{column}: {sample.reason}")
    if result.rejected > len(result.first_rejects):
        _say(
            err,
            f"  ... {result.rejected - len(result.first_rejects):,} more: "
            "see `memberkit info` or pass --rejects FILE",
        )
    if result.status == "refused":
        _say(
            err,
            f"memberkit: {name}: {result.rejected:,} of {counted(result.rows_read, 'row')} "
            "rejected and "
            f"{result.refusal}; nothing from this file was loaded",
        )
    if result.kind == "transactions" and any(
        s.reason.startswith("duplicate txn_id with different") for s in result.first_rejects
    ):  # a line-level export whose headers fit both kinds equally (SPEC 3.2)
        _say(
            err,
            "  hint: if each row is one product line of a ticket (小票明细), load the file "
            "with `memberkit load ticket-lines ...`",
        )


def _say(console, text: str) -> None:
    """One line for the terminal or a log: names and headers come from files, so control
    characters in them are shown escaped, never sent to the terminal."""
    from memberkit.errors import printable

    console.print(printable(text), markup=False)


def _names(names: list[str], most: int = 10, width: int = 40) -> str:
    """Header names for a message: the first few, each cut to a readable width."""
    shown = [n if len(n) <= width else n[: width - 1] + "…" for n in names[:most]]
    more = f" and {len(names) - most:,} more ({len(names):,} in all)" if len(names) > most else ""
    return ", ".join(shown) + more


def _delimiter_name(delimiter: str | None) -> str:
    from memberkit.ingest.source import DELIMITERS

    return DELIMITERS.get(delimiter or "", repr(delimiter))
