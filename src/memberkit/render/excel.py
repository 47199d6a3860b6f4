"""Reports as Excel workbooks that look like the handbook's forms, from their templates.

Each sheet: a title row, a line with period, scope and data freshness, a frozen header with
an autofilter, number formats from the template, '—' for undefined figures, widths that fit
Chinese text, landscape printing one page wide, and the template's charts beside a small
chart-data block. Text from outside (names, notes) is always written as text.

Here: the workbook, its sheets, count block and cover; the formats and cells are in
excel_format, the charts in excel_charts, sheet names in sheet_names.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import xlsxwriter

from memberkit.files import atomic_output
from memberkit.render import Cell, flatten, format_value
from memberkit.render.excel_charts import add_chart, chart_rows
from memberkit.render.excel_format import (
    Sheet,
    Styles,
    WorkbookInfo,
    display_width,
    set_width,
    widen,
    write_cell,
)
from memberkit.render.excel_rows import (
    SAMPLE,
    column_values,
    quick_deflate,
    relabelled,
    value_widths,
    write_rows,
)
from memberkit.render.sheet_names import unique_sheet_name
from memberkit.render.templates import (
    NUMBER_FORMATS,
    Lang,
    Template,
    code_label_maps,
    footnotes,
    load_template,
    load_words,
    scope_name,
    with_code_labels,
)
from memberkit.reports import Report

CONSTANT_MEMORY_ROWS = 10_000  # bigger sheets stream to disk: memory stays flat
HEADER_ROW = 3
# A4 landscape holds about 112 characters of Calibri 11 between the default margins (as
# LibreOffice prints a sheet: measured on its PDF); a wider table is shrunk to fit, down to
# 60% (type of 6.5 points), and beyond that goes on over more pages, its first column on each.
PAGE_WIDTH = 112
READABLE_SCALE = 0.6
PAGE_ROWS = 34  # rows of 15 points down an A4 landscape page at 100%


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
        with quick_deflate() if big else nullcontext():
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


def _layout(
    sheet: Sheet, template: Template, lang: Lang
) -> tuple[list[str], list[list[Cell]], bool]:
    """The header, the body and whether the sheet lies on its side (figures as rows).

    A template that asks for it (spending power: stores across, so that fourteen figures
    print readably) and a single row wider than a page are transposed: one line per figure,
    one column per row of the report."""
    rows = [flatten(row, template, lang) for row in sheet.report.rows]
    header_cells = rows[0] if rows else flatten({}, template, lang)
    header = [c.label for c in header_cells]
    single = len(rows) == 1 and (
        template.transpose_single_row or sum(_columns(header, rows)[1]) > PAGE_WIDTH
    )
    if not (single or (template.figures_down and rows)):
        return header, rows, False
    words = load_words(lang)
    if single:
        across = [words["value"]]
    else:  # each row's first cell (its scope) heads its column
        across = [format_value(cells[0].value, cells[0].format) for cells in rows]
        rows = [cells[1:] for cells in rows]
    body = [
        [Cell("figure", "", "text", row_cells[0].label), *row_cells]
        for row_cells in zip(*rows, strict=True)
    ]
    return [words["figure"], *across], body, True


def _columns(
    header: list[str], body: list[list[Cell]], whole: bool = False
) -> tuple[list[str], list[int]]:
    """The header as written (a long label on two lines, see _header_lines, unless `whole`)
    and each column's width in characters: its widest value (a sample is enough) or label
    line."""
    values = [0] * len(header)
    for cells in body[:SAMPLE]:
        for col, cell in enumerate(cells):
            text = format_value(cell.value, cell.format)
            values[col] = max(values[col], display_width(text))
    return _labels_widths(header, values, whole)


def _labels_widths(
    header: list[str], values: list[int], whole: bool
) -> tuple[list[str], list[int]]:
    labels = [
        label if whole else _header_lines(label, width)
        for label, width in zip(header, values, strict=True)
    ]
    widths = [
        min(max(width + 2, *(display_width(line) + 2 for line in label.split("\n")), 8), 60)
        for label, width in zip(labels, values, strict=True)
    ]
    return labels, widths


def _header_lines(label: str, values: int) -> str:
    """A label much wider than its column's values, on two lines split where they come out
    most even: at its space ("消费100-300元 / 人数"), else between two characters that are
    not both Latin ("有消费 / 会员数"); without the break it reads as the label. The break is
    written into the label because a wrap by width leaves one character on the second line
    as soon as the font is a little wider than reckoned ("有消费会员 / 数")."""
    if display_width(label) < 10 or display_width(label) <= values + 2:
        return label
    if " " in label:
        cuts = [i for i, ch in enumerate(label) if ch == " "]
        pieces = [(label[: i + 1], label[i + 1 :]) for i in cuts]  # the space stays
    else:
        cuts = [
            i for i in range(1, len(label)) if not (label[i - 1].isascii() and label[i].isascii())
        ]
        pieces = [(label[:i], label[i:]) for i in cuts]
    if not pieces:
        return label
    left, right = min(pieces, key=lambda p: max(display_width(p[0]), display_width(p[1])))
    return f"{left}\n{right}"


def _page_rows(widths: list[int]) -> int:
    """About how many rows a page holds at the scale the sheet prints at."""
    scale = min(1.0, PAGE_WIDTH * _pages_wide(widths) / max(sum(widths), 1))
    return int(PAGE_ROWS / scale)


def _page_columns(widths: list[int]) -> int:
    """How many of the first columns print on the first page."""
    room, used = sum(widths) / _pages_wide(widths), 0
    for count, width in enumerate(widths, start=1):
        used += width
        if used > room + 0.5:
            return max(count - 1, 1)
    return len(widths)


def _pages_wide(widths: list[int]) -> int:
    return max(1, math.ceil(sum(widths) / (PAGE_WIDTH / READABLE_SCALE)))


def _print_setup(ws, widths: list[int], transposed: bool) -> None:
    """A4 landscape, fitted to as few pages wide as keeps the type readable (never below
    about 60%): a wider table goes on over more pages, its first column on each."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    pages = _pages_wide(widths)
    ws.fit_to_pages(pages, 0)
    if not transposed:  # a list runs on over pages; a sheet's figures do not
        ws.repeat_rows(HEADER_ROW)
    if pages > 1:  # the table's pages side by side first, then what stands below it
        ws.repeat_columns(0)
        ws.print_across()


