"""Which encoding a text file is in (SPEC 3: BOM, strict UTF-8, then GB18030) and the
streaming copy to UTF-8 with LF line ends for the files DuckDB cannot read as they are."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO

from memberkit.errors import InputRejected, UsageError, quoted
from memberkit.ingest.records import CHUNK
from memberkit.ingest.scan import Scan


def choose_encoding(path: Path, scanned: Scan, forced: str | None) -> str:
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


def utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def transcode(
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
                raise undecodable(path, source, encoding, line) from None
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
                copy.note_text(data)
            if not chunk:
                break
    return copy


def undecodable(path: Path, source: BinaryIO, encoding: str, line: int) -> InputRejected:
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
