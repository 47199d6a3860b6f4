"""Workbooks (XLSX/XLS) as the CSV the loader reads, and header rows below title rows.

SPEC 3.1: every sheet that holds data is read when its header row matches the kind; a sheet
with data whose header does not match refuses the file, unless --sheet picks the sheets.
Sheets may order their columns differently: the CSV written holds the kind's columns in one
order. A number typed into an id, phone or code column is taken as its digits, unless the
float lost digits (above 2^53) or has a fraction: that row is rejected by the conversion.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

from memberkit.errors import InputRejected, UsageError, printable, quoted
from memberkit.ingest.headers import map_header, normalise_header
from memberkit.ingest.kinds import Kind

TITLE_ROWS = 30  # a header further down than this is not looked for
EXACT_FLOAT = 2**53  # above it a float no longer holds every whole number


@dataclass(frozen=True)
class HeaderRule:
    """What a header row of the kind looks like, to find it below title rows."""

    known: frozenset[str]  # normalised names the kind reads (aliases and --mapping included)
    required: tuple[frozenset[str], ...]  # for each required column, the names meaning it

    @classmethod
    def of(cls, kind: Kind, extra: dict[str, str]) -> HeaderRule:
        names = {c.name: {c.name.lower(), *(a.lower() for a in c.aliases)} for c in kind.columns}
        for header, target in extra.items():
            names[target].add(header)
        return cls(
            known=frozenset(n for group in names.values() for n in group),
            required=tuple(frozenset(names[c.name]) for c in kind.columns if c.required),
        )

    def rank(self, row: Sequence[str]) -> int:
        """2: names every required column; 1: holds some name of the kind; 0: neither."""
        cells = {normalise_header(v) for v in row if v}
        if not cells & self.known:
            return 0
        return 2 if all(cells & names for names in self.required) else 1

    def find(self, rows: Sequence[Sequence[str]]) -> int | None:
        """The header among the first rows: the first naming every required column, else the
        first naming any column of the kind, else the first that is not blank."""
        head = list(rows[:TITLE_ROWS])
        ranks = [self.rank(r) if any(v.strip() for v in r) else -1 for r in head]
        for wanted in (2, 1, 0):
            if wanted in ranks:
                return ranks.index(wanted)
        return None


@dataclass
class Workbook:
    """The CSV written from a workbook, and where each of its records came from."""

    header: list[str]
    sheet_rows: list[int]  # the sheet row of each data record
    record_sheets: list[int]  # the index (into `labels`) of each data record's sheet
    sheet_names: list[str]  # the sheets read
    name_sheets: bool  # name the sheet in messages and rejects (more than one holds data)
    # data record number (1-based) -> (column, reason, raw cell) of rows the conversion
    # rejects; each is written with one field too many, so that DuckDB's reader rejects it
    # and it counts like any other reject
    rejects: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    encoding: str = "xlsx"


def convert_workbook(
    source: BinaryIO,
    path: Path,
    target: Path,
    kind: Kind,
    extra: dict[str, str],
    picked: list[str] | None,
) -> Workbook:
    from python_calamine import CalamineWorkbook

    label = printable(str(path))
    try:
        source.seek(0)
        workbook = CalamineWorkbook.from_filelike(source)
        names = [m.name for m in workbook.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        wanted = _picked(names, picked, label) if picked else names
        grids = {n: workbook.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wanted}
    except (InputRejected, UsageError):
        raise
    except Exception as exc:
        raise InputRejected(f"{label}: cannot be read as a workbook: {exc}") from None
    texts = {n: [[_cell_text(v) for v in row] for row in grid] for n, grid in grids.items()}
    with_data = [n for n in wanted if any(v.strip() for row in texts[n] for v in row)]
    if not with_data:
        which = "the sheets picked are" if picked else "every sheet is"
        raise InputRejected(f"{label}: {which} empty")
    name_sheets = len(with_data) > 1 or bool(picked)
    rule = HeaderRule.of(kind, extra)
    sheets = []
    for name in with_data:
        sheet_label = f"{label} [{printable(name)}]" if name_sheets or len(names) > 1 else label
        at = rule.find(texts[name])
        assert at is not None  # the sheet holds data
        header = [h.strip() for h in texts[name][at]]
        try:
            positions, ignored = map_header(header, kind, sheet_label, extra)
        except InputRejected as exc:
            if len(names) == 1:
                raise
            others = ", ".join(quoted(n) for n in names)
            pick = f"pick the sheets to load with --sheet NAME (its sheets: {others})"
            raise InputRejected(
                f"{exc.message}; nothing was loaded",
                hint=exc.hint if picked else f"{exc.hint}; or {pick}" if exc.hint else pick,
            ) from None
        sheets.append((name, sheet_label, at, positions, ignored))
    columns = set(sheets[0][3])
    for _, sheet_label, _, positions, _ in sheets[1:]:
        if set(positions) != columns:
            differ = sorted(columns ^ set(positions))
            raise InputRejected(
                f"{sheet_label}: its columns differ from those of {sheets[0][1]} "
                f"({', '.join(differ)}); nothing was loaded",
                hint="load the sheets one at a time with --sheet NAME",
            )
    # one header for every sheet: the kind's columns, then the columns it does not read
    header = [c.name for c in kind.columns if c.name in columns]
    unknown: list[str] = []
    for *_, ignored in sheets:
        unknown += [h for h in ignored if h not in unknown]
    result = Workbook(header + unknown, [], [], [s[0] for s in sheets], name_sheets)
    ids = {c.name for c in kind.columns if c.type == "text" and not c.free_text}
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.header)
        for index, (name, sheet_label, at, positions, _) in enumerate(sheets):
            if at:
                result.notes.append(
                    f"{sheet_label}: row{'s 1–' if at > 1 else ' '}{at} above the header "
                    f"(row {at + 1}) {'are' if at > 1 else 'is'} not data and "
                    f"{'were' if at > 1 else 'was'} skipped"
                )
            order = [positions.get(c) for c in header]
            own = [h.strip() for h in texts[name][at]]
            order += [own.index(h) if h in own else None for h in unknown]
            cells, values = grids[name], texts[name]
            for i in range(at + 1, len(values)):
                if not any(v.strip() for v in values[i]):
                    continue
                row = [values[i][j] if j is not None and j < len(values[i]) else "" for j in order]
                problem = None
                for column, j in zip(result.header, order, strict=True):
                    if column in ids and j is not None and j < len(cells[i]):
                        text, problem = _id_text(cells[i][j])
                        if problem:
                            result.rejects[len(result.sheet_rows) + 1] = (column, problem, text)
                            break
                        row[result.header.index(column)] = text
                writer.writerow(row + ["(rejected)"] if problem else row)
                result.sheet_rows.append(i + 1)
                result.record_sheets.append(index)
    return result


def _picked(names: list[str], picked: list[str], label: str) -> list[str]:
    wanted = []
    for name in picked:
        match = next((n for n in names if n == name), None) or next(
            (n for n in names if n.strip().lower() == name.strip().lower()), None
        )
        if match is None:
            raise UsageError(
                f"--sheet: {label} has no sheet named {quoted(name)}",
                hint=f"its sheets: {', '.join(quoted(n) for n in names)}",
            )
        if match not in wanted:
            wanted.append(match)
    return [n for n in names if n in wanted]  # in the workbook's order


def _id_text(value: object) -> tuple[str, str | None]:
    """An id, phone or code cell as text; a number that cannot be one comes with a reason."""
    if isinstance(value, float) and not isinstance(value, bool):
        shown = repr(value)
        if not math.isfinite(value) or not value.is_integer():
            return shown, f"the number {shown} has a fraction; ids and codes are whole"
        if abs(value) > EXACT_FLOAT:
            return (
                shown,
                f"the number {value:.0f} is above 2^53: the spreadsheet kept only its first "
                "15-17 digits (format the column as text and export again)",
            )
        return str(int(value)), None
    return _cell_text(value), None


def _cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold (phones typed as numbers lose '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)