def _write_sheet(
    workbook,
    styles,
    sheet: Sheet,
    template: Template,
    lang: Lang,
    info: WorkbookInfo,
    used: set[str],
) -> None:
    # a big list streams: its rows go to the file as XML a chunk at a time (excel_rows)
    stream = workbook.constant_memory and _streams(sheet.report, template)
    codes = code_label_maps(sheet.report, template, lang)  # codes by their labels (SPEC 6)
    report = sheet.report if stream else with_code_labels(sheet.report, template, lang)
    sheet = replace(sheet, report=report)
    ws = workbook.add_worksheet(unique_sheet_name(sheet.name or template.sheet_name(lang), used))
    keys, formats = [c.key for c in template.columns], [c.format for c in template.columns]
    if stream:
        header, body, transposed = [c.label.in_(lang) for c in template.columns], [], False
        sample = relabelled(column_values(report.rows[:SAMPLE], keys), keys, codes)
        labels, widths = _labels_widths(header, value_widths(sample, formats), whole=False)
    else:
        header, body, transposed = _layout(sheet, template, lang)
        # a sheet on its side is headed by the names of its stores, regions or channels: whole
        labels, widths = _columns(header, body, whole=transposed)
    ncols = max(len(header), 1)

    title = template.title_text(lang, report.period.start, report.where)
    title = load_words(lang)["form_title"].format(title)
    ws.write_string(0, 0, title, styles.title)
    ws.write_string(1, 0, _subtitle(report, lang, info), styles.subtitle)
    # before the rows: in constant-memory mode a row's height is fixed once it is left
    ws.set_row(HEADER_ROW, 32 if any("\n" in label for label in labels) else None)
    for col, label in enumerate(labels):
        ws.write_string(HEADER_ROW, col, label, styles.header)
    for r, cells in enumerate(body, start=HEADER_ROW + 1):
        for col, cell in enumerate(cells):
            write_cell(ws, r, col, cell, styles)
    if stream:
        write_rows(ws, styles, HEADER_ROW + 1, report.rows, keys, formats, codes)
    rows = len(report.rows) if stream else len(body)
    last_row = HEADER_ROW + max(rows, 1)

    for col, width in enumerate(widths):
        set_width(ws, col, width)
    ws.freeze_panes(HEADER_ROW + 1, 1 if not transposed or ncols > 2 else 0)
    if not transposed:  # a filter on figure names would help no one
        ws.autofilter(HEADER_ROW, 0, last_row - (0 if rows else 1), ncols - 1)
    _print_setup(ws, widths, transposed)

    for note in footnotes(report, template, lang):  # why a figure reads oddly, where it does
        last_row += 1
        _write_note(ws, last_row, load_words(lang)["footnote"].format(note), widths, styles)
    place = last_row + 2
    if sheet.counts:
        place = _write_counts(ws, styles, sheet.counts, lang, place)
    if sheet.charts and template.charts:
        # a table on its side one value wide is narrow: its charts stand beside it, on the
        # same page; under a table, they start a page if they would not fit on its last one
        # (not when rows stream to disk: a row written is gone)
        narrow = transposed and ncols == 2 and not workbook.constant_memory
        place, col = (HEADER_ROW, ncols + 1) if narrow else (place, 0)
        below = sum(chart_rows(chart) for chart in template.charts)
        if col == 0 and place + below > _page_rows(widths):
            ws.set_h_pagebreaks([place])
        for chart in template.charts:
            place = add_chart(workbook, ws, styles, sheet, template, chart, lang, place, col)


def _streams(report: Report, template: Template) -> bool:
    """A list of rows as they are: no lists inside rows, not on its side (see _layout)."""
    return len(report.rows) > 1 and not template.groups and not template.figures_down


def _write_note(ws, row: int, text: str, widths: list[int], styles: Styles) -> None:
    """A note wrapped within the first page's width, under the table."""
    span = _page_columns(widths)
    room = sum(widths[:span])
    if span > 1:
        ws.merge_range(row, 0, row, span - 1, text, styles.note)
    else:
        ws.write_string(row, 0, text, styles.note)
    ws.set_row(row, 15 * math.ceil(display_width(text) * 1.1 / room))


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
