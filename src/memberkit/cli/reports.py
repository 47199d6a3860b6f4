"""The handbook's analyses: spend-bands, demographics, spending-power, churn."""

from __future__ import annotations

import enum
import functools
import inspect
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from memberkit.cli.common import (
    MAX_COUNT,
    DbOption,
    WaitOption,
    err,
    out,
    report_connection,
    reports_errors,
    say_empty_tables,
)
from memberkit.errors import UsageError
from memberkit.files import atomic_output
from memberkit.periods import Period, Scope, choose_period, choose_scope
from memberkit.reports import Report, analyses, catalogue
from memberkit.reports.options import MAX_DAYS, age_edges, money_edges


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class Lang(enum.StrEnum):
    zh = "zh"
    en = "en"


class By(enum.StrEnum):
    store = "store"
    region = "region"


Month = Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: last month).")]
Year = Annotated[str | None, typer.Option("--year", help="YYYY: the whole calendar year.")]
Store = Annotated[str | None, typer.Option("--store", help="One store id.")]
Region = Annotated[str | None, typer.Option("--region", help="One region.")]
ByOption = Annotated[
    By | None, typer.Option("--by", help="One row per store or region, plus an ALL row.")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
LangOption = Annotated[Lang, typer.Option("--lang", help="Labels of tables and workbooks.")]


def _emit(
    report: Report,
    name: str,
    fmt: OutputFormat,
    output: Path | None,
    lang: Lang,
    show_phone: bool = False,
    workbook=None,
    quiet: bool = False,
) -> None:
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
        err.print(f"{name}: {len(report.rows):,} rows -> {output}", markup=False)
        return
    if fmt is OutputFormat.table:
        from rich.console import Console

        from memberkit.render.terminal import report_table

        table = report_table(report, name, lang.value, show_phone=show_phone)
        if output is None:
            out.print(table)
            return
        buffer = Console(record=True, width=200, file=open(os.devnull, "w"))  # noqa: SIM115
        buffer.print(table)
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
        err.print(f"{name}: {len(report.rows):,} rows -> {output}", markup=False)


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
    ("format", FormatOption, OutputFormat.table),
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
        request = Request(ctx=ctx, fmt=values.pop("format"), **values)
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


def _run(
    request: Request,
    name: str,
    options=None,
    show_phone: bool = False,
    present: Callable[[Report], Report] | None = None,
) -> None:
    """Parse period and scope, run the catalogue's report `name` on a read-only connection,
    say its notes, and emit it (`present`: rows relabelled for the terminal)."""
    fmt, output = request.fmt, request.output
    check_xlsx_output(fmt, output)
    period: Period = choose_period(request.month, request.year, date.today())
    scope: Scope = choose_scope(
        request.store, request.region, request.by.value if request.by else None
    )
    workbook = None
    with report_connection(request.ctx, request.db_path, request.wait) as con:
        report = catalogue.run(con, name, period, scope, options)
        for note in report.details.get("notes", []):
            err.print(f"memberkit: {note}", markup=False)
        say_empty_tables(con, catalogue.entry(name).needs, scope.by)
        if fmt is OutputFormat.xlsx:
            from memberkit.render.excel import Sheet
            from memberkit.render.workbooks import workbook_info
            from memberkit.reports import data_through

            bases = catalogue.comparison_bases(con, name, report, options)
            workbook = (
                Sheet(report=report, template=name, bases=bases),
                workbook_info(data_through(con)),
            )
    if present is not None:
        report = present(report)
    _emit(report, name, fmt, output, request.lang, show_phone=show_phone, workbook=workbook)


@reports_errors
def report(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write.")],
    month: Month = None,
    year: Year = None,
    store: Store = None,
    region: Region = None,
    by: ByOption = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """The monthly workbook: a cover, one sheet per analysis and a per-store breakdown."""
    from memberkit.render.workbooks import monthly_workbook, workbook_info
    from memberkit.reports import check_scope
    from memberkit.reports.monthly import MONTHLY_NEEDS, monthly_reports

    period = choose_period(month, year, date.today())
    scope = choose_scope(store, region, by.value if by else None)
    with report_connection(ctx, db_path, wait) as con:
        check_scope(con, scope)
        monthly = monthly_reports(con, period, scope)
        say_empty_tables(con, MONTHLY_NEEDS, scope.by)
    sheets = monthly_workbook(monthly, lang.value, output, workbook_info(monthly.data_through))
    err.print(f"report {period.label}: {len(sheets) + 1} sheets -> {output}", markup=False)


@reports_errors
def expiring(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to count up to (default: today).")
    ] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="Expiry month, YYYY-MM (default: the next).")
    ] = None,
    min_visits: Annotated[
        int, typer.Option(min=0, max=MAX_COUNT, help="Visits that earn the waiver.")
    ] = 3,
    min_spend: Annotated[float, typer.Option(min=0, help="Net spend that earns it.")] = 1000,
    split_by_store: Annotated[
        Path | None,
        typer.Option("--split-by-store", help="Also write one workbook per store here."),
    ] = None,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
    ] = False,
    format: FormatOption = OutputFormat.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file; {month} is replaced."),
    ] = None,
    lang: LangOption = Lang.zh,
    db_path: DbOption = None,
    wait: WaitOption = 0.0,
) -> None:
    """到期会员名单: members whose card expires next month without the fee waiver (cron: 5th)."""
    from memberkit.periods import parse_day, parse_month
    from memberkit.reports.expiring import month_after, store_names

    day = parse_day(as_of, "--as-of") if as_of is not None else date.today()
    period = parse_month(month) if month is not None else month_after(day)
    if output is not None:
        output = Path(str(output).replace("{month}", period.label))
    if split_by_store is not None:
        split_by_store = Path(str(split_by_store).replace("{month}", period.label))
    check_xlsx_output(format, output)
    from memberkit.render.workbooks import workbook_info
    from memberkit.reports import data_through

    with report_connection(ctx, db_path, wait) as con:
        options = catalogue.ExpiringOptions(day, min_visits, min_spend)
        report = catalogue.run(con, "expiring", period, Scope(), options)
        say_empty_tables(con, catalogue.entry("expiring").needs)
        names = store_names(con)
        info = workbook_info(data_through(con))
    stores = len({row["store_id"] for row in report.rows})
    if format is OutputFormat.xlsx:
        from memberkit.render.workbooks import expiring_workbook

        expiring_workbook(report, output, lang.value, info, names)
    else:
        _emit(report, "expiring", format, output, lang, show_phone=show_phone, quiet=True)
    if split_by_store is not None:
        from memberkit.render.workbooks import split_expiring

        written = split_expiring(report, split_by_store, lang.value, info, names)
        err.print(f"{len(written)} workbooks -> {split_by_store}", markup=False)
    target = f" -> {output}" if output else ""
    err.print(
        f"{period.label}: {len(report.rows):,} members in {stores:,} stores{target}", markup=False
    )


