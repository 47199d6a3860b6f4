"""The template's charts beside a small chart-data block: a figure of the ALL row by group,
or this period against last month and last year."""

from __future__ import annotations

from memberkit.render.excel_format import Sheet, widen
from memberkit.render.templates import NUMBER_FORMATS, Chart, Lang, Template, load_words


def _chart_rows(sheet: Sheet, template: Template, chart: Chart, lang: Lang):
    """The rows a chart plots, (category, {series: value}, number format), and the series."""
    words = load_words(lang)
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


def add_chart(workbook, ws, styles, sheet, template, chart: Chart, lang, place: int) -> int:
    """Write the chart's data block at row `place`, insert the chart; return the next row."""
    data, series = _chart_rows(sheet, template, chart, lang)
    if not data:
        return place
    words = load_words(lang)
    colon = words["colon"]
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
        widen(ws, s, 14)
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
