"""A big sheet's rows written straight as sheet XML, a column at a time.

xlsxwriter costs about 20 µs a cell (its checks, a tuple, a dict, attribute escaping): the
expiring workbook of 200,000 members is 4 million cells, a minute and a half. In its
constant-memory mode each sheet's rows go to a temporary file as they are left; here a chunk
of rows is turned into that file's XML column by column (one conversion picked per column,
repeated values converted once), byte for byte what xlsxwriter writes for the same cells
(write_cell), except that text is always escaped (xlsxwriter writes a value that starts with
<r> and ends with </r> as rich-text XML). Memory stays at one chunk.

xlsxwriter's private parts used: the row file (fh), previous_row, _write_single_row,
_check_dimensions, _convert_date_time, a format's _get_xf_index; tests compare the XML with
xlsxwriter's own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from memberkit.render import format_value
from memberkit.render.excel_format import Styles, display_width
from memberkit.render.templates import NUMBER_FORMATS, Format

CHUNK = 5_000  # rows converted at a time
SAMPLE = 2000  # rows whose values set a column's width

# what makes a text's XML differ from the text: markup, control characters (and the _xHHHH_
# escapes that stand for them), leading or trailing white space, which needs xml:space
_SEP = "\ue000"  # joins a column's texts for one scan (a private-use character)
_NOT_PLAIN = re.compile(
    r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$|\s\ue000|\ue000\s"
)
_NOT_PLAIN_NUMBER = re.compile(r"[^0-9.\-\ue000]")  # 1E+3, NaN, Infinity: not as Excel reads
_CONTROL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LONGEST = 32767  # UTF-16 units in a cell


def column_values(rows: list[dict], keys: list[str]) -> list[list[Any]]:
    """The rows' values by column (None where a row lacks the key)."""
    try:
        return [[row[key] for row in rows] for key in keys]
    except KeyError:
        return [[row.get(key) for row in rows] for key in keys]


def value_widths(columns: list[list[Any]], formats: list[Format]) -> list[int]:
    """Each column's widest value as format_value writes it, in display columns: what
    excel._columns measures cell by cell, from whole columns."""
    return [_width(values, fmt) for values, fmt in zip(columns, formats, strict=True)]


def _width(values: list[Any], fmt: Format) -> int:
    present = [v for v in values if v is not None]
    widest = 1 if len(present) < len(values) else 0  # '—'
    if not present:
        return widest
    kinds = set(map(type, present))
    if kinds == {str} and fmt in ("text", "phone"):
        if "".join(present).isascii():
            return max(widest, *map(len, present))
        return max(widest, *map(display_width, set(present)))
    numeric = kinds <= {int} if fmt == "count" else kinds <= {int, float, Decimal}
    if numeric and fmt in ("count", "money", "ratio", "decimal"):
        # the widest text is the largest or the smallest value's (a sign and digits);
        # zeros by their own text: -0.00 is as wide as 0.00 plus its sign
        zeros = {repr(v): v for v in present if not v}
        candidates = [max(present), min(present), *zeros.values()]
        return max(widest, *(display_width(format_value(v, fmt)) for v in candidates))
    return max(widest, *(display_width(format_value(v, fmt)) for v in set(present)))


def write_rows(ws, styles: Styles, first_row: int, rows: list[dict], keys, formats, codes):
    """The rows from `first_row` down, as xlsxwriter in constant-memory mode would write them
    cell by cell with write_cell; `codes` maps a column's codes to labels (or is None)."""
    if not rows:
        return
    ws._write_single_row(first_row)  # the rows above (the header) go to the file first
    last_row = first_row + len(rows) - 1
    ws._check_dimensions(first_row, 0)
    ws._check_dimensions(last_row, len(keys) - 1)
    letters = [xl_col_to_name(col) for col in range(len(keys))]
    # a row is its number joined between the pieces: <row r="|"><c r="A|" s=..>..</c><c r="B|...
    ends = [f'<c r="{letter}' for letter in letters[1:]] + ["</row>"]
    converters = [_Column(ws, styles, fmt, end) for fmt, end in zip(formats, ends, strict=True)]
    heads = (repeat('<row r="'), repeat(f'"><c r="{letters[0]}'))
    for start in range(0, len(rows), CHUNK):
        columns = column_values(rows[start : start + CHUNK], keys)
        columns = relabelled(columns, keys, codes)
        cells = [column.cells(v) for v, column in zip(columns, converters, strict=True)]
        numbers = map(str, range(first_row + start + 1, first_row + start + len(columns[0]) + 1))
        ws.fh.write(
            "".join(
                n.join(parts)
                for n, parts in zip(numbers, zip(*heads, *cells, strict=False), strict=False)
            )
        )
    ws.previous_row = last_row  # the table is empty: nothing more of these rows is written


