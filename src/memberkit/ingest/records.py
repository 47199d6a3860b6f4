"""Where the CSV records are: counted independently of DuckDB, and mapped to physical lines.

DuckDB's CSV reader reports rejected rows by record number (blank lines count, quoted line
breaks do not) and can drop rows silently when its line-ending setting is wrong, so the
loader checks DuckDB's accounting against this count, and turns record numbers into the line
numbers a person sees in an editor. A record ends at a newline outside double quotes.

Quotes are read as DuckDB's reader (and Python's csv module) reads them: a quote opens a
quoted value only at the start of a field (after the delimiter, a line break or the file's
start); inside one, "" is a quote and a lone quote closes it. A quote anywhere else (S0"1,
O"Brien) is a character of the value. So the quotes that count are found first, and the
parity of those says which newlines are inside quotes (an escaped "" flips it twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 8 << 20
NL, CR, QUOTE = 10, 13, 34
MAX_RAW_CHARS = 2000


_BOM = b"\xef\xbb\xbf"
_VECTOR_STRAYS = 16  # strays in one chunk found the vectorised way; more take a Python loop


@dataclass
class _Terminators:
    """Record terminators of one chunk, with what the callers need to know about each."""

    positions: np.ndarray  # global byte offsets of the terminating newlines
    newline_index: np.ndarray  # global index of each among all newlines (quoted ones too)
    blank: np.ndarray  # the record it ends is empty (or just '\r')
    quoted: np.ndarray  # global byte offsets of the newlines inside quotes


class _QuoteState:
    """Which quotes of a chunk count (open, close or escape), carried from chunk to chunk."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = ord(delimiter.encode("utf-8")[:1] or b",")
        self.in_quote = False
        self.last_byte = NL  # the byte before the chunk (a virtual newline before the file)
        self.last_counted = False  # ... and it is a quote that counts
        self.start = 0  # where the first field starts (after a BOM)
        self._head = b""

    def see_head(self, chunk: bytes) -> None:
        """Watch the file's first bytes for a BOM (chunks may be tiny)."""
        self._head += chunk[: 3 - len(self._head)]
        self.start = 3 if self._head == _BOM else 0

    def counted(self, buf: np.ndarray, quotes: np.ndarray, offset: int) -> np.ndarray:
        """A mask of the quotes that count (the others are characters of unquoted values),
        and the state after the chunk. Each quote outside quotes must stand at a field's
        start, or be the second of an escaped "" (right after a quote that counts)."""
        n = len(quotes)
        counts = np.ones(n, dtype=bool)
        if n == 0:
            self.last_byte = int(buf[-1]) if len(buf) else self.last_byte
            self.last_counted = False
            return counts
        prev = np.empty(n, dtype=np.uint8)
        prev[1:] = buf[quotes[1:] - 1]
        prev[0] = buf[quotes[0] - 1] if quotes[0] > 0 else self.last_byte
        at_start = (prev == self.delimiter) | (prev == NL) | (quotes + offset == self.start)
        after_quote = prev == QUOTE
        first, in_quote = 0, self.in_quote
        for _ in range(_VECTOR_STRAYS):
            if first == n:
                break
            # assume every quote from `first` on counts, and find the first that cannot
            before = (np.arange(n - first) + in_quote) & 1
            prev_counts = np.ones(n - first, dtype=bool)
            prev_counts[0] = counts[first - 1] if first else self.last_counted
            ok = (before == 1) | at_start[first:] | (after_quote[first:] & prev_counts)
            bad = np.flatnonzero(~ok)
            if not len(bad):
                in_quote = bool((n - first + in_quote) & 1)
                break
            stray = first + int(bad[0])
            counts[stray] = False
            in_quote = bool((stray - first + in_quote) & 1)
            first = stray + 1
        else:
            for i in range(first, n):  # many strays in one chunk: one quote at a time
                if in_quote:
                    in_quote = False
                elif at_start[i] or (after_quote[i] and counts[i - 1]):  # i >= first > 0
                    in_quote = True
                else:
                    counts[i] = False
        self.in_quote = in_quote
        self.last_counted = bool(quotes[-1] == len(buf) - 1 and counts[-1])
        self.last_byte = int(buf[-1])
        return counts

    def inside(self, buf: np.ndarray, offset: int, positions: np.ndarray) -> np.ndarray:
        """Which of these positions of the chunk lie inside quotes; moves on past the chunk."""
        in_quote = self.in_quote
        if not in_quote and QUOTE not in buf:
            self.last_byte, self.last_counted = int(buf[-1]), False
            return np.zeros(len(positions), dtype=bool)
        quotes = np.flatnonzero(buf == QUOTE)
        counted = quotes[self.counted(buf, quotes, offset)]
        return ((np.searchsorted(counted, positions) + int(in_quote)) & 1) == 1


