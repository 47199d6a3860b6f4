"""What every report command shares: the output formats and shared options, the Request a
period command receives (`period_report`), running a catalogue report (`run_report`) and
emitting it as a table, CSV, JSON or workbook (`emit`)."""

from __future__ import annotations

import enum
import functools
import inspect
import os
import stat
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import (
    DbOption,
    WaitOption,
    err,
    report_connection,
    say_empty_tables,
)
from memberkit.cli.outputs import (
    STORE,
    OutputFormat,
    choose_format,
    cut_like,
    store_files,
    with_month,
)
from memberkit.errors import UsageError, counted
from memberkit.files import atomic_output
from memberkit.periods import Period, Scope, choose_period, choose_scope
from memberkit.reports import Report, catalogue


class Lang(enum.StrEnum):
    zh = "zh"
    en = "en"


class By(enum.StrEnum):
    store = "store"
    region = "region"


Month = Annotated[
    str | None,
    typer.Option("--month", metavar="YYYY-MM", help="The month (default: last month)."),
]
Year = Annotated[
    str | None, typer.Option("--year", metavar="YYYY", help="The whole calendar year.")
]
Store = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="STORE",
        help="One store: its id (any case) or exact name; `memberkit info --stores` lists them.",
    ),
]
Region = Annotated[str | None, typer.Option("--region", metavar="REGION", help="One region.")]
ByOption = Annotated[
    By | None, typer.Option("--by", help="One row per store or region, plus an ALL row.")
]
FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Default: from --output's extension (.xlsx .csv .json .txt), else a table.",
        show_default=False,
    ),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to this file; {month} stands for the period, {store} makes one file per store.",
    ),
]
LangOption = Annotated[Lang, typer.Option("--lang", help="Labels of tables and workbooks.")]
DEFAULT_LIMIT = 50
Limit = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=0,
        metavar="N",
        help=f"Rows of the list the terminal shows (default {DEFAULT_LIMIT}; 0: all). "
        "--output files hold every row.",
    ),
]


def terminal_width() -> int | None:
    """The width tables are fitted to: $COLUMNS if set; else the terminal's that stdout is,
    or that stderr or stdin is when stdout is a pipe (into `less` or `head`, read in that
    terminal); None when stdout is a file or no terminal is at hand (cron): the table is then
    as wide as it needs."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        piped = stat.S_ISFIFO(os.fstat(1).st_mode)
    except OSError:
        piped = False
    for stream in (1, 2, 0) if piped or os.isatty(1) else ():
        try:
            return os.get_terminal_size(stream).columns or None
        except OSError:
            continue
    return None


def emit(
    report: Report,
    name: str,
    fmt: OutputFormat,
    output: Path | None,
    lang: Lang,
    show_phone: bool = False,
    workbook=None,
    quiet: bool = False,
    limit: int | None = 0,
) -> None:
    """Write a report as `fmt`, to `output` or the terminal. A list's table in the terminal
    shows its first `limit` rows (None: DEFAULT_LIMIT, 0: all); a file holds every row."""
    from memberkit.render import to_csv, to_json
    from memberkit.render.templates import load_template

    if report.empty and not quiet:
        err.print(
            f"memberkit: no transactions in {report.period.label} for "
            f"{report.scope.label}: figures are zeros, and — where undefined",
            markup=False,
        )
    if fmt is OutputFormat.xlsx:
        from memberkit.render.excel import write_workbook

        sheet, info = workbook
        write_workbook(output, [sheet], lang.value, info)
        err.print(f"{name}: {counted(len(report.rows), 'row')} -> {output}", markup=False)
        return
    if fmt is OutputFormat.table:
        from rich.console import Console

        from memberkit.render.terminal import terminal_view

        # a file holds every row, as wide as the table needs; the terminal the first `limit`
        width = None if output is not None else terminal_width()
        shown = terminal_view(
            report,
            name,
            lang.value,
            width=width,
            show_phone=show_phone,
            limit=0 if output is not None else DEFAULT_LIMIT if limit is None else limit,
        )
        if output is None:
            Console(width=shown.width, highlight=False).print(shown.renderable)
            return
        buffer = Console(record=True, width=shown.width, file=open(os.devnull, "w"))  # noqa: SIM115
        buffer.print(shown.renderable)
        text = buffer.export_text()
    elif fmt is OutputFormat.csv:
        text = to_csv(report, name)
    else:
        text = to_json(report, name) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    private = any(c.format == "phone" for c in load_template(name).columns)
    write_atomically(output, text, bom=fmt is OutputFormat.csv, private=private)
    if not quiet:
        err.print(f"{name}: {counted(len(report.rows), 'row')} -> {output}", markup=False)


def write_atomically(path: Path, text: str, *, bom: bool, private: bool) -> None:
    """Write to a temporary file beside the target, then rename: never half a file."""
    with atomic_output(path, private=private) as tmp:
        tmp.write_text(text, encoding="utf-8-sig" if bom else "utf-8", newline="")


@dataclass(frozen=True)
class Request:
    """The options every analysis command shares, parsed by Typer."""

    ctx: typer.Context
    db_path: Path | None
    wait: float
    month: str | None
    year: str | None
    store: str | None
    region: str | None
    by: By | None
    fmt: OutputFormat
    output: Path | None
    lang: Lang


# The options every period report takes (SPEC 4 and 6), declared once: `period_report` puts
# them in a command's signature for Typer and hands the command one Request.
_SHARED = (
    ("month", Month, None),
    ("year", Year, None),
    ("store", Store, None),
    ("region", Region, None),
    ("by", ByOption, None),
    ("format", FormatOption, None),
    ("output", Output, None),
    ("lang", LangOption, Lang.zh),
    ("db_path", DbOption, None),
    ("wait", WaitOption, 0.0),
)


def period_report(command: Callable[..., None]) -> Callable[..., None]:
    """Declare the shared options on `command(request, **own_options)` for Typer.

    A command may declare its own `by` (more ways to split than store|region): its own
    option replaces the shared one, and its Request's `by` is None."""
    own_hints = typing.get_type_hints(command, include_extras=True)
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "request"]
    keyword = inspect.Parameter.KEYWORD_ONLY
    taken = {p.name for p in own}
    declared = [(n, a, d) for n, a, d in _SHARED if n not in taken]
    shared = [inspect.Parameter(n, keyword, default=d, annotation=a) for n, a, d in declared]
    context = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )

    @functools.wraps(command)
    def wrapper(ctx: typer.Context, **options):
        values = {name: options.pop(name) for name, _, _ in declared}
        values.setdefault("by", None)
        fmt = choose_format(values.pop("format"), values["output"])
        request = Request(ctx=ctx, fmt=fmt, **values)
        return command(request, **options)

    wrapper.__signature__ = inspect.Signature(
        [context, *shared, *(p.replace(kind=keyword, annotation=own_hints[p.name]) for p in own)]
    )
    wrapper.__annotations__ = {
        "ctx": typer.Context,
        **{n: a for n, a, _ in declared},
        **{p.name: own_hints[p.name] for p in own},
    }
    return wrapper


