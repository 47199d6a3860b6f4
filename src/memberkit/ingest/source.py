"""Turn an input file into a UTF-8 CSV that DuckDB can read, in one streaming pass.

The pass hashes the file (reloads are recognised by content), decides the encoding (BOM,
then strict UTF-8, then GB18030, SPEC 3), counts records independently of DuckDB and sees
which line endings the file uses. Only files DuckDB cannot read as they are (GB18030, UTF-16,
mixed line endings, title lines above the header, XLSX) are rewritten, streaming, to a
temporary UTF-8 CSV.

The bytes read are the bytes hashed (SPEC 3.1): the file is opened once, and hashed, copied
and read by DuckDB through that one descriptor (/proc/self/fd/N stays on the file that was
opened even if another file is renamed over its path). A file changed in place while it is
loaded is refused (check_unchanged).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from memberkit.errors import InputRejected, UsageError, printable, quoted
from memberkit.ingest.kinds import Kind
from memberkit.ingest.records import CHUNK, RecordScanner
from memberkit.ingest.sheets import TITLE_ROWS, HeaderRule, Workbook, convert_workbook


class Progress(Protocol):
    """What a caller (the CLI's progress bar) hears of a long load."""

    def advance(self, nbytes: int) -> None: ...  # bytes of the file just read

    def phase(self, text: str) -> None: ...  # the work moves on to something without a size


DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_XLSX_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx/xlsm (zip) and legacy xls
# Characters the loader must trim or take out of values (SPEC 3.1): a file holding none
# of them (and no tab, quote or lone CR) is plain, and its values take the fast path.
# U+00A0, U+3000, U+200B-U+200D, U+2060, U+FEFF (a BOM after the start of the file).
INVISIBLE = "\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE_BYTES = tuple(c.encode() for c in INVISIBLE)
MAX_HEADER_BYTES = 16 << 20  # a header line longer than this is not a header


@dataclass
class PreparedFile:
    path: Path
    csv_path: Path  # the file DuckDB reads: the original (by descriptor) or a UTF-8 copy
    sha256: str
    size: int
    encoding: str  # what the source was: utf-8, utf-8-sig, gb18030, utf-16, xlsx, ...
    delimiter: str
    header: list[str]
    # Non-blank records after the header. Exact when records_exact; otherwise the newline
    # count, which blank lines and quoted line breaks make too high (see count_records).
    data_records: int
    records_exact: bool = True
    # No tab, quote, lone CR or INVISIBLE character anywhere: only spaces can pad a value.
    plain: bool = False
    has_quote: bool = False  # a quote somewhere in csv_path (the quote check reads it then)
    line_offset: int = 0  # title lines above the header, left out of csv_path
    sheets: Workbook | None = None  # XLSX: where each record came from
    notes: list[str] = field(default_factory=list)  # for the user, beside the counts
    source: BinaryIO | None = field(default=None, repr=False)  # the file as opened by scan()
    stat: os.stat_result | None = field(default=None, repr=False)
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The path as messages, the ledger and the rejects table show it."""
        return printable(str(self.path))

    @property
    def name(self) -> str:
        return printable(self.path.name)

    def count_records(self) -> int:
        """The exact record count (RecordScanner over the file DuckDB reads)."""
        if not self.records_exact:
            scanner = RecordScanner(self.delimiter)
            with open(self.csv_path, "rb") as f:
                while chunk := f.read(CHUNK):
                    scanner.feed(chunk)
            self.data_records, self.records_exact = scanner.finish() - 1, True
        return self.data_records

    def line_of_record(self, record: int, line: int) -> int:
        """The line a person looks for: the physical line, or for XLSX the sheet row."""
        if self.sheets is None:
            return line + self.line_offset
        rows = self.sheets.sheet_rows
        return rows[record - 1] if 1 <= record <= len(rows) else (rows or [1])[0] - 1

    def name_of_record(self, record: int) -> str:
        """The file as the rejects table names it: for a workbook of several sheets, with
        the record's sheet (`book.xlsx [Sheet2]`)."""
        book = self.sheets
        if book is None or not book.name_sheets or not 1 <= record <= len(book.record_sheets):
            return self.name
        return f"{self.name} [{printable(book.sheet_names[book.record_sheets[record - 1]])}]"

    def check_unchanged(self) -> None:
        """Refuse the load if the file changed since it was opened: what was hashed may not
        be what was read. A file renamed over the path does not matter (the descriptor
        stays on the one opened), unless DuckDB had to be given the path."""
        if self.source is None or self.stat is None:
            return
        before = self.stat
        now = os.fstat(self.source.fileno())
        # a write changes the size or mtime, and the ctime even if the mtime is set back
        # after it; so does unlinking the file (another renamed over it): not a change
        changed = _version(now)[:2] != _version(before)[:2] or (
            now.st_ctime_ns != before.st_ctime_ns and now.st_nlink == before.st_nlink
        )
        try:
            there = os.stat(self.path)
        except OSError:
            there = None
        replaced = there is None or (there.st_dev, there.st_ino) != (before.st_dev, before.st_ino)
        if not changed and replaced and self.csv_path == self.path:
            changed = True
        if changed:
            raise InputRejected(
                f"{self.label}: changed while it was being loaded; nothing was loaded; "
                "load it again",
                hint="wait until the program writing it has finished",
            )
        if replaced:
            self.notes.append(
                "another file took its place while it was being loaded; the version there "
                "when the load began was loaded (load the file again for the new one)"
            )

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _version(st: os.stat_result) -> tuple[int, int, int]:
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

    def note_text(self, chunk: bytes, text: str | None = None) -> None:
        """Count the line ends of the next chunk of text and see whether it is plain.

        `text` is the chunk decoded, if the caller has it (from an incremental decoder, so
        no character straddles two chunks): searching it is several times faster than
        searching the bytes for each character."""
        if b"\r" in chunk or self.last_byte == 13:
            self.crs += chunk.count(b"\r")
            self.crlf += chunk.count(b"\r\n") + (self.last_byte == 13 and chunk[:1] == b"\n")
        self.newlines += chunk.count(b"\n")
        self.has_quote = self.has_quote or b'"' in chunk
        self.has_tab = self.has_tab or b"\t" in chunk
        if not self.has_invisible:
            self.has_invisible = self._invisible(chunk, text)
        self._tail = chunk[-2:]
        self._seen += len(chunk)
        self.last_byte = chunk[-1]

    def _invisible(self, chunk: bytes, text: str | None) -> bool:
        if text is not None:  # the file's own BOM, at its very start, is in no value
            return not text.isascii() and (
                any(c in text for c in INVISIBLE[:-1])
                or text.find("\ufeff", 1 if self._seen == 0 else 0) >= 0
            )
        if not self.utf8_ok or (chunk.isascii() and self._tail.isascii()):
            return False  # ASCII; or not UTF-8, and then the UTF-8 copy is scanned instead
        joined = self._tail + chunk  # a character may straddle two chunks
        if self._seen == len(self._tail) and joined.startswith(codecs.BOM_UTF8):
            joined = joined[3:]
        return any(c in joined for c in _INVISIBLE_BYTES)


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
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    result = Scan(
        sha256="", size=stat.st_size, is_sheet=source.read(4) in _XLSX_MAGIC, source=source
    )
    result.stat = stat
    source.seek(0)
    offset, last_newline, first_non_ascii = 0, -1, None
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
            text = None
            if result.utf8_ok and (not ascii_chunk or utf8.getstate()[0]):
                held = len(utf8.getstate()[0])  # bytes of a character begun in the last chunk
                try:
                    text = utf8.decode(chunk)
                except UnicodeDecodeError as exc:
                    at = max(exc.start - held, 0)
                    _bad_utf8(result, chunk, at, offset, last_newline, first_non_ascii)
            result.note_text(chunk, text)
            if (i := chunk.rfind(b"\n")) >= 0:
                last_newline = offset + i
            offset += len(chunk)
        if hashing is not None:
            hashing.result()
    if result.utf8_ok and not result.is_sheet:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
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


def prepare(
    path: Path,
    scanned: Scan,
    *,
    kind: Kind,
    extra: dict[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheets: list[str] | None = None,
) -> PreparedFile:
    """The file as DuckDB reads it. `kind` and `extra` (--mapping) say what its header looks
    like, to find it below title lines; `sheets` (--sheet) picks a workbook's sheets."""
    extra = extra or {}
    if scanned.is_sheet:
        return _prepare_sheet(path, scanned, kind, extra, sheets)
    if sheets:
        raise UsageError(f"--sheet: {printable(str(path))} is not a workbook (XLSX or XLS)")
    return _prepare_csv(path, scanned, encoding, delimiter, HeaderRule.of(kind, extra))


def _prepare_csv(path, scanned: Scan, forced_encoding, delimiter, rule: HeaderRule):
    source_encoding = _choose_encoding(path, scanned, forced_encoding)
    # DuckDB reads LF and CRLF files alike but fails on a mix, and knows no CR-only files
    # (old Mac exports): those are rewritten with LF line ends.
    mixed_endings = 0 < scanned.crlf < scanned.newlines
    cr_only = scanned.newlines == 0 and b"\r" in scanned.head
    prepared = PreparedFile(
        path=path,
        csv_path=path,
        sha256=scanned.sha256,
        size=scanned.size,
        encoding=source_encoding,
        delimiter=",",
        header=[],
        data_records=0,
        source=scanned.source,
        stat=scanned.stat,
    )
    assert scanned.source is not None
    titles, title_bytes = _title_lines(scanned.head, source_encoding, cr_only, delimiter, rule)
    prepared.line_offset = titles
    if source_encoding in ("utf-8", "utf-8-sig") and not mixed_endings and not cr_only:
        # One record per line end (and one after the last, unterminated line), the header
        # off. The loader asks for the exact count only when DuckDB's accounting differs.
        prepared.data_records = scanned.newlines + (scanned.last_byte != 10) - 1 - titles
        prepared.records_exact = False
        prepared.plain = scanned.plain
        prepared.has_quote = scanned.has_quote
        reader = Path(f"/proc/self/fd/{scanned.source.fileno()}")
        if titles:  # DuckDB reads from the header on: a copy without the title lines
            prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
            prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
            scanned.source.seek(title_bytes)
            with open(prepared.csv_path, "wb") as out:
                shutil.copyfileobj(scanned.source, out, CHUNK)
        elif reader.exists():
            prepared.csv_path = reader
        elif not _utf8_name(path):
            # DuckDB takes paths as UTF-8 text: give it a name it can take for the file
            prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
            prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
            prepared.csv_path.symlink_to(path.resolve())
    else:
        prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
        prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
        copy = _transcode(
            path, scanned.source, prepared.csv_path, source_encoding, cr_only=cr_only, skip=titles
        )
        prepared.data_records = copy.newlines + (copy.last_byte != 10) - 1
        prepared.records_exact = False
        prepared.plain = copy.plain
        prepared.has_quote = copy.has_quote
    if titles:
        lines = f"lines 1–{titles}" if titles > 1 else "line 1"
        prepared.notes.append(
            f"{lines} above the header (line {titles + 1}) "
            f"{'are' if titles > 1 else 'is'} not data and {'were' if titles > 1 else 'was'} "
            "skipped"
        )
    prepared.header, prepared.delimiter = _read_header(prepared, delimiter)
    return prepared


def _choose_encoding(path: Path, scanned: Scan, forced: str | None) -> str:
    head, utf8_ok, line = scanned.head, scanned.utf8_ok, scanned.bad_utf8_line
    if forced:
        try:
            codec = codecs.lookup(forced)
        except (LookupError, ValueError):
            codec = None
        # base64, rot13, zlib, ... are codecs too, but not encodings of text
        text = getattr(codec, "_is_text_encoding", True)
        if codec is None or not text or codec.name == "undefined":
            raise UsageError(
                f"--encoding: unknown text encoding {quoted(forced)}", hint="e.g. utf-8, gb18030"
            )
        name = codec.name
        if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if name == "utf-8" and not utf8_ok:
            raise InputRejected(
                f"{path}: the file is not valid UTF-8 (line {line})",
                hint="leave out --encoding to detect it, or name the right one",
            )
        return name
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    if head.startswith(codecs.BOM_UTF8):
        if not utf8_ok:
            raise InputRejected(
                f"{path}: starts with a UTF-8 BOM but line {line} is not valid UTF-8",
                hint="save the whole file in one encoding, or pass --encoding with the file's "
                "real encoding",
            )
        return "utf-8-sig"
    utf16 = _utf16_without_bom(head)
    if utf16:
        raise InputRejected(
            f"{path}: looks like UTF-16 text without a BOM", hint=f"pass --encoding {utf16}"
        )
    if not utf8_ok and scanned.mixed_utf8 and line is not None:
        lines = f"lines 1–{line - 1} are" if line > 2 else "line 1 is"
        raise InputRejected(
            f"{path}: {lines} UTF-8 but line {line} is not: the file mixes two encodings "
            "(rows pasted from another export?); nothing was loaded",
            hint="save the whole file in one encoding (UTF-8); if all of it is GB18030, "
            "pass --encoding gb18030",
        )
    return "utf-8" if utf8_ok else "gb18030"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: a NUL in every other byte (headers are ASCII or CJK with NULs
    at least beside the delimiters and line ends); no UTF-8 or GB18030 text has that."""
    sample = head[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    for name, zeros, others in (("utf-16-le", 1, 0), ("utf-16-be", 0, 1)):
        z, o = sample[zeros::2], sample[others::2]
        if z.count(0) >= len(z) // 4 and o.count(0) <= len(o) // 20:
            return name
    return None


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _title_lines(
    head: bytes, encoding: str, cr_only: bool, forced: str | None, rule: HeaderRule
) -> tuple[int, int]:
    """Title lines above the header (report exports: `会员资料导出` / `导出时间: …` / a blank
    line): how many, and (for UTF-8) how many bytes. The header is the first of the first
    30 lines that names every required column, else the first naming any column of the
    kind; if none does, line 1 is the header, as before."""
    end = b"\r" if cr_only else b"\n"
    if encoding.startswith("utf-16"):
        return 0, 0  # Excel's "Unicode text" has no title lines; a NUL-aware split is not worth it
    pieces = head.split(end, TITLE_ROWS)[:TITLE_ROWS]
    rows = []
    for piece in pieces:
        text = piece.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r")
        delimiter = _forced_delimiter(forced) if forced else _sniff_delimiter(text)
        try:
            rows.append(next(csv.reader([text], delimiter=delimiter), []))
        except csv.Error:
            rows.append([])
    at = rule.find(rows)
    if not at or rule.rank(rows[at]) == 0:
        return 0, 0
    return at, sum(len(p) + 1 for p in pieces[:at])


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _forced_delimiter(forced: str) -> str:
    delimiter = {"tab": "\t", "\\t": "\t", "comma": ","}.get(forced, forced)
    if len(delimiter) != 1:
        raise UsageError(f"--delimiter must be one character, not {quoted(forced)}")
    if delimiter in '"\r\n':
        raise UsageError(f"--delimiter cannot be a quote or a line break, not {forced!r}")
    return delimiter


def _transcode(
    path: Path, source: BinaryIO, target: Path, encoding: str, *, cr_only: bool, skip: int
) -> Scan:
    """Stream the file into UTF-8 with LF line ends, leaving out the first `skip` lines (title
    lines); return what the loader needs to know of the copy (line count and whether it is
    plain), as scan() does for a UTF-8 file."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    copy = Scan(sha256="", size=0, is_sheet=False)
    held_cr = b""  # a '\r' at a chunk's end may pair with a '\n' in the next chunk
    lines_before = 0
    source.seek(0)
    with open(target, "wb") as out:
        while True:
            chunk = source.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line = lines_before + chunk[: exc.start].count(b"\n") + 1
                raise _undecodable(path, source, encoding, line) from None
            except UnicodeError as exc:  # 'utf-16' and 'utf-32' without a BOM
                raise InputRejected(
                    f"{path}: cannot be read as {encoding}: {exc}",
                    hint=f"pass --encoding {encoding}-le or {encoding}-be",
                ) from None
            lines_before += chunk.count(b"\n")
            data = held_cr + text.encode("utf-8")
            held_cr = b""
            if chunk and data.endswith(b"\r"):
                data, held_cr = data[:-1], b"\r"
            data = data.replace(b"\r\n", b"\n")
            if cr_only:
                data = data.replace(b"\r", b"\n")
            while skip and data:  # title lines
                cut = data.find(b"\n")
                data = b"" if cut < 0 else data[cut + 1 :]
                skip -= cut >= 0
            out.write(data)
            if data:
                copy.note_text(data, text)
            if not chunk:
                break
    return copy


def _undecodable(path: Path, source: BinaryIO, encoding: str, line: int) -> InputRejected:
    guess = None
    try:
        from charset_normalizer import from_bytes

        source.seek(0)
        best = from_bytes(source.read(1 << 20), steps=3, chunk_size=4096).best()
        guess = best.encoding if best else None
    except Exception:  # a guess is only a hint; never let it hide the real error
        guess = None
    hint = f"it looks like {guess}: pass --encoding {guess}" if guess else "pass --encoding"
    return InputRejected(
        f"{path}: cannot be read as {encoding}: undecodable bytes on line {line}", hint=hint
    )


def _read_header(prepared: PreparedFile, forced: str | None) -> tuple[list[str], str]:
    line_no = prepared.line_offset + 1
    with open(prepared.csv_path, "rb") as f:
        data = f.read(1 << 20)
        # a header of thousands of columns may be longer: read on to its end, within reason
        while b"\n" not in data and len(data) < MAX_HEADER_BYTES and (more := f.read(1 << 20)):
            data += more
    if b"\n" not in data and len(data) >= MAX_HEADER_BYTES:
        raise InputRejected(
            f"{prepared.label}: line {line_no} (the header) is longer than "
            f"{MAX_HEADER_BYTES >> 20} MB; is this a CSV file?"
        )
    head = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    first_line = head.split("\n", 1)[0].rstrip("\r")
    if not first_line.strip():
        raise InputRejected(f"{prepared.label}: line 1 is empty; the header must be on line 1")
    delimiter = _forced_delimiter(forced) if forced is not None else _sniff_delimiter(first_line)
    try:
        reader = csv.reader(io.StringIO(head), delimiter=delimiter)
        header = next(reader)
    except csv.Error as exc:
        raise InputRejected(
            f"{prepared.label}: cannot read the header line: {exc}",
            hint="is this a CSV file? if it is UTF-16 without a BOM, pass --encoding utf-16-le",
        ) from None
    # a quote opened in the header that takes in rows below it (a header cell may hold a
    # line break, but not a delimiter and a line break)
    swallowed = [i for i, h in enumerate(header) if "\n" in h and delimiter in h]
    if reader.line_num > 1 and swallowed:
        column = swallowed[0] + 1
        raise InputRejected(
            f"{prepared.label}: line {line_no}, column {column} of the header: a quote opened "
            "here takes in the lines below it (a stray quote?); nothing was loaded",
            hint="remove the stray quote from the header",
        )
    return [h.strip() for h in header], delimiter


# --- XLSX -------------------------------------------------------------------------------


def _prepare_sheet(path, scanned: Scan, kind: Kind, extra, picked) -> PreparedFile:
    assert scanned.source is not None
    tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
    try:
        csv_path = Path(tmp.name) / "data.csv"
        book = convert_workbook(scanned.source, path, csv_path, kind, extra, picked)
    except BaseException:
        tmp.cleanup()
        raise
    return PreparedFile(
        path=path,
        csv_path=csv_path,
        sha256=scanned.sha256,
        size=scanned.size,
        encoding=f"xlsx [{', '.join(book.sheet_names)}]" if picked else "xlsx",
        delimiter=",",
        header=book.header,
        data_records=len(book.sheet_rows),
        sheets=book,
        notes=book.notes,
        source=scanned.source,
        stat=scanned.stat,
        _tmp=tmp,
    )
