"""Reports as Excel workbooks that look like the handbook's forms, from their templates.

Each sheet: a title row, a line with period, scope and data freshness, a frozen header with
an autofilter, number formats from the template, '—' for undefined figures, widths that fit
Chinese text, landscape printing one page wide, and the template's charts beside a small
chart-data block. Text from outside (names, notes) is always written as text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from memberkit.files import atomic_output
from memberkit.render import Cell, flatten, format_value
from memberkit.render.templates import NUMBER_FORMATS, Chart, Lang, Template, load_template
from memberkit.reports import Report

CONSTANT_MEMORY_ROWS = 10_000  # bigger sheets stream to disk: memory stays flat
HEADER_ROW = 3
_WORDS = {
    "zh": {
        "period": "期间",
        "scope": "范围",
        "by": "按{}",
        "store": "门店",
        "region": "区域",
        "category": "投诉类别",
        "channel": "渠道",
        "through": "数据截至",
        "generated": "生成于",
        "figure": "指标",
        "value": "数值",
        "current": "本期",
        "mom": "上月",
        "yoy": "去年同期",
        "chart_data": "图表数据",
    },
    "en": {
        "period": "Period",
        "scope": "Scope",
        "by": "by {}",
        "store": "store",
        "region": "region",
        "category": "category",
        "channel": "channel",
        "through": "Data through",
        "generated": "Generated",
        "figure": "Figure",
        "value": "Value",
        "current": "This period",
        "mom": "Last month",
        "yoy": "Last year",
        "chart_data": "Chart data",
    },
}


@dataclass
class Sheet:
    report: Report
    template: str  # template name, e.g. 'spend-bands'
    # For comparison charts: the same report over the previous month and a year earlier.
    bases: dict[str, Report] = field(default_factory=dict)
    name: str | None = None  # the sheet's name, if not the template's
    counts: list[tuple[str, int]] = field(default_factory=list)  # a count block after the table


@dataclass
class WorkbookInfo:
    data_through: date | None
    generated_at: datetime


def display_width(text: str) -> int:
    """Columns a string takes on screen: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


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
        styles = _Styles(workbook)
        used: set[str] = set()
        if cover:
            _write_cover(workbook, styles, cover, lang, used)
        for sheet, template in zip(sheets, templates, strict=True):
            _write_sheet(workbook, styles, sheet, template, lang, info, used)
        workbook.close()


class _Styles:
    def __init__(self, workbook: xlsxwriter.Workbook):
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({"font_color": "#595959"})
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


SHEET_NAME_LIMIT = 31  # Excel counts UTF-16 units
_NOT_IN_SHEET_NAMES = frozenset("[]:*?/\\")


def unique_sheet_name(name: str, used: set[str]) -> str:
    """`name` as Excel accepts a sheet name, unique among `used` (which it joins).

    Store ids and names come from outside. A character Excel refuses ([]:*?/\\), anything not
    printable but a space (a control character is not even valid in the workbook's XML; a
    bidi override would reverse the tab's text) and an apostrophe at either end become '_'.
    The name is cut to 31 UTF-16 units; one that is taken (case-insensitively, as Excel
    compares them) or is "History" (which Excel reserves) gets " (2)", " (3)", ... Every
    sheet of every workbook is named here."""
    clean = "".join("_" if ch in _NOT_IN_SHEET_NAMES or not _shows(ch) else ch for ch in name)
    clean = _unquoted(_cut(_unquoted(clean), SHEET_NAME_LIMIT)) or "Sheet"
    candidate, n = clean, 2
    while candidate.casefold() in used or candidate.casefold() == "history":
        suffix = f" ({n})"
        candidate, n = _cut(clean, SHEET_NAME_LIMIT - len(suffix)) + suffix, n + 1
    used.add(candidate.casefold())
    return candidate


def _shows(ch: str) -> bool:
    return ch.isprintable() or unicodedata.category(ch) == "Zs"  # U+3000 is a space too


def _unquoted(name: str) -> str:
    """Excel refuses a sheet name that starts or ends with an apostrophe."""
    if name.startswith("'"):
        name = "_" + name[1:]
    if name.endswith("'"):
        name = name[:-1] + "_"
    return name


