"""The workbook's formats and cells: labels in zh/en, cell styles, one cell written by its
format ('—' for undefined figures, text from outside always as text), column widths that fit
Chinese text."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import xlsxwriter

from memberkit.render import Cell
from memberkit.render.templates import NUMBER_FORMATS
from memberkit.reports import Report


@dataclass
class Sheet:
    report: Report
    template: str  # template name, e.g. 'spend-bands'
    # For comparison charts: the same report over the previous month and a year earlier.
    bases: dict[str, Report] = field(default_factory=dict)
    name: str | None = None  # the sheet's name, if not the template's
    counts: list[tuple[str, int]] = field(default_factory=list)  # a count block after the table
    charts: bool = True  # the template's charts (a sheet repeating another's figures: none)


@dataclass
class WorkbookInfo:
    data_through: date | None
    generated_at: datetime


@lru_cache(maxsize=65536)  # a list's names and ids recur from sheet to sheet
def display_width(text: str) -> int:
    """Columns a string takes on screen: CJK characters count double."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Styles:
    def __init__(self, workbook: xlsxwriter.Workbook):
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({"font_color": "#595959"})
        self.note = workbook.add_format(
            {"italic": True, "font_color": "#7F6000", "text_wrap": True, "valign": "top"}
        )
        self.header = workbook.add_format(
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
            }
        )
        self.missing = workbook.add_format(
            {"align": "center", "font_color": "#808080", "border": 1}
        )
        self.text = workbook.add_format({"border": 1})
        self.numbers = {
            fmt: workbook.add_format({"num_format": code, "border": 1})
            for fmt, code in NUMBER_FORMATS.items()
        }

    def of(self, fmt: str):
        return self.numbers.get(fmt, self.text)


def write_cell(ws, row: int, col: int, cell: Cell, styles: Styles) -> None:
    value = cell.value
    if value is None:
        ws.write_string(row, col, "—", styles.missing)
    elif cell.format in NUMBER_FORMATS and cell.format != "date":
        ws.write_number(
            row, col, float(value) if isinstance(value, Decimal) else value, styles.of(cell.format)
        )
    elif isinstance(value, datetime | date):
        moment = (
            value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        )
        ws.write_datetime(row, col, moment, styles.of("date"))
    else:
        ws.write_string(row, col, str(value), styles.text)


def set_width(ws, col: int, width: float) -> None:
    """Set a column's width and remember it (xlsxwriter cannot tell it back)."""
    ws.memberkit_widths = {**getattr(ws, "memberkit_widths", {}), col: width}
    ws.set_column(col, col, width)


def widen(ws, col: int, width: float) -> None:
    if getattr(ws, "memberkit_widths", {}).get(col, 0) < width:
        set_width(ws, col, width)
