"""Turn an input file into a UTF-8 CSV that DuckDB can read, and find its header.

scan.py's pass has hashed the file and learnt its encoding and line ends. Only files DuckDB
cannot read as they are (GB18030, UTF-16, mixed line endings, title lines above the header,
XLSX) are rewritten, streaming, to a temporary UTF-8 CSV (encodings.py, sheets.py).

The bytes read are the bytes hashed (SPEC 3.1): the file is opened once, and hashed, copied
and read by DuckDB through that one descriptor (/proc/self/fd/N stays on the file that was
opened even if another file is renamed over its path). A file changed in place while it is
loaded is refused (check_unchanged).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from memberkit.errors import InputRejected, UsageError, printable, quoted
from memberkit.ingest.encodings import choose_encoding, transcode, utf8_name
from memberkit.ingest.kinds import Kind
from memberkit.ingest.records import CHUNK, RecordScanner
from memberkit.ingest.scan import INVISIBLE, Progress, Scan, file_version, scan
from memberkit.ingest.sheets import TITLE_ROWS, HeaderRule, Workbook, convert_workbook

__all__ = ["INVISIBLE", "PreparedFile", "Progress", "Scan", "prepare", "scan"]


DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
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
        changed = file_version(now)[:2] != file_version(before)[:2] or (
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
    source_encoding = choose_encoding(path, scanned, forced_encoding)
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
        elif not utf8_name(path):
            # DuckDB takes paths as UTF-8 text: give it a name it can take for the file
            prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
            prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
            prepared.csv_path.symlink_to(path.resolve())
    else:
        prepared._tmp = tempfile.TemporaryDirectory(prefix="memberkit-")
        prepared.csv_path = Path(prepared._tmp.name) / "data.csv"
        copy = transcode(
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
