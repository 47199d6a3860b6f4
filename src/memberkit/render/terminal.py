"""Reports as rich tables in the terminal, labelled in the chosen language."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from memberkit.errors import printable
from memberkit.render import flatten, format_value
from memberkit.render.templates import (
    Lang,
    load_template,
    load_words,
    scope_name,
    with_code_labels,
)
from memberkit.reports import Report

_RIGHT = {"count", "money", "ratio", "decimal"}


def shown(text: str, style: str = "") -> Text:
    """Text from data as a table shows it: control and bidi characters as escapes (a name
    cannot recolour the screen, retitle the window or reverse a line), and as a Text, never
    as rich markup (a name like '[/vip]' or '[link=…]' is shown, not interpreted)."""
    return Text(printable(text, keep_spaces=True), style=style)


def report_table(report: Report, name: str, lang: Lang, *, show_phone: bool = False) -> Table:
    template = load_template(name)
    report = with_code_labels(report, template, lang)  # codes by their labels (SPEC 6)
    where = report.where
    title = (
        f"{template.title_text(lang, report.period.start, where)} · {report.period.label} · "
        f"{scope_name(report.scope, lang)}"
    )
    table = Table(title=shown(title, "table.title"), title_justify="left")
    if template.transpose_single_row and len(report.rows) == 1:
        words = load_words(lang)
        table.add_column(words["figure"])
        table.add_column(words["value"], justify="right")
        for cell in flatten(report.rows[0], template, lang):
            value = format_value(cell.value, cell.format, show_phone=show_phone)
            table.add_row(shown(cell.label), shown(value))
        return table

    # Plain columns as they are; each item of a list (a band, a gender) in one column that
    # reads "174 (23.0%)", so that a band table fits a terminal.
    for column in template.columns:
        table.add_column(
            shown(column.label.in_(lang)), justify="right" if column.format in _RIGHT else "left"
        )
    first = report.rows[0] if report.rows else {}
    for group in template.groups:
        for item in first.get(group.key) or []:
            table.add_column(shown(group.item_name(item["label"], lang)), justify="right")
    for row in report.rows:
        cells = [
            format_value(row.get(c.key), c.format, show_phone=show_phone) for c in template.columns
        ]
        for group in template.groups:
            for item in row.get(group.key) or []:
                values = [format_value(item.get(f.key), f.format) for f in group.fields]
                cells.append(f"{values[0]} ({values[1]})" if len(values) == 2 else " ".join(values))
        table.add_row(*(shown(cell) for cell in cells))
    return table
