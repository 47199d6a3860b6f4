"""The template's charts beside a small chart-data block: a figure of the total row by group,
or this period against last month and last year."""

from __future__ import annotations

from dataclasses import dataclass

from memberkit.render import format_value
from memberkit.render.excel_format import Sheet, display_width, widen
from memberkit.render.templates import NUMBER_FORMATS, Chart, Lang, Template, load_words

# Axes are read at a glance: whole numbers, no cents ("450,000", not "450,000.00").
AXIS_FORMATS = {"money": "#,##0", "count": "#,##0", "decimal": "#,##0.0", "ratio": "0%"}


@dataclass
class ChartData:
    rows: list[tuple[str, dict[str, object], str]]  # (category, {series: value}, format)
    series: list[str]
    shares: list[float | None]  # per row, the report's own share (pie labels), if it has one
    scope: str  # the row charted, e.g. ALL


def _chart_data(sheet: Sheet, template: Template, chart: Chart, lang: Lang) -> ChartData:
    """What a chart plots: always the sheet's total row (the ALL row with a split)."""
    words = load_words(lang)
    if not sheet.report.rows:
        return ChartData([], [], [], "")
    total = sheet.report.rows[-1]
    scope = str(total.get("scope") or "")
    if chart.kind == "group":
        group = next(g for g in template.groups if g.key == chart.group)
        field_def = next(f for f in group.fields if f.key == chart.field)
        series = [field_def.label.in_(lang)]
        items = total.get(chart.group) or []
        rows = [
            (
                group.item_name(item["label"], lang),
                {series[0]: item.get(chart.field)},
                field_def.format,
            )
            for item in items
        ]
        return ChartData(rows, series, [item.get("share") for item in items], scope)
    periods = {"current": sheet.report, **sheet.bases}
    keys = [p for p in ("current", "mom", "yoy") if p in periods and periods[p].rows]
    series = [words[p] for p in keys]
    columns = {c.key: c for c in template.columns}
    rows = []
    for figure in chart.figures:
        values = {words[key]: periods[key].rows[-1].get(figure) for key in keys}
        rows.append((columns[figure].label.in_(lang), values, columns[figure].format))
    return ChartData(rows, series, [None] * len(rows), scope)


def _pie_labels(data: ChartData) -> list[dict[str, str]]:
    """'312; 23.0%' on each slice, written as text: a label number format would apply to the
    value and the percentage alike (LibreOffice printed '312; 0')."""
    values = [next(iter(v.values())) or 0 for _, v, _ in data.rows]
    total = sum(values)
    labels = []
    for (_, _, fmt), value, share in zip(data.rows, values, data.shares, strict=True):
        if share is None:  # no share in the report: the slice's part of the pie
            share = value / total if total else None
        labels.append({"value": f"{format_value(value, fmt)}; {format_value(share, 'ratio')}"})
    return labels


def chart_rows(chart: Chart) -> int:
    """About how many rows a chart and its data block take under a table."""
    figures = len(chart.figures)
    return 4 + figures + 12 * -(-figures // 2) if chart.kind == "comparison" else 18


def add_chart(
    workbook, ws, styles, sheet, template, chart: Chart, lang, place: int, col: int = 0
) -> int:
    """Write the chart's data block at row `place` and column `col` (beside a narrow table,
    so that the page holds both), insert the chart; return the next free row."""
    data = _chart_data(sheet, template, chart, lang)
    if not data.rows:
        return place
    words = load_words(lang)
    title = chart.title_for(lang, sheet.report.period.kind)
    caption = f"{words['chart_data']}{words['colon']}{title}"
    if len(sheet.report.rows) > 1:  # a split: say which row the chart shows
        caption += words["aside"].format(data.scope)
    ws.write_string(place, col, caption, styles.subtitle)
    head = place + 1
    series = data.series
    ws.write_string(head, col, "", styles.header)
    for s, name in enumerate(series, start=col + 1):
        ws.write_string(head, s, name, styles.header)
    for r, (category, values, fmt) in enumerate(data.rows, start=head + 1):
        ws.write_string(r, col, category, styles.text)
        for s, name in enumerate(series, start=col + 1):
            value = values.get(name)
            if value is None:
                ws.write_string(r, s, "—", styles.missing)
            else:
                ws.write_number(r, s, float(value), styles.of(fmt))
    # the block's labels and numbers need room in narrow columns
    widen(ws, col, max(display_width(category) for category, _, _ in data.rows) + 2)
    for s in range(col + 1, col + len(series) + 1):
        widen(ws, s, 14)
    first, last = head + 1, head + len(data.rows)
    sheet_name = ws.get_name()
    beside = col + len(series) + 2  # the first column right of the block
    if chart.kind == "comparison":
        # one small chart per figure (sales and tickets do not share a scale), one series per
        # period, so that the legend says which bar is 本期, 上月 and 去年同期; two by two
        # under the block, which keeps the page narrow
        top, left = last + 2, col
        for i, (category, _values, fmt) in enumerate(data.rows):
            figure_chart = workbook.add_chart({"type": "column"})
            for s in range(col + 1, col + len(series) + 1):
                figure_chart.add_series(
                    {
                        "name": [sheet_name, head, s],
                        "categories": [sheet_name, first + i, col, first + i, col],
                        "values": [sheet_name, first + i, s, first + i, s],
                        "data_labels": {
                            "value": True,
                            "num_format": AXIS_FORMATS.get(fmt, "#,##0"),
                        },
                    }
                )
            figure_chart.set_title({"name": category, "name_font": {"size": 11}})
            figure_chart.set_legend({"position": "bottom"})
            figure_chart.set_y_axis({"min": 0, "num_format": AXIS_FORMATS.get(fmt, "#,##0")})
            figure_chart.set_size({"width": 360, "height": 225})
            ws.insert_chart(top + (i // 2) * 12, left, figure_chart, {"x_offset": (i % 2) * 370})
        return top + 12 * -(-len(data.rows) // 2) + 1
    fmt = data.rows[0][2]
    plot = workbook.add_chart({"type": chart.type})
    for s, name in enumerate(series, start=col + 1):
        if chart.type == "pie":
            labels = {"custom": _pie_labels(data), "value": True}
        else:
            labels = {"value": True, "num_format": NUMBER_FORMATS.get(fmt, "#,##0")}
        plot.add_series(
            {
                "name": name,
                "categories": [sheet_name, first, col, last, col],
                "values": [sheet_name, first, s, last, s],
                "data_labels": labels,
            }
        )
    plot.set_title({"name": title})
    if chart.type != "pie":
        plot.set_legend({"none": True})
        plot.set_y_axis({"min": 0, "num_format": AXIS_FORMATS.get(fmt, "#,##0")})
    plot.set_size({"width": 480, "height": 260})
    ws.insert_chart(head, beside, plot)
    return max(last + 2, head + 15)
