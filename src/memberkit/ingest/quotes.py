"""SPEC 3.1 Quotes: a quoted value may span lines only in a free-text column.

A stray quote (`A1,"王芳,S001,…`) makes every CSV reader take the lines after it into one
value, up to the next quote: rows vanish into a name, another member's phone lands in it,
and the counts still add up. So before anything is loaded, the records that hold a line
break inside quotes are found (RecordScanner, vectorised; a file without any quote is not
read at all), and each is split again here to see which field holds the break. The file is
refused, naming the line where the quote opened and the column, when the break is in a
column that is not free text (ids, dates, amounts, counts), when the quote never closes,
or when a free-text value takes in text that looks like rows of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memberkit.errors import InputRejected, quoted
from memberkit.ingest.records import CHUNK, RecordScanner

MAX_RECORD_BYTES = 1 << 20  # a record spanning lines is read this far to judge it


@dataclass(frozen=True)
class Field:
    index: int
    start: int  # offset in the record's text
    quoted: bool
    closed: bool  # a quoted field's closing quote was found
    value: str
    tail: str  # text between a closing quote and the next delimiter (DuckDB rejects it)


def split_record(text: str, delimiter: str) -> list[Field]:
    """The fields of one record's text, read as records.RecordScanner reads quotes."""
    fields: list[Field] = []
    pos = 0
    while True:
        index = len(fields)
        if text.startswith('"', pos):
            close = pos + 1
            while True:
                close = text.find('"', close)
                if close < 0 or not text.startswith('"', close + 1):
                    break
                close += 2  # an escaped quote
            if close < 0:
                fields.append(Field(index, pos, True, False, text[pos + 1 :], ""))
                return fields
            value = text[pos + 1 : close].replace('""', '"')
            end = text.find(delimiter, close + 1)
            tail = text[close + 1 : end if end >= 0 else len(text)]
            fields.append(Field(index, pos, True, True, value, tail))
        else:
            end = text.find(delimiter, pos)
            fields.append(Field(index, pos, False, True, text[pos : end if end >= 0 else None], ""))
        if end < 0:
            return fields
        pos = end + len(delimiter)


@dataclass(frozen=True)
class Span:
    start: int  # byte offsets of a record in the file
    end: int
    line: int  # the physical line it starts on


def records_with_quoted_breaks(csv_path: Path, delimiter: str) -> Iterator[Span]:
    """Every record holding a newline inside quotes, and the last record if a quote is
    still open at the end of the file."""
    scanner = RecordScanner(delimiter)
    pending: tuple[int, int] | None = None  # such a record not ended yet: its start, line
    with open(csv_path, "rb") as f:
        while chunk := f.read(CHUNK):
            if pending is None and not scanner.in_quote and b'"' not in chunk:
                scanner.feed(chunk)
                continue
            start, line = scanner.last_terminator + 1, scanner.last_terminator_newline + 2
            terms = scanner.feed(chunk, detail=True)
            assert terms is not None
            ends = terms.positions
            which = set(np.unique(np.searchsorted(ends, terms.quoted)).tolist())
            if pending is not None:
                which.add(0)  # the record begun before this chunk goes on
            pending = None
            for i in sorted(which):
                begin = int(ends[i - 1]) + 1 if i else start
                first = int(terms.newline_index[i - 1]) + 2 if i else line
                if i < len(ends):
                    yield Span(begin, int(ends[i]), first)
                else:
                    pending = (begin, first)
        if pending is None and scanner.in_quote:
            pending = (scanner.last_terminator + 1, scanner.last_terminator_newline + 2)
        if pending is not None:
            yield Span(pending[0], scanner.offset, pending[1])


def check_quotes(
    csv_path: Path,
    label: str,
    header: list[str],
    delimiter: str,
    free: set[int],
    line_offset: int = 0,
) -> None:
    """Refuse the file (InputRejected) if a quote swallows line breaks where it may not.
    `free`: the positions of the columns where a quoted value may span lines."""
    with open(csv_path, "rb") as f:
        for span in records_with_quoted_breaks(csv_path, delimiter):
            f.seek(span.start)
            size = span.end - span.start
            text = f.read(min(size, MAX_RECORD_BYTES)).decode("utf-8", errors="replace")
            problem = _judge(text, size > MAX_RECORD_BYTES, header, delimiter, free)
            if problem is not None:
                field, why = problem
                line = span.line + line_offset + text.count("\n", 0, field.start)
                column = (
                    quoted(header[field.index])
                    if field.index < len(header)
                    else f"{field.index + 1} (past the header's {len(header)})"
                )
                raise InputRejected(
                    f"{label}: line {line}, column {column}: {why}; nothing was loaded",
                    hint="remove the stray quote or close it where the value ends; only "
                    "free-text columns (names, comments) may hold line breaks inside quotes",
                )


def _judge(
    text: str, cut: bool, header: list[str], delimiter: str, free: set[int]
) -> tuple[Field, str] | None:
    """The field at fault in a record that spans lines, and what is wrong, or None."""
    if not cut and text.endswith("\r"):
        text = text[:-1]
    fields = split_record(text, delimiter)
    spanning = [f for f in fields if f.quoted and ("\n" in f.value or not f.closed)]
    for f in spanning:
        lines = f.value.count("\n") + 1
        if not f.closed:
            if cut:
                return f, (
                    f"the quote opened here is not closed within {MAX_RECORD_BYTES >> 20} MB "
                    "of text (a stray quote?)"
                )
            return f, "the quote opened here is never closed (it runs to the end of the file)"
        if f.index not in free:
            return f, (
                f"the quoted value opened here runs over {lines} lines, but this column "
                "cannot hold line breaks (a stray quote?)"
            )
        if f.value.count(delimiter) >= len(header) - 1 or cut:
            return f, (
                f"the quote opened here takes in the next {lines - 1} line(s), which look "
                "like rows of the file (a stray quote?)"
            )
    if spanning and (len(fields) != len(header) or any(f.tail.strip(" ") for f in fields)):
        how = (
            f"of {len(fields)} fields (the header has {len(header)})"
            if len(fields) != len(header)
            else "with text after a closing quote"
        )
        return spanning[0], (
            f"the quote opened here joins {text.count(chr(10)) + 1} lines into one record "
            f"{how} (a stray quote?)"
        )
    return None
