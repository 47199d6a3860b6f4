"""Where the CSV records are: counted independently of DuckDB, and mapped to physical lines.

DuckDB's CSV reader reports rejected rows by record number (blank lines count, quoted line
breaks do not) and can drop rows silently when its line-ending setting is wrong, so the
loader checks DuckDB's accounting against this count, and turns record numbers into the line
numbers a person sees in an editor. A record ends at a newline outside double quotes
(RFC 4180: an escaped quote "" flips the parity twice, so parity is enough).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 8 << 20
NL, CR, QUOTE = 10, 13, 34
MAX_RAW_CHARS = 2000


@dataclass
class _Terminators:
    """Record terminators of one chunk, with what the callers need to know about each."""

    positions: np.ndarray  # global byte offsets of the terminating newlines
    newline_index: np.ndarray  # global index of each among all newlines (quoted ones too)
    blank: np.ndarray  # the record it ends is empty (or just '\r')


class RecordScanner:
    """Feed the file's bytes chunk by chunk; it finds the record terminators."""

    def __init__(self) -> None:
        self.offset = 0  # bytes fed so far
        self.newlines = 0  # newlines fed so far, quoted ones included
        self.in_quote = False
        self.last_terminator = -1  # global offset of the previous terminator
        self.last_terminator_newline = -1  # ... and its index among all newlines
        self.last_byte = NL  # a virtual newline before the file: an empty first line is blank
        self.records = 0  # records ended so far, blank ones included
        self.blanks = 0

    def feed(self, chunk: bytes, *, detail: bool = False) -> _Terminators | None:
        """Take the next chunk; with detail, return its terminators (else only count them)."""
        if not chunk:
            return None
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
        self.records += count
        self.newlines += chunk.count(b"\n")
        self.offset += len(chunk)
        self.last_byte = chunk[-1]
        return terms

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
        if self.in_quote or QUOTE in buf:
            quotes = np.flatnonzero(buf == QUOTE)
            parity = (np.searchsorted(quotes, newlines) + int(self.in_quote)) & 1
            outside = parity == 0
            newlines, index = newlines[outside], index[outside]
            self.in_quote = bool((len(quotes) + int(self.in_quote)) & 1)
        positions = newlines.astype(np.int64) + self.offset
        previous = np.concatenate(([self.last_terminator], positions[:-1]))
        gap = positions - previous
        byte_before = np.where(newlines >= 1, buf[np.maximum(newlines - 1, 0)], self.last_byte)
        blank = (gap == 1) | ((gap == 2) & (byte_before == CR))
        return _Terminators(positions, index, blank)

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
) -> tuple[dict[int, Located], dict[int, Located]]:
    """Find records by DuckDB's 1-based record number (rejected rows) and by ordinal among
    the rows DuckDB accepted (0-based; the header, blank lines and rejected rows skipped).
    `raw` is cut to MAX_RAW_CHARS for people to read, unless `whole` (to parse it again)."""
    rejected = np.unique(np.fromiter(reject_records, dtype=np.int64))
    wanted = np.unique(np.fromiter(good_ordinals, dtype=np.int64))
    found_rejects: dict[int, _Place] = {}
    found_good: dict[int, _Place] = {}
    scanner = RecordScanner()
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


def stray_carriage_return(csv_path: Path) -> int | None:
    """The physical line of the first CR outside quotes that is not part of a CRLF, or None.

    DuckDB's reader gives up on the whole file at such a CR (it records other bad rows), so
    the loader looks for it, only then, to name the line."""
    in_quote = False
    lines = 1  # the line the chunk starts on
    pending = None  # a CR that ended the previous chunk: its line, if no LF follows
    with open(csv_path, "rb") as f:
        while chunk := f.read(CHUNK):
            buf = np.frombuffer(chunk, dtype=np.uint8)
            if pending is not None and buf[0] != NL:
                return pending
            pending = None
            crs = np.flatnonzero(buf == CR)
            if len(crs):
                quotes = np.flatnonzero(buf == QUOTE)
                outside = ((np.searchsorted(quotes, crs) + int(in_quote)) & 1) == 0
                after = buf[np.minimum(crs + 1, len(buf) - 1)]
                for pos in crs[outside & ((crs == len(buf) - 1) | (after != NL))]:
                    line = lines + int(np.count_nonzero(buf[:pos] == NL))
                    if pos < len(buf) - 1:
                        return line
                    pending = line  # the next chunk says whether an LF follows
            lines += chunk.count(b"\n")
            in_quote = bool((np.count_nonzero(buf == QUOTE) + int(in_quote)) & 1)
    return pending