class RecordScanner:
    """Feed the file's bytes chunk by chunk; it finds the record terminators."""

    def __init__(self, delimiter: str = ",") -> None:
        self.offset = 0  # bytes fed so far
        self.newlines = 0  # newlines fed so far, quoted ones included
        self.quotes = _QuoteState(delimiter)
        self.last_terminator = -1  # global offset of the previous terminator
        self.last_terminator_newline = -1  # ... and its index among all newlines
        self.last_byte = NL  # a virtual newline before the file: an empty first line is blank
        self.records = 0  # records ended so far, blank ones included
        self.blanks = 0

    def feed(self, chunk: bytes, *, detail: bool = False) -> _Terminators | None:
        """Take the next chunk; with detail, return its terminators (else only count them)."""
        if not chunk:
            return None
        if self.offset < 3:
            self.quotes.see_head(chunk)
        terms = None
        if detail or not self._plain(chunk):
            terms = self._terminators(chunk)
            count = len(terms.positions)
            self.blanks += int(terms.blank.sum())
            if count:
                self.last_terminator = int(terms.positions[-1])
                self.last_terminator_newline = int(terms.newline_index[-1])
        else:
            # Fast path (most exports): every newline ends a record and none is blank.
            count = chunk.count(b"\n")
            if count:
                self.last_terminator = self.offset + chunk.rindex(b"\n")
                self.last_terminator_newline = self.newlines + count - 1
            self.quotes.last_byte, self.quotes.last_counted = chunk[-1], False
        self.records += count
        self.newlines += chunk.count(b"\n")
        self.offset += len(chunk)
        self.last_byte = chunk[-1]
        return terms

    @property
    def in_quote(self) -> bool:
        return self.quotes.in_quote

    def _plain(self, chunk: bytes) -> bool:
        """No quotes and no blank line in this chunk, nor one split across its start."""
        if self.in_quote or b'"' in chunk or b"\n\n" in chunk or b"\n\r\n" in chunk:
            return False
        gap = self.offset - self.last_terminator
        split_blank = (gap == 1 and chunk[:1] in (b"\n", b"\r")) or (
            gap == 2 and self.last_byte == CR and chunk[:1] == b"\n"
        )
        return not split_blank

    def _terminators(self, chunk: bytes) -> _Terminators:
        buf = np.frombuffer(chunk, dtype=np.uint8)
        newlines = np.flatnonzero(buf == NL)
        index = np.arange(self.newlines, self.newlines + len(newlines), dtype=np.int64)
        quoted = np.empty(0, dtype=np.int64)
        inside = self.quotes.inside(buf, self.offset, newlines)
        if inside.any():
            quoted = newlines[inside].astype(np.int64) + self.offset
            newlines, index = newlines[~inside], index[~inside]
        positions = newlines.astype(np.int64) + self.offset
        previous = np.concatenate(([self.last_terminator], positions[:-1]))
        gap = positions - previous
        byte_before = np.where(newlines >= 1, buf[np.maximum(newlines - 1, 0)], self.last_byte)
        blank = (gap == 1) | ((gap == 2) & (byte_before == CR))
        return _Terminators(positions, index, blank, quoted)

    def has_trailing_record(self) -> bool:
        """Is there a non-blank record after the last terminator (no final newline)?"""
        tail = self.offset - self.last_terminator - 1
        return tail > 1 or (tail == 1 and self.last_byte != CR)

    def finish(self) -> int:
        """Records in the file that are not blank, the header included."""
        return self.records - self.blanks + int(self.has_trailing_record())


@dataclass(frozen=True)
class Located:
    record: int  # 0-based record index in the file (header = 0, blank lines count)
    line: int  # 1-based physical line where the record starts
    raw: str


_Place = tuple[int, int, int, int]  # record, line, start offset, end offset


