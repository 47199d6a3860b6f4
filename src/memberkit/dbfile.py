"""Which file --db names, and whether it is a memberkit database: refused before DuckDB opens
it (a data file's name, a folder, any other file) or once it is open (another application's
DuckDB database, or one from a newer memberkit), before anything is written to it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from memberkit.errors import UsageError
from memberkit.schema import SCHEMA_VERSION, _schema_tables, _schema_version

if TYPE_CHECKING:
    import duckdb

DEFAULT_DB = "memberkit.duckdb"

# DuckDB 2 opens a path with a data file's name as an in-memory database over that file (a
# view), new or not: a load into it "succeeds" and keeps nothing. Such a name is refused.
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json", ".jsonl", ".ndjson", ".parquet")
_COMPRESSED = ("", ".gz", ".zst")
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_db_path(path: Path) -> bool:
    """Refuse, before DuckDB opens it, a path that cannot be a memberkit database (SPEC 3.1):
    a data file's name, a folder, any existing file that is not a DuckDB database. True when
    a DuckDB file is there (whose tables `_classify` checks once it is open)."""
    name = path.name.lower()
    for suffix in DATA_SUFFIXES:
        if any(name.endswith(suffix + c) for c in _COMPRESSED):
            raise UsageError(
                f"the database path {path} names a data file ({suffix}), not a database",
                hint=f"did you mean `memberkit load KIND {path}`? --db names the database "
                f"memberkit keeps (like {DEFAULT_DB}); it is created if it does not exist",
            )
    if not path.exists():
        return False
    if path.is_dir():
        raise UsageError(
            f"the database path {path} is a folder, not a database file",
            hint=f"name a file, like {path / DEFAULT_DB}",
        )
    if not path.is_file():
        raise UsageError(f"the database path {path} is not a regular file (a pipe?)")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise UsageError(f"cannot read the database {path}: {exc.strerror or exc}") from None
    if head[8:12] != DUCKDB_MAGIC:
        raise UsageError(
            f"the database path {path} is {_what_file(head)}, not a memberkit database; "
            "memberkit will not open or change it",
            hint="--db names the database memberkit keeps (a new path creates one); to read "
            "a file into it, use `memberkit load KIND FILE`",
        )
    return True


def _what_file(head: bytes) -> str:
    if not head:
        return "an empty file (0 bytes)"
    for magic, what in (
        (b"PAR1", "a Parquet file"),
        (b"PK\x03\x04", "a ZIP archive (an XLSX workbook?)"),
        (b"\xd0\xcf\x11\xe0", "an Office file (an XLS workbook?)"),
        (b"SQLite format 3\x00", "an SQLite database"),
    ):
        if head.startswith(magic):
            return what
    if b"\x00" not in head:
        return "a text file (a CSV?)"
    return "a file that is not a DuckDB database"


def _classify(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """'memberkit' or 'empty' (a DuckDB file without tables); any other DuckDB file is
    refused, and the connection closed, before anything is written to it."""
    objects = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and not internal "
        "union all select schema_name, view_name from duckdb_views() "
        "where database_name = current_database() and not internal "
        "order by all"
    ).fetchall()
    if not objects:
        return "empty"
    version = _schema_version(con) if ("main", "meta") in objects else None
    if version is None and _half_made(con, objects):
        return "memberkit"  # its schema half made (killed while creating it): a writer ends it
    if version is not None and version.isdigit():
        if int(version) <= int(SCHEMA_VERSION):
            return "memberkit"  # older ones are upgraded by a writer: the schema only adds
        con.close()
        raise UsageError(
            f"the database {path} was made by a newer memberkit (schema {version}; this "
            f"memberkit knows {SCHEMA_VERSION}); it is left as it is",
            hint="upgrade memberkit (pip install -U memberkit)",
        )
    con.close()
    names = [t if s == "main" else f"{s}.{t}" for s, t in objects]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise UsageError(
        f"the database path {path} is another application's DuckDB database (tables: "
        f"{shown}), not a memberkit database; memberkit will not write into it",
        hint="choose another --db path: memberkit creates its database there",
    )


def _half_made(con: duckdb.DuckDBPyConnection, objects: list[tuple[str, str]]) -> bool:
    """Only memberkit's tables, an empty meta among them: ensure_schema did not finish."""
    if ("main", "meta") not in objects or any(
        s != "main" or t not in _schema_tables() for s, t in objects
    ):
        return False
    return not con.execute("select exists (from meta)").fetchall()[0][0]