def check_xlsx_output(fmt: OutputFormat, output: Path | None) -> None:
    """A workbook is a file: --format xlsx needs --output."""
    if fmt is OutputFormat.xlsx and output is None:
        raise UsageError("--format xlsx needs --output FILE.xlsx")


@reports_errors
@period_report
def spend_bands(
    request: Request,
    bands: Annotated[str, typer.Option(help="Band edges in yuan.")] = "100,300,500,1000",
) -> None:
    """会员消费水平分析: members on file, active members and their net spend bands."""
    edges = money_edges(bands, "--bands", "100,300,500,1000")
    _run(request, "spend-bands", catalogue.SpendBandsOptions(tuple(edges)))


@reports_errors
@period_report
def demographics(
    request: Request,
    age_bands: Annotated[str, typer.Option(help="Age band edges in years.")] = "20,30,40",
) -> None:
    """消费会员性别年龄分析: gender and age of the period's active members."""
    edges = age_edges(age_bands, "--age-bands", "20,30,40")
    _run(request, "demographics", catalogue.DemographicsOptions(tuple(edges)))


@reports_errors
@period_report
def spending_power(request: Request) -> None:
    """会员消费力分析: sales, member sales, basket, tickets, frequency, attach rate, YoY/MoM."""
    _run(request, "spending-power")


@reports_errors
@period_report
def churn(
    request: Request,
    inactive_days: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_DAYS, help="Days without a ticket after which a member is lapsed."
        ),
    ] = analyses.DEFAULT_INACTIVE_DAYS,
    list_members: Annotated[
        bool, typer.Option("--list", help="The call-back list of lapsed members instead.")
    ] = False,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="Show phone numbers in full in the terminal.")
    ] = False,
    risk: Annotated[
        bool,
        typer.Option(
            "--risk",
            help="With --list: add the churn-risk model's figures; order by value at risk.",
        ),
    ] = False,
) -> None:
    """会员流失分析: base, lapsed, newly lapsed and returned members; --list to call them."""
    if risk and not list_members:
        raise UsageError("--risk orders the call-back list: use it with --list")
    if list_members:
        if request.by is not None:
            raise UsageError("--list gives one list; leave out --by")
        options = catalogue.ChurnOptions(inactive_days)
        _run(request, "churn-list-risk" if risk else "churn-list", options, show_phone)
        return
    _run(request, "churn", catalogue.ChurnOptions(inactive_days))