def _cut(text: str, units: int) -> str:
    """The longest start of `text` that is at most `units` UTF-16 units (an emoji is two),
    never half a character."""
    total = 0
    for i, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > units:
            return text[:i]
    return text


def _write_cell(ws, row: int, col: int, cell: Cell, styles: _Styles) -> None:
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


def _subtitle(report: Report, lang: Lang, info: WorkbookInfo) -> str:
    words = _WORDS[lang]
    scope = report.scope.label
    # a split by something other than the store tree (complaints by category) is a detail
    by = report.scope.by or report.details.get("by")
    if by:
        scope += (
            f"（{words['by'].format(words[by])}）"
            if lang == "zh"
            else (f" ({words['by'].format(words[by])})")
        )
    through = info.data_through.isoformat() if info.data_through else "—"
    sep = "　" if lang == "zh" else "   "
    colon = "：" if lang == "zh" else ": "
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
    report = sheet.report
    ws = workbook.add_worksheet(unique_sheet_name(sheet.name or template.sheet_name(lang), used))
    rows = [flatten(row, template, lang) for row in report.rows]
    transpose = template.transpose_single_row and len(rows) == 1
    if transpose:
        words = _WORDS[lang]
        header = [words["figure"], words["value"]]
        body = [[Cell("figure", "", "text", c.label), c] for c in rows[0]]
    else:
        header_cells = rows[0] if rows else flatten({}, template, lang)
        header = [c.label for c in header_cells]
        body = rows
    ncols = max(len(header), 1)

    title = template.title_text(lang, report.period.start, report.details.get("where", ""))
    title = f"《{title}》" if lang == "zh" else title
    ws.write_string(0, 0, title, styles.title)
    ws.write_string(1, 0, _subtitle(report, lang, info), styles.subtitle)
    for col, label in enumerate(header):
        ws.write_string(HEADER_ROW, col, label, styles.header)
    for r, cells in enumerate(body, start=HEADER_ROW + 1):
        for col, cell in enumerate(cells):
            _write_cell(ws, r, col, cell, styles)
    last_row = HEADER_ROW + max(len(body), 1)

    widths = [display_width(h) for h in header]
    for cells in body[:2000]:  # a sample is enough to size a column
        for col, cell in enumerate(cells):
            text = format_value(cell.value, cell.format)
            widths[col] = max(widths[col], display_width(text))
    for col, width in enumerate(widths):
        _set_width(ws, col, min(max(width + 2, 8), 60))
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
        place = _add_chart(workbook, ws, styles, sheet, template, chart, lang, place)


def _chart_rows(sheet: Sheet, template: Template, chart: Chart, lang: Lang):
    """The rows a chart plots, (category, {series: value}, number format), and the series."""
    words = _WORDS[lang]
    if chart.kind == "group":
        if not sheet.report.rows:
            return [], []
        total = sheet.report.rows[-1]  # the ALL row with --by, else the only row
        group = next(g for g in template.groups if g.key == chart.group)
        field_def = next(f for f in group.fields if f.key == chart.field)
        series = [field_def.label.in_(lang)]
        rows = [
            (
                group.item_name(item["label"], lang),
                {series[0]: item.get(chart.field)},
                field_def.format,
            )
            for item in total.get(chart.group) or []
        ]
        return rows, series
    periods = {"current": sheet.report, **sheet.bases}
    keys = [p for p in ("current", "mom", "yoy") if p in periods]
    series = [words[p] for p in keys]
    columns = {c.key: c for c in template.columns}
    rows = []
    for figure in chart.figures:
        values = {
            words[key]: periods[key].rows[-1].get(figure) for key in keys if periods[key].rows
        }
        rows.append((columns[figure].label.in_(lang), values, columns[figure].format))
    return rows, series


