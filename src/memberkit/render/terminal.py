"""Reports in the terminal, labelled in the chosen language (SPEC 6).

Nothing a reader needs is ever cut: a number, date, id or phone keeps its whole width, and
only headings and free text (names) wrap. A table that does not fit the width even so is
turned on its side: one line per figure, one column per record, as many records side by side
as fit (one, on a narrow terminal: a block of "label  value" lines titled by the record). A
list shows its first `limit` rows and says how many more there are; only those are formatted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.text import Text

from memberkit.errors import printable
from memberkit.render import format_value
from memberkit.render.grid import (
    EDGE,
    HEADING_MIN,
    LABEL,
    PER_COLUMN,
    Column,
    Grid,
    cell_lines,
    heading,
    heading_width,
)
from memberkit.render.templates import (
    Lang,
    Template,
    footnotes,
    load_template,
    load_words,
    scope_name,
    with_code_labels,
)
from memberkit.reports import Report

_RIGHT = {"count", "money", "ratio", "decimal"}
# Columns of names and other prose: they may wrap between words. Every other column (an
# amount, a date, an id, a phone, a code) keeps its width.
FREE_TEXT = frozenset({"name", "gift_name", "member_ids", "counted_by", "value", "category"})
FREE_TEXT |= {"comment"}  # a survey's 意见建议
# The column that names a record on its side, the first of these a report has (else its first).
_RECORD_KEYS = ("response_id", "member_id", "complaint_id", "scope")
_HEADING_LINES = 3  # a heading may wrap onto this many lines before the table is turned
_TEXT_MIN = 10  # free text wraps no narrower than this (or its longest word, up to _WORD_MAX)
_WORD_MAX = 30  # a longer word is folded rather than widen its column further


def shown(text: str, style: str = "") -> Text:
    """Text from data as a table shows it: control and bidi characters as escapes (a name
    cannot recolour the screen, retitle the window or reverse a line), and as a Text, never
    as rich markup (a name like '[/vip]' or '[link=…]' is shown, not interpreted)."""
    return Text(printable(text, keep_spaces=True), style=style)


@dataclass(frozen=True)
class View:
    """What the terminal prints, and the width it takes."""

    renderable: RenderableType
    width: int


def terminal_view(
    report: Report,
    name: str,
    lang: Lang,
    *,
    width: int | None,
    show_phone: bool = False,
    limit: int = 0,
) -> View:
    """The report for a terminal `width` columns wide (None: as wide as the table needs, for
    a file or a pipe), its first `limit` rows (0: all) and a line saying how many more."""
    template = load_template(name)
    words = load_words(lang)
    scope = scope_name(report.scope, lang)
    by = report.scope.by or report.split  # as a sheet's subtitle says it: ALL（按门店）
    if by:
        scope += words["aside"].format(words["by"].format(words[by]))
    title = (
        f"{template.title_text(lang, report.period.start, report.where)} · "
        f"{report.period.label} · {scope}"
    )
    rows = report.rows[:limit] if limit else report.rows
    # codes by their labels (SPEC 6), for the rows shown only
    rows = with_code_labels(replace(report, rows=rows), template, lang).rows
    columns = _columns(report, template, lang)
    cells = [_cells(row, template, show_phone) for row in rows]
    on_side = template.transpose_single_row and len(rows) == 1
    widths = None if on_side else _fitting_widths(columns, cells, width)
    if widths is not None:
        grids = [
            Grid(
                headings=[heading(c.label, w) for c, w in zip(columns, widths, strict=True)],
                heading_right=[c.right for c in columns],
                widths=widths,
                cells=cells,
                kinds=columns,
            )
        ]
    else:
        grids = _on_side(columns, cells, width)
    # why a figure that looks wrong is right: without a width (a file, a pipe) each on one
    # line, never wrapped at the table's width (which would split a number: 这3 / 0天)
    notes = [Text(words["footnote"].format(n)) for n in footnotes(report, template, lang)]
    needed = max([grid.width for grid in grids] + [note.cell_len for note in notes])
    parts: list[RenderableType] = [shown(title, "table.title"), *grids, *notes]
    hidden = len(report.rows) - len(rows)
    if hidden:
        parts.append(Text(words["more_rows"].format(rows=f"{hidden:,}")))
    return View(Group(*parts), max(needed, 1) if width is None else width)


def _columns(report: Report, template: Template, lang: Lang) -> list[Column]:
    """The template's columns, then each item of a list (a band, a grade): one column of
    "174 (23.0%)" for an item of members and share, else one column per field, labelled."""
    columns = [
        Column(c.key, printable(c.label.in_(lang)), c.format in _RIGHT, c.key in FREE_TEXT)
        for c in template.columns
    ]
    first = report.rows[0] if report.rows else {}
    for group in template.groups:
        for item in first.get(group.key) or []:
            name = group.item_name(item["label"], lang)
            if len(group.fields) == 2:
                columns.append(Column(group.key, printable(name), True, False))
            else:
                columns.extend(
                    Column(
                        group.key,
                        printable(f"{name} {f.label.in_(lang)}"),
                        f.format in _RIGHT,
                        False,
                    )
                    for f in group.fields
                )
    return columns


def _cells(row: dict, template: Template, show_phone: bool) -> list[str]:
    """One row's cells as the terminal shows them: formatted and escaped."""
    cells = [
        format_value(row.get(c.key), c.format, show_phone=show_phone) for c in template.columns
    ]
    for group in template.groups:
        for item in row.get(group.key) or []:
            values = [format_value(item.get(f.key), f.format) for f in group.fields]
            cells.extend([f"{values[0]} ({values[1]})"] if len(values) == 2 else values)
    return [printable(cell, keep_spaces=True) for cell in cells]