def run_report(
    request: Request,
    name: str,
    options=None,
    show_phone: bool = False,
    present: Callable[[Report], Report] | None = None,
    limit: int | None = 0,
) -> None:
    """Parse period and scope, run the catalogue's report `name` on a read-only connection,
    say its notes, and emit it (`present`: rows relabelled for the terminal; `limit`: a
    list's rows in the terminal, as `emit` takes it) to the terminal or to --output, with
    {month} and {store} filled in."""
    fmt = request.fmt
    period: Period = choose_period(request.month, request.year, date.today())
    output = with_month(request.output, period)
    check_xlsx_output(fmt, output)
    scope: Scope = choose_scope(
        request.store, request.region, request.by.value if request.by else None
    )
    bases, info = {}, None
    with report_connection(request.ctx, request.db_path, request.wait) as con:
        report = catalogue.run(con, name, period, scope, options)
        for note in report.notes:
            err.print(f"memberkit: {note}", markup=False)
        say_empty_tables(con, catalogue.entry(name).needs, scope.by)
        if fmt is OutputFormat.xlsx:
            from memberkit.render.workbooks import workbook_info
            from memberkit.reports import data_through

            bases = catalogue.comparison_bases(con, name, report, options)
            info = workbook_info(data_through(con))
    if present is not None:
        report = present(report)
    emit_files(
        report,
        name,
        fmt,
        output,
        request.lang,
        show_phone=show_phone,
        bases=bases,
        info=info,
        limit=limit,
    )


def emit_files(
    report: Report,
    name: str,
    fmt: OutputFormat,
    output: Path | None,
    lang: Lang,
    *,
    show_phone: bool = False,
    bases=None,
    info=None,
    quiet: bool = False,
    limit: int | None = 0,
) -> list[Path]:
    """emit() to the terminal or --output, or with {store} in --output to one file per
    store; a workbook's sheet charts `bases` (the same report earlier) cut to its store;
    `limit`: a list's rows in the terminal, as `emit` takes it. Returns the files written."""
    if output is None:
        emit(report, name, fmt, None, lang, show_phone=show_phone, quiet=quiet, limit=limit)
        return []
    files = store_files(report, name, output)
    if not files:
        err.print(f"{name}: no rows, so no file per store -> {output}", markup=False)
    for path, part in files:
        workbook = None
        if fmt is OutputFormat.xlsx:
            from memberkit.render.excel import Sheet

            part_bases = dict(bases or {})
            if STORE in str(output):
                part_bases = {k: cut_like(b, part, name) for k, b in part_bases.items()}
            workbook = (Sheet(report=part, template=name, bases=part_bases), info)
        emit(part, name, fmt, path, lang, show_phone=show_phone, workbook=workbook, quiet=quiet)
    return [path for path, _ in files]


def check_xlsx_output(fmt: OutputFormat, output: Path | None) -> None:
    """A workbook is a file: --format xlsx needs --output."""
    if fmt is OutputFormat.xlsx and output is None:
        raise UsageError("--format xlsx needs --output FILE.xlsx")


def day_option(text: str | None, option: str = "--as-of") -> date | None:
    """A day option (--as-of, --date) as a date; None when not given."""
    from memberkit.periods import parse_day

    return None if text is None else parse_day(text, option)
