"""Reports as Excel workbooks that look like the handbook's forms, from their templates.

Each sheet: a title row, a line with period, scope and data freshness, a frozen header with
an autofilter, number formats from the template, '—' for undefined figures, widths that fit
Chinese text, landscape printing one page wide, and the template's charts beside a small
chart-data block. Text from outside (names, notes) is always written as text.

Here: the workbook, its sheets, count block and cover; the formats and cells are in
excel_format, the charts in excel_charts, sheet names in sheet_names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from memberkit.files import atomic_output
from memberkit.render import Cell, flatten, format_value
from memberkit.render.excel_charts import add_chart
from memberkit.render.excel_format import (
    Sheet,
    Styles,
    WorkbookInfo,
    display_width,
    set_width,
    widen,
    write_cell,
)
from memberkit.render.sheet_names import unique_sheet_name
from memberkit.render.templates import (
    NUMBER_FORMATS,
    Lang,
    Template,
    load_template,
    load_words,
    scope_name,
    with_code_labels,
)
from memberkit.reports import Report

CONSTANT_MEMORY_ROWS = 10_000  # bigger sheets stream to disk: memory stays flat
HEADER_ROW = 3


def write_workbook(
    path: Path,
    sheets: list[Sheet],
    lang: Lang,
    info: WorkbookInfo,
    cover: list[tuple[str, Any]] | None = None,
) -> None:
    """Write the workbook to a temporary file beside `path`, then rename it into place."""
    templates = [load_template(s.template) for s in sheets]
    private = any(c.format == "phone" for t in templates for c in t.columns)
    big = any(len(s.report.rows) > CONSTANT_MEMORY_ROWS for s in sheets)
    with atomic_output(path, private=private, suffix=".xlsx") as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                # names and notes come from outside: never turn them into formulas or links
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "constant_memory": big,
                "default_date_format": NUMBER_FORMATS["date"],
            },
        )
        styles = Styles(workbook)
        used: set[str] = set()
        if cover:
            _write_cover(workbook, styles, cover, lang, used)
        for sheet, template in zip(sheets, templates, strict=True):
            _write_sheet(workbook, styles, sheet, template, lang, info, used)
        workbook.close()


def _subtitle(report: Report, lang: Lang, info: WorkbookInfo) -> str:
    words = load_words(lang)
    scope = scope_name(report.scope, lang)
    # a split by something other than the store tree (complaints by category) is a detail
    by = report.scope.by or report.split
    if by:
        scope += words["aside"].format(words["by"].format(words[by]))
    through = info.data_through.isoformat() if info.data_through else "—"
    sep, colon = words["gap"], words["colon"]
    return sep.join(
        [
            f"{words['period']}{colon}{report.period.label}",
            f"{words['scope']}{colon}{scope}",
            f"{words['through']}{colon}{through}",
            f"{words['generated']}{colon}{info.generated_at:%Y-%m-%d %H:%M}",
        ]
    )


def _write_sheet(
    workbook,
    styles,
    sheet: Sheet,
    template: Template,
    lang: Lang,
    info: WorkbookInfo,
    used: set[str],
) -> None:
    report = with_code_labels(sheet.report, template, lang)  # codes by their labels (SPEC 6)
    ws = workbook.add_worksheet(unique_sheet_name(sheet.name or template.sheet_name(lang), used))
    rows = [flatten(row, template, lang) for row in report.rows]
    transpose = template.transpose_single_row and len(rows) == 1
    if transpose:
        words = load_words(lang)
        header = [words["figure"], words["value"]]
        body = [[Cell("figure", "", "text", c.label), c] for c in rows[0]]
    else:
        header_cells = rows[0] if rows else flatten({}, template, lang)
        header = [c.label for c in header_cells]
        body = rows
    ncols = max(len(header), 1)

    title = template.title_text(lang, report.period.start, report.where)
    title = load_words(lang)["form_title"].format(title)
    ws.write_string(0, 0, title, styles.title)
    ws.write_string(1, 0, _subtitle(report, lang, info), styles.subtitle)
    for col, label in enumerate(header):
        ws.write_string(HEADER_ROW, col, label, styles.header)
    for r, cells in enumerate(body, start=HEADER_ROW + 1):
        for col, cell in enumerate(cells):
            write_cell(ws, r, col, cell, styles)
    last_row = HEADER_ROW + max(len(body), 1)

    widths = [display_width(h) for h in header]
    for cells in body[:2000]:  # a sample is enough to size a column
        for col, cell in enumerate(cells):
            text = format_value(cell.value, cell.format)
            widths[col] = max(widths[col], display_width(text))
    for col, width in enumerate(widths):
        set_width(ws, col, min(max(width + 2, 8), 60))
    ws.set_row(HEADER_ROW, 32 if any(display_width(h) > 16 for h in header) else None)
    ws.freeze_panes(HEADER_ROW + 1, 1 if not transpose else 0)
    ws.autofilter(HEADER_ROW, 0, last_row - (0 if body else 1), ncols - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)

    place = last_row + 2
    if sheet.counts:
        place = _write_counts(ws, styles, sheet.counts, lang, place)
    for chart in template.charts:
        place = add_chart(workbook, ws, styles, sheet, template, chart, lang, place)


def _write_counts(ws, styles, counts: list[tuple[str, int]], lang: Lang, place: int) -> int:
    """A small table of counts (members per store) below the main table."""
    words = load_words(lang)
    ws.write_string(place, 0, words["count_store"], styles.header)
    ws.write_string(place, 1, words["count_members"], styles.header)
    for r, (label, count) in enumerate(counts, start=place + 1):
        ws.write_string(r, 0, label, styles.text)
        ws.write_number(r, 1, count, styles.of("count"))
    widen(ws, 0, max(display_width(label) for label, _ in counts) + 2)
    return place + len(counts) + 3


def _write_cover(
    workbook, styles, cover: list[tuple[str, Any]], lang: Lang, used: set[str]
) -> None:
    ws = workbook.add_worksheet(unique_sheet_name(load_words(lang)["cover"], used))
    ws.write_string(0, 0, cover[0][1] if cover else "", styles.title)
    for r, (label, value) in enumerate(cover[1:], start=2):
        ws.write_string(r, 0, label, styles.header)
        cell = Cell("", label, "count" if isinstance(value, int) else "text", value)
        write_cell(ws, r, 1, cell, styles)
    width = max((display_width(str(v)) for _, v in cover[1:]), default=20)
    ws.set_column(0, 0, max(display_width(label) for label, _ in cover) + 4)
    ws.set_column(1, 1, min(width + 4, 90))
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
