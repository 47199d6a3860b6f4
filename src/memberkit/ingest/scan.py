"""One streaming pass over a file's bytes before anything is decided: the hash a reload is
recognised by, whether it is UTF-8 (and where it stops being so), its line ends, and whether
it is plain (no quote, tab, lone CR or invisible character: values take the fast path).

The file is opened once and stays open (Scan.source): what is hashed is what is read."""

from __future__ import annotations

import codecs
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from memberkit.errors import InputRejected, UsageError
from memberkit.ingest.records import CHUNK


class Progress(Protocol):
    """What a caller (the CLI's progress bar) hears of a long load."""

    def advance(self, nbytes: int) -> None: ...  # bytes of the file just read

    def phase(self, text: str) -> None: ...  # the work moves on to something without a size


_XLSX_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx/xlsm (zip) and legacy xls


# Characters the loader must trim or take out of values (SPEC 3.1): a file holding none
# of them (and no tab, quote or lone CR) is plain, and its values take the fast path.
# U+00A0, U+3000, U+200B-U+200D, U+2060, U+FEFF (a BOM after the start of the file).
INVISIBLE = "\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"


def file_version(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


@dataclass
class Scan:
    """What one pass over a file's bytes learns before anything is decided."""

    sha256: str  # the identity a reload is recognised by
    size: int
    is_sheet: bool  # XLSX/XLS: none of the text fields below apply
    utf8_ok: bool = True
    bad_utf8_line: int | None = None  # the line of the first byte that is not UTF-8
    mixed_utf8: bool = False  # ... and lines before it hold UTF-8 beyond ASCII
    source: BinaryIO | None = field(default=None, repr=False)  # the file, kept open
    stat: os.stat_result | None = field(default=None, repr=False)  # as it was opened
    newlines: int = 0
    crlf: int = 0
    crs: int = 0
    last_byte: int = 10
    head: bytes = b""
    has_quote: bool = False
    has_tab: bool = False
    has_invisible: bool = False  # one of INVISIBLE (U+3000, U+00A0, zero-width, a BOM)

    _tail: bytes = b""  # the last bytes seen: a sequence may straddle two chunks
    _seen: int = 0  # bytes seen

    @property
    def plain(self) -> bool:
        return not (self.has_quote or self.has_tab or self.has_invisible) and (
            self.crs == self.crlf
        )

    def note_text(self, chunk: bytes) -> None:
        """Count the line ends of the next chunk of text and see whether it is plain."""
        if b"\r" in chunk or self.last_byte == 13:
            self.crs += chunk.count(b"\r")
            self.crlf += chunk.count(b"\r\n") + (self.last_byte == 13 and chunk[:1] == b"\n")
        # numpy counts a byte about three times as fast as bytes.count
        self.newlines += int(np.count_nonzero(np.frombuffer(chunk, np.uint8) == 10))
        self.has_quote = self.has_quote or b'"' in chunk
        self.has_tab = self.has_tab or b"\t" in chunk
        if not self.has_invisible:
            self.has_invisible = self._invisible(chunk)
        self._tail = (self._tail + chunk[-2:])[-2:]
        self._seen += len(chunk)
        self.last_byte = chunk[-1]

    def _invisible(self, chunk: bytes) -> bool:
        if not self.utf8_ok or (chunk.isascii() and self._tail.isascii()):
            return False  # ASCII; or not UTF-8, and then the UTF-8 copy is scanned instead
        joined = self._tail + chunk  # a character may straddle two chunks
        if self._seen == len(self._tail) and joined.startswith(codecs.BOM_UTF8):
            joined = joined[3:]  # the file's own BOM, at its very start, is in no value
        return has_invisible(joined)


def has_invisible(data: bytes) -> bool:
    """Whether UTF-8 bytes hold one of INVISIBLE, exactly. Each of them starts with byte C2,
    E2, E3 or EF: memchr rules most chunks out, and numpy looks only at the bytes after
    those leads (searching the bytes for each character costs four times as much)."""
    leads = [lead for lead in (0xC2, 0xE2, 0xE3, 0xEF) if bytes((lead,)) in data]
    if not leads:
        return False
    view = np.frombuffer(data + b"\0\0", np.uint8)  # two more: a lead at the end has no next
    mask = view == leads[0]
    for lead in leads[1:]:
        mask |= view == lead
    at = np.flatnonzero(mask)
    first, second, third = view[at], view[at + 1], view[at + 2]
    found = (
        ((first == 0xC2) & (second == 0xA0))  # U+00A0
        | ((first == 0xE3) & (second == 0x80) & (third == 0x80))  # U+3000
        | ((first == 0xE2) & (second == 0x80) & (third >= 0x8B) & (third <= 0x8D))  # U+200B-D
        | ((first == 0xE2) & (second == 0x81) & (third == 0xA0))  # U+2060
        | ((first == 0xEF) & (second == 0xBB) & (third == 0xBF))  # U+FEFF
    )
    return bool(found.any())


def complete_utf8(data: bytes) -> int:
    """Where a UTF-8 character begun at the end of data and not finished there starts (the
    length of data when none is): the rest of it comes with the next chunk."""
    size = len(data)
    for back in range(1, min(3, size) + 1):
        byte = data[size - back]
        if byte < 0x80:
            return size
        if byte >= 0xC0:  # a lead byte: of how many bytes? (invalid ones wait, and fail later)
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return size - back if length > back else size
    return size


def valid_utf8(data: bytes) -> bool:
    """Strict UTF-8 (as Python's decoder: no surrogates, overlong forms or bytes beyond
    U+10FFFF), checked by polars in Rust without building a str: a fifth of decoding."""
    import polars as pl

    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:
        return False
    return True


def scan(path: Path, progress: Progress | None = None) -> Scan:
    """Open the file, hash it and, for text, check UTF-8 and count line ends, in one
    streaming pass. The file stays open (Scan.source) for everything read later.

    The hash runs in a second thread (hashlib releases the GIL), so the pass costs about
    as much as reading the file."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file")
    try:
        source = open(path, "rb")  # noqa: SIM115 (closed by Scan.close)
    except OSError as exc:  # not allowed to read it
        raise InputRejected(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return _scan(path, source, progress)
    except OSError as exc:  # a disk error
        source.close()
        raise InputRejected(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except BaseException:
        source.close()
        raise


def _scan(path: Path, source: BinaryIO, progress: Progress | None) -> Scan:
    stat = os.fstat(source.fileno())
    if stat.st_size == 0:
        raise InputRejected(f"{path}: the file is empty (no header, no rows)")
    digest = hashlib.sha256()
    result = Scan(
        sha256="", size=stat.st_size, is_sheet=source.read(4) in _XLSX_MAGIC, source=source
    )
    result.stat = stat
    source.seek(0)
    offset, last_newline, first_non_ascii = 0, -1, None
    pending = b""  # the start of a character the chunk before ended in
    with ThreadPoolExecutor(1) as hasher:
        hashing = None
        while chunk := source.read(CHUNK):
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, chunk)
            if progress:
                progress.advance(len(chunk))
            if result.is_sheet:
                continue
            if not result.head:
                result.head = chunk[: 1 << 20]
            ascii_chunk = chunk.isascii()
            if first_non_ascii is None and not ascii_chunk:
                first_non_ascii = offset + int(np.argmax(np.frombuffer(chunk, np.uint8) >= 128))
            if result.utf8_ok and (not ascii_chunk or pending):
                data = pending + chunk if pending else chunk
                end = complete_utf8(data)
                try:  # Python's decoder has the last word, and says where
                    if not valid_utf8(data[:end] if end < len(data) else data):
                        data[:end].decode("utf-8")
                    pending = data[end:]
                except UnicodeDecodeError as exc:
                    at = max(exc.start - len(pending), 0)
                    _bad_utf8(result, chunk, at, offset, last_newline, first_non_ascii)
            result.note_text(chunk)
            if (i := chunk.rfind(b"\n")) >= 0:
                last_newline = offset + i
            offset += len(chunk)
        if hashing is not None:
            hashing.result()
    if result.utf8_ok and not result.is_sheet and pending:  # the file ends inside a character
        _bad_utf8(result, b"", 0, offset, last_newline, first_non_ascii)
    result.sha256 = digest.hexdigest()
    return result


def _bad_utf8(
    result: Scan, chunk: bytes, at: int, offset: int, last_newline: int, first_non_ascii
) -> None:
    """Note the line of the first byte that is not UTF-8 (at: its place in the chunk, whose
    line ends note_text has not counted yet), and whether earlier lines hold UTF-8 text
    beyond ASCII: then the file mixes two encodings."""
    result.utf8_ok = False
    result.bad_utf8_line = result.newlines + chunk.count(b"\n", 0, at) + 1
    before = chunk.rfind(b"\n", 0, at)
    line_start = offset + before + 1 if before >= 0 else last_newline + 1
    result.mixed_utf8 = first_non_ascii is not None and first_non_ascii < line_start