def _text_widths(values: Iterable[str]) -> tuple[int, int]:
    """Free text's natural width (its longest value) and the narrowest it wraps to."""
    natural = longest_word = 0
    for value in values:
        natural = max(natural, cell_len(value))
        longest_word = max([longest_word, *(cell_len(w) for w in value.split(" "))])
    return natural, min(natural, max(_TEXT_MIN, min(longest_word, _WORD_MAX)))


def _fitting_widths(
    columns: list[Column], cells: list[list[str]], width: int | None
) -> list[int] | None:
    """Widths of the columns' cells that fit `width` with every value whole: headings on one
    line, then on up to _HEADING_LINES, then free text wrapped too; None if even that is too
    wide. Without a width, every column as wide as its widest cell and heading."""
    data = []  # (natural, narrowest) of each column's values
    for index, column in enumerate(columns):
        values = (row[index] for row in cells)
        if column.wraps:
            data.append(_text_widths(values))
        else:
            natural = max((cell_len(v) for v in values), default=0)
            data.append((natural, natural))
    overhead = PER_COLUMN * len(columns) + EDGE
    for lines, wrap_text in (
        (1, False),
        (2, False),
        (_HEADING_LINES, False),
        (_HEADING_LINES, True),
    ):
        widths = [
            max(heading_width(column.label, lines), narrowest if wrap_text else natural, 1)
            for column, (natural, narrowest) in zip(columns, data, strict=True)
        ]
        if width is None:
            return widths
        spare = width - overhead - sum(widths)
        if spare >= 0:
            if wrap_text:  # headings in two lines first, then the free text less wrapped
                spare = _unwrap_headings(columns, widths, spare, 2)
                for index, (natural, _) in enumerate(data):
                    grow = (
                        min(spare, max(natural - widths[index], 0)) if columns[index].wraps else 0
                    )
                    widths[index] += grow
                    spare -= grow
            for target in range(lines - 1, 0, -1):
                spare = _unwrap_headings(columns, widths, spare, target)
            return widths
    return None


def _unwrap_headings(columns: list[Column], widths: list[int], spare: int, lines: int) -> int:
    """Widen the columns whose headings the spare width puts in `lines` lines, the cheapest
    first; what is left of the spare width."""
    costs = sorted(
        (heading_width(column.label, lines) - widths[index], index)
        for index, column in enumerate(columns)
    )
    for cost, index in costs:
        if 0 < cost <= spare:
            widths[index] += cost
            spare -= cost
    return spare


def _on_side(columns: list[Column], cells: list[list[str]], width: int | None) -> list[Grid]:
    """The records turned on their side: a line per figure with its label at the left, a
    column per record headed by its id or scope, as many records to a table as fit `width`
    (None: all in one)."""
    keys = [c.key for c in columns]
    at = next((keys.index(k) for k in _RECORD_KEYS if k in keys), 0)
    lines = [i for i in range(len(columns)) if i != at]
    record_widths = [
        max(
            [cell_len(row[at])]
            + [_text_widths([row[i]])[1] if columns[i].wraps else cell_len(row[i]) for i in lines]
        )
        for row in cells
    ]
    widest = max(record_widths, default=1)
    label_width = max(cell_len(columns[i].label) for i in [at, *lines])
    if width is not None:  # labels wrap when one record would not fit beside them,
        room = width - 2 * PER_COLUMN - EDGE
        label_width = max(min(label_width, room - widest), min(label_width, HEADING_MIN * 2))
        # and a value wider than the terminal is folded within it
        record_widths = [max(min(w, room - label_width), 1) for w in record_widths]

    # a record's heading sits over its figures' side: the right, when most are numbers
    right = 2 * sum(columns[i].right for i in lines) > len(lines)
    grids: list[Grid] = []
    start = 0
    while start < len(cells) or not grids:
        end, used = start, label_width + PER_COLUMN + EDGE
        while end < len(cells) and (
            end == start or width is None or used + record_widths[end] + PER_COLUMN <= width
        ):
            used += record_widths[end] + PER_COLUMN
            end += 1
        records, widths = cells[start:end], [label_width, *record_widths[start:end]]
        titles = [columns[at].label, *(r[at] for r in records)]
        grids.append(
            Grid(
                headings=[
                    cell_lines(text, LABEL, w) for text, w in zip(titles, widths, strict=True)
                ],
                heading_right=[False, *[right] * len(records)],
                widths=widths,
                cells=[[columns[i].label, *(r[i] for r in records)] for i in lines],
                kinds=[columns[i] for i in lines],
                on_side=True,
            )
        )
        start = end
    return grids
