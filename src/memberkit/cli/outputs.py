"""Where a command writes and in what form (SPEC 6): the format that --output's extension
implies, {month} and {store} in any --output, and a report split into one file per store."""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path

from memberkit.errors import UsageError
from memberkit.periods import Period, Scope, month
from memberkit.reports import Report


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


# What a file's extension says it holds; .txt is the terminal table as text
EXTENSION_FORMATS = {
    ".csv": OutputFormat.csv,
    ".json": OutputFormat.json,
    ".xlsx": OutputFormat.xlsx,
    ".txt": OutputFormat.table,
}
MONTH, STORE = "{month}", "{store}"


def choose_format(fmt: OutputFormat | None, output: Path | None) -> OutputFormat:
    """--format if given, else what --output's extension says, else a table. A format the
    extension contradicts (csv into x.xlsx) is a usage error: Excel would refuse the file."""
    if output is None:
        return fmt or OutputFormat.table
    suffix = output.suffix.lower()
    implied = EXTENSION_FORMATS.get(suffix)
    if fmt is None:
        if implied is None:
            raise UsageError(
                f"cannot tell the format of {output.name} from its extension",
                hint="name it .xlsx, .csv, .json or .txt (the table as text), or give --format",
            )
        return implied
    if implied is not None and implied is not fmt:
        raise UsageError(
            f"--format {fmt.value} contradicts {output.name}: a {suffix} file holds "
            f"{implied.value}",
            hint=f"leave out --format, or name the file {output.stem}.{_extension(fmt)}",
        )
    return fmt


def _extension(fmt: OutputFormat) -> str:
    return "txt" if fmt is OutputFormat.table else fmt.value


def expect_extension(output: Path, fmt: OutputFormat) -> None:
    """A command that writes only one kind of file (a workbook): --output must not name
    another kind (report -o x.csv would write a workbook under a .csv name)."""
    implied = EXTENSION_FORMATS.get(output.suffix.lower())
    if implied is not None and implied is not fmt:
        raise UsageError(
            f"{output.name}: this command writes {fmt.value}, not {implied.value}",
            hint=f"name the file {output.stem}.{_extension(fmt)}",
        )


def with_month(path: Path | None, period: Period) -> Path | None:
    """An --output path with {month} replaced by the period's label (2026-10, or 2026)."""
    return None if path is None else Path(str(path).replace(MONTH, period.label))


def month_of(day) -> Period:
    """The month a day falls in: {month} of a command that takes a day (--as-of, --date)."""
    return month(day.year, day.month)


def store_files(report: Report, name: str, output: Path) -> list[tuple[Path, Report]]:
    """Where each part of the report goes: the one file, or with {store} in the path one
    file per store, each holding that store's rows (a list's rows by store_id, gift rows by
    location, `--by store` rows by scope, ALL included)."""
    if STORE not in str(output):
        return [(output, report)]
    from memberkit.render.workbooks import safe_filestore_part

    return [
        (Path(str(output).replace(STORE, safe_filestore_part(store))), part)
        for store, part in store_parts(report, name)
    ]


def store_parts(report: Report, name: str) -> list[tuple[str, Report]]:
    """The report (template `name`) as one report per store, in the order the stores first
    appear; none for an empty list."""
    key = split_key(report, name)
    if key is None:
        return [(report.scope.store, report)]
    groups: dict[str, list[dict]] = {}
    for row in report.rows:
        groups.setdefault(row[key], []).append(row)
    return [(store, part_for(report, rows, store)) for store, rows in groups.items()]


def split_key(report: Report, name: str) -> str | None:
    """The row key that names a row's store; None for a report of one store (--store)."""
    from memberkit.render.templates import load_template

    columns = {c.key for c in load_template(name).columns}
    for key in ("store_id", "location"):
        if key in columns:
            return key
    if report.scope.by == "store":
        return "scope"
    if report.scope.store is not None:
        return None
    raise UsageError(
        f"{STORE} in --output needs rows by store: add --by store or --store ID",
        hint=f"{name} without them has one row for "
        f"{report.scope.label}; {STORE} names one file per store",
    )


def part_for(report: Report, rows: list[dict], store: str) -> Report:
    """One store's rows, titled with the store as its scope (ALL stays the company's)."""
    scope = Scope() if store == "ALL" and report.scope.by else Scope(store=store)
    return replace(report, scope=scope, rows=rows)


def cut_like(base: Report, part: Report, name: str) -> Report:
    """A comparison base (last month, last year) cut to the store of `part`."""
    key = split_key(base, name)
    if key is None:
        return base
    store = part.scope.store or "ALL"
    return part_for(base, [r for r in base.rows if r.get(key) == store], store)