def _add_chart(workbook, ws, styles, sheet, template, chart: Chart, lang, place: int) -> int:
    """Write the chart's data block at row `place`, insert the chart; return the next row."""
    data, series = _chart_rows(sheet, template, chart, lang)
    if not data:
        return place
    words = _WORDS[lang]
    colon = "：" if lang == "zh" else ": "
    ws.write_string(
        place, 0, f"{words['chart_data']}{colon}{chart.title.in_(lang)}", styles.subtitle
    )
    head = place + 1
    ws.write_string(head, 0, "", styles.header)
    for s, name in enumerate(series, start=1):
        ws.write_string(head, s, name, styles.header)
    for r, (category, values, fmt) in enumerate(data, start=head + 1):
        ws.write_string(r, 0, category, styles.text)
        for s, name in enumerate(series, start=1):
            value = values.get(name)
            if value is None:
                ws.write_string(r, s, "—", styles.missing)
            else:
                ws.write_number(r, s, float(value), styles.of(fmt))
    for s in range(1, len(series) + 1):  # the block's numbers need room in narrow columns
        _widen(ws, s, 14)
    first, last = head + 1, head + len(data)
    sheet_name = ws.get_name()
    if chart.kind == "comparison":
        # one small chart per figure: sales and tickets do not share a scale
        for i, (category, _values, fmt) in enumerate(data):
            number_format = NUMBER_FORMATS.get(fmt, "#,##0")
            figure_chart = workbook.add_chart({"type": "column"})
            figure_chart.add_series(
                {
                    "name": category,
                    "categories": [sheet_name, head, 1, head, len(series)],
                    "values": [sheet_name, first + i, 1, first + i, len(series)],
                    "data_labels": {"value": True, "num_format": number_format},
                }
            )
            figure_chart.set_title({"name": category, "name_font": {"size": 11}})
            figure_chart.set_legend({"none": True})
            figure_chart.set_y_axis({"min": 0, "num_format": number_format})
            figure_chart.set_size({"width": 360, "height": 240})
            ws.insert_chart(head + (i // 2) * 13, len(series) + 2 + (i % 2) * 6, figure_chart)
        return last + 2 + max(0, 26 - len(data))
    number_format = NUMBER_FORMATS.get(data[0][2], "#,##0")
    plot = workbook.add_chart({"type": chart.type})
    for s, name in enumerate(series, start=1):
        plot.add_series(
            {
                "name": name,
                "categories": [sheet_name, first, 0, last, 0],
                "values": [sheet_name, first, s, last, s],
                "data_labels": {
                    "value": True,
                    "percentage": chart.type == "pie",
                    "num_format": number_format,
                },
            }
        )
    plot.set_title({"name": chart.title.in_(lang)})
    if chart.type != "pie":
        plot.set_legend({"none": True})
        plot.set_y_axis({"min": 0, "num_format": number_format})
    plot.set_size({"width": 520, "height": 300})
    ws.insert_chart(head, len(series) + 2, plot)
    return max(last + 2, head + 17)


def _write_counts(ws, styles, counts: list[tuple[str, int]], lang: Lang, place: int) -> int:
    """A small table of counts (members per store) below the main table."""
    ws.write_string(place, 0, "门店" if lang == "zh" else "Store", styles.header)
    ws.write_string(place, 1, "人数" if lang == "zh" else "Members", styles.header)
    for r, (label, count) in enumerate(counts, start=place + 1):
        ws.write_string(r, 0, label, styles.text)
        ws.write_number(r, 1, count, styles.of("count"))
    _widen(ws, 0, max(display_width(label) for label, _ in counts) + 2)
    return place + len(counts) + 3


def _set_width(ws, col: int, width: float) -> None:
    """Set a column's width and remember it (xlsxwriter cannot tell it back)."""
    ws.memberkit_widths = {**getattr(ws, "memberkit_widths", {}), col: width}
    ws.set_column(col, col, width)


def _widen(ws, col: int, width: float) -> None:
    if getattr(ws, "memberkit_widths", {}).get(col, 0) < width:
        _set_width(ws, col, width)


def _write_cover(
    workbook, styles, cover: list[tuple[str, Any]], lang: Lang, used: set[str]
) -> None:
    ws = workbook.add_worksheet(unique_sheet_name("封面" if lang == "zh" else "Cover", used))
    ws.write_string(0, 0, cover[0][1] if cover else "", styles.title)
    for r, (label, value) in enumerate(cover[1:], start=2):
        ws.write_string(r, 0, label, styles.header)
        cell = Cell("", label, "count" if isinstance(value, int) else "text", value)
        _write_cell(ws, r, 1, cell, styles)
    width = max((display_width(str(v)) for _, v in cover[1:]), default=20)
    ws.set_column(0, 0, max(display_width(label) for label, _ in cover) + 4)
    ws.set_column(1, 1, min(width + 4, 90))
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
