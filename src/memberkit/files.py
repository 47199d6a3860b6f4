"""Files memberkit writes for the user: whole or not at all, and private when they hold phones."""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memberkit.errors import UsageError, file_error, os_error_in


@contextmanager
def atomic_output(path: Path, *, private: bool, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path` to write; when the block ends, sync it to disk and
    rename it to `path`. A crash or a full disk never leaves half a file under the final name
    (at most a hidden `.NAME.*` temporary, after a kill -9), and a file holding personal data
    is readable by its owner only from the moment it exists."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600: nobody else can open it while it is being written
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise file_error(path, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not private:
            tmp.chmod(0o666 & ~user_umask())
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
        sync_folder(path.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        cause = os_error_in(exc)
        if cause is not None:
            # the OSError names the temporary file: name the file the user asked for
            raise file_error(path, cause) from None
        raise


# A text cell a spreadsheet would run as a formula: =HYPERLINK(...), +cmd|..., -2+3+cmd|...,
# @SUM(...), or one of these behind a tab or CR. CSV files are for opening in Excel, so every
# TEXT cell starting with one of these characters is written with a leading apostrophe, as
# OWASP advises; "-12.50" as text gets one too (Excel would compute it). Numbers are not text:
# every CSV writer passes amounts, counts and ratios as numbers, which are never prefixed.
FORMULA_STARTS = "=+-@\t\r"
# the same test as a regular expression, for writers that work on whole columns (polars)
SPREADSHEET_FORMULA = r"^[=+\-@\t\r]"


def defuse_formula(text: str) -> str:
    """A text cell for a CSV file: with a leading ' if a spreadsheet would run it."""
    return "'" + text if text[:1] in _FORMULA_STARTS else text


_FORMULA_STARTS = frozenset(FORMULA_STARTS)


_user_umask: int | None = None  # the umask the process started with, before any tightening


def user_umask() -> int:
    if _user_umask is not None:
        return _user_umask
    mask = os.umask(0)
    os.umask(mask)
    return mask


def side_files_like(path: Path) -> None:
    """Make the files this process creates from now on no more readable than `path`.

    DuckDB creates the database's write-ahead log (which holds the rows of a load, names
    and phones included) and its spill folder itself, with the process's umask. Tightening
    the umask to the database file's own group/other bits keeps them owner-only beside an
    owner-only database, and lets a database an administrator shared with a group stay
    readable by that group. Files memberkit writes for the user keep the user's umask."""
    global _user_umask
    closed = 0o077 & ~path.stat().st_mode
    mask = user_umask() | closed
    previous = os.umask(mask)
    if _user_umask is None:
        _user_umask = previous


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut after it keeps the new file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform; the rename has happened anyway
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_toml(path: Path, what: str) -> dict:
    """A TOML file the user names (`what`: "mapping file", "tables file"), or a usage error
    naming it: missing, not TOML, not UTF-8 (the parser's first line says where)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: {what} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a valid {what}: {exc}".splitlines()[0]) from None