def locate(
    csv_path: Path,
    reject_records: Iterable[int],
    good_ordinals: Iterable[int],
    *,
    whole: bool = False,
    delimiter: str = ",",
) -> tuple[dict[int, Located], dict[int, Located]]:
    """Find records by DuckDB's 1-based record number (rejected rows) and by ordinal among
    the rows DuckDB accepted (0-based; the header, blank lines and rejected rows skipped).
    `raw` is cut to MAX_RAW_CHARS for people to read, unless `whole` (to parse it again).
    The delimiter says where fields start, and so which quotes open a quoted value."""
    rejected = np.unique(np.fromiter(reject_records, dtype=np.int64))
    wanted = np.unique(np.fromiter(good_ordinals, dtype=np.int64))
    found_rejects: dict[int, _Place] = {}
    found_good: dict[int, _Place] = {}
    scanner = RecordScanner(delimiter)
    good_seen = 0
    with open(csv_path, "rb") as f:
        while chunk := f.read(CHUNK):
            first_record, first_start = scanner.records, scanner.last_terminator + 1
            first_line = scanner.last_terminator_newline + 2
            terms = scanner.feed(chunk, detail=True)
            n = len(terms.positions)
            if not n:
                continue
            record = np.arange(first_record, first_record + n, dtype=np.int64)
            starts = np.concatenate(([first_start], terms.positions[:-1] + 1))
            # the record after newline number k starts on physical line k + 2
            lines = np.concatenate(([first_line], terms.newline_index[:-1] + 2))
            is_reject = np.isin(record + 1, rejected)
            eligible = (record >= 1) & ~terms.blank & ~is_reject
            ordinal = good_seen + np.cumsum(eligible) - 1
            good_seen += int(eligible.sum())
            for i in np.flatnonzero(is_reject):
                found_rejects[int(record[i]) + 1] = (
                    int(record[i]),
                    int(lines[i]),
                    int(starts[i]),
                    int(terms.positions[i]),
                )
            for i in np.flatnonzero(eligible & np.isin(ordinal, wanted)):
                found_good[int(ordinal[i])] = (
                    int(record[i]),
                    int(lines[i]),
                    int(starts[i]),
                    int(terms.positions[i]),
                )
        if scanner.has_trailing_record():
            record = scanner.records
            place = (
                record,
                scanner.last_terminator_newline + 2,
                scanner.last_terminator + 1,
                scanner.offset,
            )
            if record + 1 in rejected:
                found_rejects[record + 1] = place
            elif record >= 1 and good_seen in wanted:
                found_good[good_seen] = place
        return _read_raw(f, found_rejects, whole), _read_raw(f, found_good, whole)


def _read_raw(f, found: dict[int, _Place], whole: bool) -> dict[int, Located]:
    located = {}
    for key, (record, line, start, end) in sorted(found.items(), key=lambda kv: kv[1][2]):
        f.seek(start)
        data = f.read(end - start if whole else min(end - start, MAX_RAW_CHARS * 4))
        raw = data.decode("utf-8", errors="replace").removesuffix("\r")
        located[key] = Located(record, line, raw if whole else raw[:MAX_RAW_CHARS])
    return located


def stray_carriage_return(csv_path: Path, delimiter: str = ",") -> int | None:
    """The physical line of the first CR outside quotes that is not part of a CRLF, or None.

    DuckDB's reader gives up on the whole file at such a CR (it records other bad rows), so
    the loader looks for it, only then, to name the line."""
    quotes = _QuoteState(delimiter)
    lines = 1  # the line the chunk starts on
    pending = None  # a CR that ended the previous chunk: its line, if no LF follows
    offset = 0
    with open(csv_path, "rb") as f:
        while chunk := f.read(CHUNK):
            if offset < 3:
                quotes.see_head(chunk)
            buf = np.frombuffer(chunk, dtype=np.uint8)
            if pending is not None and buf[0] != NL:
                return pending
            pending = None
            crs = np.flatnonzero(buf == CR)
            outside = ~quotes.inside(buf, offset, crs)
            if len(crs):
                after = buf[np.minimum(crs + 1, len(buf) - 1)]
                for pos in crs[outside & ((crs == len(buf) - 1) | (after != NL))]:
                    line = lines + int(np.count_nonzero(buf[:pos] == NL))
                    if pos < len(buf) - 1:
                        return line
                    pending = line  # the next chunk says whether an LF follows
            lines += chunk.count(b"\n")
            offset += len(chunk)
    return pending
