"""Turn an input file into a UTF-8 CSV that DuckDB can read, in one streaming pass.

The pass hashes the file (reloads are recognised by content), decides the encoding (BOM,
then strict UTF-8, then GB18030, SPEC 3), counts records independently of DuckDB and sees
which line endings the file uses. Only files DuckDB cannot read as they are (GB18030, UTF-16,
mixed line endings, XLSX) are rewritten, streaming, to a temporary UTF-8 CSV.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Protocol

from memberkit.errors import InputRejected, UsageError, printable, quoted
from memberkit.ingest.records import CHUNK, RecordScanner


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
    csv_path: Path  # the file DuckDB reads: the original or a temporary UTF-8 copy
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
    sheet_rows: list[int] | None = None  # XLSX: the sheet row of each data record
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
            scanner = RecordScanner()
            with open(self.csv_path, "rb") as f:
                while chunk := f.read(CHUNK):
                    scanner.feed(chunk)
            self.data_records, self.records_exact = scanner.finish() - 1, True
        return self.data_records

    def line_of_record(self, record: int, line: int) -> int:
        """The line a person looks for: the physical line, or for XLSX the sheet row."""
        if self.sheet_rows is None:
            return line
        return self.sheet_rows[record - 1] if record >= 1 else self.sheet_rows[0] - 1

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


@dataclass
class Scan:
    """What one pass over a file's bytes learns before anything is decided."""

    sha256: str  # the identity a reload is recognised by
    size: int
    is_sheet: bool  # XLSX/XLS: none of the text fields below apply
    utf8_ok: bool = True
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
    """Hash the file and, for text, check UTF-8 and count line ends, in one streaming pass.

    The hash runs in a second thread (hashlib releases the GIL), so the pass costs about
    as much as reading the file."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file")
    try:
        return _scan(path, progress)
    except OSError as exc:  # not allowed to read it, or a disk error
        raise InputRejected(f"{path}: cannot be read: {exc.strerror or exc}") from None


def _scan(path: Path, progress: Progress | None) -> Scan:
    size = path.stat().st_size
    if size == 0:
        raise InputRejected(f"{path}: the file is empty (no header, no rows)")
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as f, ThreadPoolExecutor(1) as hasher:
        result = Scan(sha256="", size=size, is_sheet=f.read(4) in _XLSX_MAGIC)
        f.seek(0)
        hashing = None
        while chunk := f.read(CHUNK):
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, chunk)
            if progress:
                progress.advance(len(chunk))
            if result.is_sheet:
                continue
            if not result.head:
                result.head = chunk[: 1 << 20]
            text = None
            if result.utf8_ok and (not chunk.isascii() or utf8.getstate()[0]):
                try:
                    text = utf8.decode(chunk)
                except UnicodeDecodeError:
                    result.utf8_ok = False
            result.note_text(chunk, text)
        if hashing is not None:
            hashing.result()
    if result.utf8_ok and not result.is_sheet:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            result.utf8_ok = False
    result.sha256 = digest.hexdigest()
    return result


def prepare(
    path: Path,
    scanned: Scan,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    is_header: Callable[[list[str]], bool] = lambda row: True,
) -> PreparedFile:
    if scanned.is_sheet:
        return _prepare_sheet(path, scanned, is_header)
    return _prepare_csv(path, scanned, encoding, delimiter)


def _prepare_csv(path, scanned: Scan, forced_encoding, delimiter) -> PreparedFile:
    source_encoding = _choose_encoding(path, scanned.head, scanned.utf8_ok, forced_encoding)
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
    )
    if source_encoding in ("utf-8", "utf-8-sig") and not mixed_endings and not cr_only:
        # One record per line end (and one after the last, unterminated line), the header
        # off. The loader asks for the exact count only when DuckDB's accounting differs.
        prepared.data_records = scanned.newlines + (scanned.last_byte != 10) - 1
        prepared.records_exact = False
        prepared.plain = scanned.plain
        if not _utf8_name(path):
            # DuckDB takes paths as UTF-8 text: give it a name it can take for the file
            prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
            prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
            prepared.csv_path.symlink_to(path.resolve())
    else:
        prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
        prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
        copy = _transcode(path, prepared.csv_path, source_encoding, cr_only=cr_only)
        prepared.data_records = copy.newlines + (copy.last_byte != 10) - 1
        prepared.records_exact = False
        prepared.plain = copy.plain
    prepared.header, prepared.delimiter = _read_header(prepared, delimiter)
    return prepared


def _choose_encoding(path: Path, head: bytes, utf8_ok: bool, forced: str | None) -> str:
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
                f"{path}: the file is not valid UTF-8",
                hint="leave out --encoding to detect it, or name the right one",
            )
        return name
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    if head.startswith(codecs.BOM_UTF8):
        if not utf8_ok:
            raise InputRejected(
                f"{path}: starts with a UTF-8 BOM but is not valid UTF-8",
                hint="pass --encoding with the file's real encoding",
            )
        return "utf-8-sig"
    utf16 = _utf16_without_bom(head)
    if utf16:
        raise InputRejected(
            f"{path}: looks like UTF-16 text without a BOM", hint=f"pass --encoding {utf16}"
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


def _transcode(source: Path, target: Path, encoding: str, *, cr_only: bool = False) -> Scan:
    """Stream `source` into UTF-8 with LF line ends; return what the loader needs to know
    of the copy (line count and whether it is plain), as scan() does for a UTF-8 file."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    copy = Scan(sha256="", size=0, is_sheet=False)
    held_cr = b""  # a '\r' at a chunk's end may pair with a '\n' in the next chunk
    lines_before = 0
    with open(source, "rb") as f, open(target, "wb") as out:
        while True:
            chunk = f.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line = lines_before + chunk[: exc.start].count(b"\n") + 1
                raise _undecodable(source, encoding, line) from None
            except UnicodeError as exc:  # 'utf-16' and 'utf-32' without a BOM
                raise InputRejected(
                    f"{source}: cannot be read as {encoding}: {exc}",
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
            out.write(data)
            if data:
                copy.note_text(data, text)
            if not chunk:
                break
    return copy


def _undecodable(path: Path, encoding: str, line: int) -> InputRejected:
    guess = None
    try:
        from charset_normalizer import from_path

        best = from_path(path, steps=3, chunk_size=4096).best()
        guess = best.encoding if best else None
    except Exception:  # a guess is only a hint; never let it hide the real error
        guess = None
    hint = f"it looks like {guess}: pass --encoding {guess}" if guess else "pass --encoding"
    return InputRejected(
        f"{path}: cannot be read as {encoding}: undecodable bytes on line {line}", hint=hint
    )


def _read_header(prepared: PreparedFile, forced: str | None) -> tuple[list[str], str]:
    with open(prepared.csv_path, "rb") as f:
        data = f.read(1 << 20)
        # a header of thousands of columns may be longer: read on to its end, within reason
        while b"\n" not in data and len(data) < MAX_HEADER_BYTES and (more := f.read(1 << 20)):
            data += more
    if b"\n" not in data and len(data) >= MAX_HEADER_BYTES:
        raise InputRejected(
            f"{prepared.label}: line 1 (the header) is longer than "
            f"{MAX_HEADER_BYTES >> 20} MB; is this a CSV file?"
        )
    head = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    first_line = head.split("\n", 1)[0].rstrip("\r")
    if not first_line.strip():
        raise InputRejected(f"{prepared.label}: line 1 is empty; the header must be on line 1")
    if forced is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ","}.get(forced, forced)
        if len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character, not {quoted(forced)}")
        if delimiter in '"\r\n':
            raise UsageError(f"--delimiter cannot be a quote or a line break, not {forced!r}")
    else:
        counts = {d: first_line.count(d) for d in DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        header = next(csv.reader(io.StringIO(head), delimiter=delimiter))
    except csv.Error as exc:
        raise InputRejected(
            f"{prepared.label}: cannot read the header line: {exc}",
            hint="is this a CSV file? if it is UTF-16 without a BOM, pass --encoding utf-16-le",
        ) from None
    return [h.strip() for h in header], delimiter


# --- XLSX -------------------------------------------------------------------------------


def _prepare_sheet(path, scanned: Scan, is_header) -> PreparedFile:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_name = next(
            (s.name for s in workbook.sheets_metadata if str(s.visible).endswith("Visible")),
            workbook.sheet_names[0],
        )
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputRejected(f"{path}: cannot be read as a workbook: {exc}") from None
    texts = [[_cell_text(v) for v in row] for row in rows]
    header_index = next(
        (i for i, row in enumerate(texts[:30]) if any(row) and is_header(row)),
        next((i for i, row in enumerate(texts) if any(row)), None),
    )
    if header_index is None:
        raise InputRejected(f"{path}: the first sheet is empty")
    tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
    csv_path = Path(tmp.name) / "data.csv"
    sheet_rows: list[int] = []
    with open(csv_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        header = [h.strip() for h in texts[header_index]]
        writer.writerow(header)
        for i in range(header_index + 1, len(texts)):
            if any(v.strip() for v in texts[i]):
                writer.writerow(texts[i])
                sheet_rows.append(i + 1)
    return PreparedFile(
        path=path,
        csv_path=csv_path,
        sha256=scanned.sha256,
        size=scanned.size,
        encoding="xlsx",
        delimiter=",",
        header=header,
        data_records=len(sheet_rows),
        sheet_rows=sheet_rows,
        _tmp=tmp,
    )


def _cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold (phones typed as numbers lose '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)