def relabelled(columns: list[list[Any]], keys: list[str], codes: dict[str, dict]) -> list:
    """The columns with each code of a code column by its label (with_code_labels)."""
    return [
        [codes[key].get(v, v) for v in values] if key in codes else values
        for key, values in zip(keys, columns, strict=True)
    ]


class _Column:
    """A column's cells as XML after '<c r="A5', `end` following each: what write_cell
    writes for its values in a column of `fmt`."""

    def __init__(self, ws, styles: Styles, fmt: Format, end: str):
        self.ws, self.fmt, self.end = ws, fmt, end
        self.missing = (
            f'" s="{styles.missing._get_xf_index()}" t="inlineStr"><is><t>—</t></is></c>{end}'
        )
        self.text_style = styles.text._get_xf_index()
        self.text = (f'" s="{self.text_style}" t="inlineStr"><is><t>', f"</t></is></c>{end}")
        self.number = fmt in NUMBER_FORMATS and fmt != "date"
        self.value_head = f'" s="{styles.of(fmt)._get_xf_index()}"><v>'
        self.date_head = f'" s="{styles.of("date")._get_xf_index()}"><v>'
        self.value_tail = f"</v></c>{end}"

    def cells(self, values: list[Any]) -> list[str]:
        """Each value's cell, by one comprehension for what big lists hold (plain text,
        amounts, counts); a value that repeats (a store, a date) converted once."""
        distinct = set(values)
        if len(distinct) * 4 <= len(values):
            converted = {v: self.convert(v) for v in distinct}
            return [converted[v] for v in values]
        kinds = set(map(type, distinct)) - {type(None)}
        missing, (head, tail) = self.missing, self.text
        if kinds == {str} and not self.number and self._plain(values):
            return [missing if v is None else head + v + tail for v in values]
        head, tail = self.value_head, self.value_tail
        if self.number and kinds == {Decimal}:
            # an amount's own digits (12.30), which Excel reads as the double nearest to
            # it, as it reads the 16 digits of float(12.30) that write_number writes
            texts = [None if v is None else str(v) for v in values]
            if not _NOT_PLAIN_NUMBER.search(_SEP.join(filter(None, texts))):
                return [missing if t is None else head + t + tail for t in texts]
            return [missing if v is None else f"{head}{float(v):.16G}{tail}" for v in values]
        if self.number and kinds <= {int, float}:  # not bool: write_number writes 1 for True
            return [missing if v is None else f"{head}{v:.16G}{tail}" for v in values]
        return list(map(self.convert, values))

    def convert(self, value: Any) -> str:
        if value is None:
            return self.missing
        if self.number:
            value = float(value) if isinstance(value, Decimal) else value
            return f"{self.value_head}{value:.16G}{self.value_tail}"
        if isinstance(value, datetime | date):
            moment = value if isinstance(value, datetime) else datetime(*value.timetuple()[:3])
            serial = self.ws._convert_date_time(moment)
            return f"{self.date_head}{serial:.16G}{self.value_tail}"
        return _text_cell(str(value), self.text_style, self.end)

    def _plain(self, values: list[Any]) -> bool:
        """Whether every text is its own XML, checked in one scan of the texts joined."""
        texts = list(filter(None, values))
        if max(map(len, texts), default=0) > _LONGEST // 2:
            return False
        return not _NOT_PLAIN.search(_SEP.join(texts))


def _text_cell(text: str, style: int, end: str) -> str:
    """A text cell as xlsxwriter writes an inline string: cut to Excel's 32,767 UTF-16
    units, control characters as _xHHHH_, xml:space where white space leads or trails; and
    escaped always."""
    if len(text) > _LONGEST // 2 and len(text.encode("utf-16-le")) // 2 > _LONGEST:
        text = text.encode("utf-16-le")[: _LONGEST * 2].decode("utf-16-le", "ignore")
    text = _CONTROL_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if re.search(r"^\s|\s$", text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>{end}'


@contextmanager
def quick_deflate() -> Iterator[None]:
    """While a big workbook closes, its zip deflated at level 1, not zlib's default 6: the
    expiring workbook of 200,000 members zips about three times quicker, 25% bigger.
    xlsxwriter has no option for it: its module's ZipFile is swapped for the close, one
    workbook at a time (two threads closing workbooks would otherwise restore each other's
    swap)."""
    import xlsxwriter.workbook

    with _DEFLATE_SWAP:
        original = xlsxwriter.workbook.ZipFile
        xlsxwriter.workbook.ZipFile = partial(original, compresslevel=1)  # type: ignore[misc]
        try:
            yield
        finally:
            xlsxwriter.workbook.ZipFile = original  # type: ignore[misc]


_DEFLATE_SWAP = threading.Lock()
