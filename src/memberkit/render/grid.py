"""Fixed-width grids for the terminal, drawn line by line as rich draws its default table
(rich's own Table takes 1.5 ms a row: a list of 150,000 members shown in full, with --limit 0
or in a file, must not take minutes), and the wrapping of their headings and free text."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from rich import box
from rich.cells import cell_len, chop_cells
from rich.console import Console
from rich.segment import Segment
from rich.text import Text

# a rich table's overhead beyond its cells' widths: per column a space either side and a rule,
# plus the rule at the left edge
PER_COLUMN, EDGE = 3, 1
HEADING_MIN = 4  # a heading is no narrower than this (two Chinese characters a line)


@dataclass(frozen=True)
class Column:
    """A column as the terminal writes it."""

    key: str  # the template's key (an item of a list: its group's)
    label: str  # as shown: escaped
    right: bool  # numbers are right-aligned
    wraps: bool  # free text, which may wrap between words


@cache
def _measuring_console() -> Console:
    return Console(file=io.StringIO(), width=1000)


def _heading_lines(label: str, width: int) -> list[str]:
    return [line.plain for line in Text(label).wrap(_measuring_console(), width, overflow="fold")]


def heading_width(label: str, lines: int) -> int:
    """The narrowest a heading can be in at most `lines` lines: wrapped between words, and a
    Chinese word between characters (two at least); an English word is never broken."""
    words = [cell_len(w) for w in label.split() if w.isascii()]
    full = cell_len(label)
    narrowest = max([min(full, HEADING_MIN), *words, *(cell_len(c) for c in label)])
    for width in range(narrowest, full):
        if len(_heading_lines(label, width)) <= lines:
            return width
    return max(full, 1)


def heading(label: str, width: int) -> list[str]:
    """A heading's lines in a column `width` wide: as few as it takes, of like lengths (最后消
    费日期 as 最后消/费日期, not 最后消费日/期)."""
    lines = len(_heading_lines(label, width))
    return [label] if lines == 1 else _heading_lines(label, heading_width(label, lines))


def word_lines(text: str, width: int) -> list[str]:
    """Free text in lines of at most `width`, broken at spaces only (rich would break a
    Chinese name between its characters; 张　三 keeps its U+3000)."""
    lines, line = [], ""
    for word in text.split(" "):
        joined = f"{line} {word}" if line else word
        if line and cell_len(joined) > width:
            lines.append(line)
            line = word
        else:
            line = joined
    return [*lines, line]


LABEL = Column("", "", right=False, wraps=True)  # a label on the left of a record on its side


@dataclass(frozen=True)
class Grid:
    """A table of fixed-width columns, with rich's default look (HEAVY_HEAD)."""

    headings: list[list[str]]  # each column's heading, in lines
    heading_right: list[bool]
    widths: list[int]
    cells: list[list[str]]
    kinds: list[Column]  # how the cells of each column are written (on its side: of each row)
    on_side: bool = False

    @property
    def width(self) -> int:
        return sum(self.widths) + PER_COLUMN * len(self.widths) + EDGE

    def __rich_console__(self, console: Console, options) -> Iterator[Segment]:
        lines = box.HEAVY_HEAD
        spans = [width + 2 for width in self.widths]
        yield Segment(lines.get_top(spans) + "\n")
        height = max(len(h) for h in self.headings)
        headings = [[""] * (height - len(h)) + h for h in self.headings]  # on the rule, as rich
        style = console.get_style("table.header")
        for line in range(height):
            yield Segment(lines.head_left + " ")
            for index, right in enumerate(self.heading_right):
                if index:
                    yield Segment(f" {lines.head_vertical} ")
                yield Segment(padded(headings[index][line], self.widths[index], right), style)
            yield Segment(f" {lines.head_right}\n")
        yield Segment(lines.get_row(spans, "head") + "\n")
        for index, row in enumerate(self.cells):
            yield Segment(self._row(index, row, lines))
        yield Segment(lines.get_bottom(spans) + "\n")

    def _row(self, index: int, row: list[str], lines) -> str:
        if self.on_side:
            kinds = [LABEL, *[self.kinds[index]] * (len(row) - 1)]
        else:
            kinds = self.kinds
        parts = [
            (cell_lines(text, kind, width), kind.right)
            for text, kind, width in zip(row, kinds, self.widths, strict=True)
        ]
        between = f" {lines.mid_vertical} "
        return "".join(
            f"{lines.mid_left} "
            + between.join(
                padded(part[line] if line < len(part) else "", width, right)
                for (part, right), width in zip(parts, self.widths, strict=True)
            )
            + f" {lines.mid_right}\n"
            for line in range(max(len(part) for part, _ in parts))
        )


def cell_lines(text: str, column: Column, width: int) -> list[str]:
    """A cell's lines: free text broken between words; anything wider than the column (a
    word, or a value wider than the terminal) folded, never cut."""
    if cell_len(text) <= width:
        return [text]
    lines = word_lines(text, width) if column.wraps else [text]
    return [part for line in lines for part in chop_cells(line, width)]


def padded(text: str, width: int, right: bool) -> str:
    gap = " " * (width - cell_len(text))
    return gap + text if right else text + gap
