"""Errors that reach the user as one line on stderr and an exit code (SPEC section 6)."""

from __future__ import annotations

import errno
import re
import unicodedata
from contextvars import ContextVar

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_INPUT_REJECTED = 3
EXIT_DATABASE_BUSY = 4
EXIT_GIFT_VARIANCE = 5


class MemberkitError(Exception):
    """An error with a message meant for the user and the exit code it maps to."""

    exit_code = EXIT_UNEXPECTED

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(MemberkitError):
    exit_code = EXIT_USAGE


class InputRejected(MemberkitError):
    """A file (or a value the user named, like a store) that memberkit refuses."""

    exit_code = EXIT_INPUT_REJECTED


class DatabaseBusy(MemberkitError):
    exit_code = EXIT_DATABASE_BUSY


# Messages name an option as the caller spells it: `--min-amount` while a command runs (the
# command line sets this for the length of one command), `min_amount` from the Python API.
option_style: ContextVar[str] = ContextVar("option_style", default="keyword")


def option(name: str) -> str:
    """The option `name` (a keyword, like min_amount) as the caller spells it."""
    return "--" + name.replace("_", "-") if option_style.get() == "flag" else name


# Environment failures that deserve a plain sentence instead of "unexpected error".
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}
_DISK_FULL_TEXT = ("No space left on device", "File too large", "Disk quota exceeded")
_NOT_ALLOWED_TEXT = ("Permission denied", "Read-only file system", "Operation not permitted")


def file_error(path: object, error: OSError, doing: str = "write") -> MemberkitError:
    """A file memberkit could not write (or use): what happened, in words, and what to do."""
    reason = error.strerror or str(error)
    if error.errno in _DISK_FULL:
        return MemberkitError(
            f"cannot {doing} {path}: the disk is full ({reason})",
            hint="free some space and run the command again; nothing was written under that name",
        )
    if error.errno in _NOT_ALLOWED:
        return UsageError(
            f"cannot {doing} {path}: {reason}",
            hint="choose a folder you can write to, or ask for write access"
            if doing == "write"
            else "ask for access to it",
        )
    return UsageError(f"cannot {doing} {path}: {reason}")


def environment_error(exc: BaseException) -> MemberkitError | None:
    """A full disk or a folder memberkit may not write, from an OSError (possibly wrapped, as
    xlsxwriter does) or from DuckDB writing the database; None for anything else."""
    cause = os_error_in(exc)
    if cause is not None:
        return file_error(cause.filename or "a file", cause, doing="use")
    text = str(exc)
    if type(exc).__module__.lstrip("_").startswith("duckdb"):
        if any(t in text for t in _DISK_FULL_TEXT) or "could not allocate block" in text:
            return MemberkitError(
                f"the database could not be written: the disk is full ({_first_line(text)})",
                hint="free some space (DuckDB also spills to a .tmp folder beside the "
                "database) and run the command again; a load that fails is rolled back whole",
            )
        if any(t in text for t in _NOT_ALLOWED_TEXT):
            return UsageError(
                f"the database could not be written: {_first_line(text)}",
                hint="use a --db in a folder you can write to, or ask for write access",
            )
    return None


def os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`: itself, its cause, or its first argument (xlsxwriter wraps
    the OSError of a failed write in a FileCreateError)."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, OSError):
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], OSError) else None
        seen = wrapped or seen.__cause__
    return seen


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count and its noun for a message: '1 row', '2,000 rows', '1 match', '3 matches'."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def quoted(value: str, limit: int = 40) -> str:
    """A value from outside for a message: quoted, escaped and cut to a readable length."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str, *, keep_spaces: bool = False) -> str:
    """Text for a terminal, a log or the ledger: control characters, bidi overrides and the
    undecodable bytes of a file name (kept by surrogateescape) are written as escapes, so
    nothing from a file can move the cursor, recolour the screen or break a line.
    `keep_spaces` leaves spaces such as U+3000 as they are (names in a table: 张　三 is how
    two-character names are aligned); a message escapes them, so the value can be typed."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or (keep_spaces and unicodedata.category(c) == "Zs") else _escape(c)
        for c in text
    )


def _escape(c: str) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a name that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return repr(c)[1:-1]  # \x1b, \u202e, ...


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def redact(text: str) -> str:
    """The first line of an unexpected error, with quoted values taken out: messages from
    DuckDB or Python quote the value they choked on, which may be a name or a phone."""
    return re.sub(r"'[^']*'", "'…'", _first_line(text))
