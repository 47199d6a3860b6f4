"""The database as a Parquet lake (SPEC 8): `memberkit export parquet DIR`, the manifest that
says what a lake holds, checking a lake against it, and Spark views over it.

A lake is one folder per table. transactions, ticket_lines and the ticket_months summary are
partitioned Hive-style by month (`transactions/month=2026-10/data_0.parquet`): a query of one
month reads one folder. Their files hold every column of the table, except ticket_months,
whose own `month` column (the month's first day) is the folder's key instead. Timestamps are
written without a time zone and money as DECIMAL(18,2): Spark reads `timestamp_ntz` and exact
decimals, so days do not move with a session's time zone and sums stay exact to the cent.

`_memberkit.json` beside the tables records the schema version, each table's columns, rows
and rows per month, how far the data reaches, when and by which memberkit it was written.
The lake is written into a hidden folder beside DIR and renamed when whole: an interrupted
export leaves no half lake. It holds what the database holds, names and phones included, so
it is readable by its owner only, like the database.

Nothing here imports pyspark: register_lake works on the session it is given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memberkit import __version__
from memberkit.errors import InputRejected, UsageError, file_error, os_error_in
from memberkit.files import sync_folder
from memberkit.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb

MANIFEST = "_memberkit.json"
LAKE_FORMAT = "memberkit-lake"
LAKE_VERSION = 1  # the layout above; a reader refuses a newer one
PARTITION = "month"  # the Hive key: month=YYYY-MM
# The tables split by month, and the column whose month names a row's folder.
PARTITIONED = {"transactions": "txn_time", "ticket_lines": "txn_time", "ticket_months": "month"}
# A table whose own column is the partition key: its files leave the column out (Spark and
# DuckDB would otherwise see the folder's text and the file's date under one name).
KEY_IS_COLUMN = {"ticket_months"}

# DuckDB's types as Spark reads them from the files (DuckDB writes TIMESTAMP as Parquet's
# timestamp with isAdjustedToUTC=false, which Spark 4 reads as timestamp_ntz).
_SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp_ntz",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def export_parquet(
    con: duckdb.DuckDBPyConnection,
    dest: str | os.PathLike[str],
    *,
    replace: bool = False,
    on_table: Callable[[str, dict], None] | None = None,
) -> dict:
    """Write every table of the database `con` (read-only is enough) as a lake at `dest` and
    return its manifest. An existing lake is replaced only with `replace`; anything else
    already at `dest` but an empty folder is refused. `on_table(name, entry)` is told as
    each table is written (progress)."""
    dest = Path(dest)
    _check_destination(dest, replace)
    tables = _tables(con)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".export", dir=dest.parent))
    except OSError as exc:
        raise file_error(dest, exc) from None
    try:
        # one snapshot: the counts in the manifest are the rows in the files
        con.execute("begin transaction")
        try:
            with _private_files():
                entries = {}
                for name, columns in tables.items():
                    entries[name] = _write_table(con, staging, name, columns)
                    if on_table is not None:
                        on_table(name, entries[name])
                through = con.execute("select max(txn_time)::date from transactions").fetchone()
        finally:
            con.execute("rollback")
        manifest = {
            "format": LAKE_FORMAT,
            "lake_version": LAKE_VERSION,
            "schema_version": SCHEMA_VERSION,
            "memberkit_version": __version__,
            "written_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data_through": None if through[0] is None else through[0].isoformat(),
            "tables": entries,
        }
        with _private_files():
            (staging / MANIFEST).write_text(
                json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8"
            )
        _sync_tree(staging)
        _move_into_place(staging, dest, replace)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        cause = os_error_in(exc)
        if cause is not None and not isinstance(exc, UsageError | InputRejected):
            raise file_error(dest, cause) from None
        raise
    return manifest


def _check_destination(dest: Path, replace: bool) -> None:
    if not dest.exists() and not dest.is_symlink():
        if not dest.parent.is_dir():
            raise UsageError(f"cannot write {dest}: the folder {dest.parent} does not exist")
        return
    if not dest.is_dir() or dest.is_symlink():
        raise UsageError(f"{dest} exists and is not a folder: the lake is written as a folder")
    if not any(dest.iterdir()):
        return  # an empty folder made for it: nothing is lost
    if not (dest / MANIFEST).is_file():
        # never delete a folder of someone else's files, even with --replace
        raise UsageError(
            f"{dest} is a folder that is not a memberkit lake (no {MANIFEST}): not writing there",
            hint="give a new folder's name",
        )
    if not replace:
        raise UsageError(
            f"{dest} already holds a lake", hint="pass --replace to write it again in its place"
        )


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[list[str]]]:
    """Every table of the database and its columns [name, DuckDB type], in order."""
    tables: dict[str, list[list[str]]] = {}
    for table, column, kind in con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' "
        "order by table_name, column_index"
    ).fetchall():
        if not _NAME.fullmatch(table) or not _NAME.fullmatch(column):
            # names go into SQL text below: only memberkit's own plain names are taken
            raise InputRejected(
                f"the database has a table or column memberkit does not know: {table!r}.{column!r}"
            )
        tables.setdefault(table, []).append([column, kind])
    return tables


def _write_table(
    con: duckdb.DuckDBPyConnection, staging: Path, name: str, columns: list[list[str]]
) -> dict:
    folder = staging / name
    folder.mkdir()
    entry: dict[str, Any] = {"columns": columns}
    if name in PARTITIONED:
        source = PARTITIONED[name]
        kept = [c for c, _ in columns if not (name in KEY_IS_COLUMN and c == source)]
        # names from the catalogue (checked in _tables); the path is a bound parameter
        select = f"select {', '.join(kept)}, strftime({source}, '%Y-%m') as {PARTITION} from {name}"
        con.execute(
            f"copy ({select}) to $path (format parquet, partition_by ({PARTITION}))",
            {"path": str(folder)},
        )
        months = con.execute(
            f"select strftime({source}, '%Y-%m') as m, count(*) from {name} group by m order by m"
        ).fetchall()
        entry["partitioned_by"] = PARTITION
        entry["months"] = {m: n for m, n in months}
        entry["rows"] = sum(entry["months"].values())
    else:
        con.execute(
            f"copy (select * from {name}) to $path (format parquet)",
            {"path": str(folder / "data_0.parquet")},
        )
        entry["rows"] = con.execute(f"select count(*) from {name}").fetchone()[0]
    return entry


@contextmanager
def _private_files() -> Iterator[None]:
    """Files DuckDB creates while it holds: readable by their owner only (names, phones)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _sync_tree(root: Path) -> None:
    """Every file and folder of the lake on disk before the rename makes it the lake: a power
    cut after the rename never leaves empty files under a complete manifest."""
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as written:
                os.fsync(written.fileno())
        sync_folder(Path(folder))
    sync_folder(root.parent)


def _move_into_place(staging: Path, dest: Path, replace: bool) -> None:
    """Rename the finished lake to `dest`. A lake being replaced is first renamed aside, then
    removed: an interruption between the two renames leaves it whole under its hidden name."""
    if replace and (dest / MANIFEST).is_file():
        aside = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
        os.replace(dest, aside / "lake")
        try:
            os.replace(staging, dest)
        except BaseException:
            os.replace(aside / "lake", dest)  # the old lake back where it was
            aside.rmdir()
            raise
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(staging, dest)  # over an empty folder, or where nothing is
    sync_folder(dest.parent)


def read_manifest(dest: str | os.PathLike[str]) -> dict:
    """The manifest of the lake at `dest`; a folder that is not a lake, or a lake this
    memberkit cannot read, is refused naming the file."""
    dest = Path(dest)
    if not dest.exists():
        raise UsageError(f"no lake at {dest}", hint="write one with `memberkit export parquet DIR`")
    path = dest / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputRejected(
            f"{dest} is not a memberkit lake: it has no {MANIFEST}",
            hint="write one with `memberkit export parquet DIR`",
        ) from None
    except OSError as exc:
        raise file_error(path, exc, doing="read") from None
    return parse_manifest(text, str(path))


def parse_manifest(text: str, where: str) -> dict:
    """A manifest's text as a dict, checked to be a lake this memberkit reads."""
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise InputRejected(f"{where} is not a lake manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != LAKE_FORMAT:
        raise InputRejected(f"{where} is not a memberkit lake manifest")
    if manifest.get("lake_version") != LAKE_VERSION:
        raise InputRejected(
            f"{where}: lake version {manifest.get('lake_version')!r}; this memberkit "
            f"reads version {LAKE_VERSION}",
            hint="export the lake again with this memberkit",
        )
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise InputRejected(
            f"{where}: written from a schema {manifest.get('schema_version')!r} database; "
            f"this memberkit reads schema {SCHEMA_VERSION}",
            hint="export the lake again with this memberkit",
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or not all(_NAME.fullmatch(t) for t in tables):
        raise InputRejected(f"{where}: its list of tables is not a lake's")
    return manifest


def spark_schema(entry: dict) -> str:
    """A table's columns as a Spark DDL schema, the partition key last (as Spark reads it)."""
    fields = []
    for column, kind in entry["columns"]:
        if not _NAME.fullmatch(column):
            raise InputRejected(f"the lake names a column {column!r}")
        decimal = _DECIMAL.fullmatch(kind)
        if decimal:
            spark = f"decimal({decimal.group(1)},{decimal.group(2)})"
        elif kind in _SPARK_TYPES:
            spark = _SPARK_TYPES[kind]
        else:
            raise InputRejected(f"the lake has a column {column} of type {kind}, unknown to Spark")
        fields.append((column, spark))
    if entry.get("partitioned_by"):
        fields = [(c, t) for c, t in fields if c != PARTITION] + [(PARTITION, "string")]
    return ", ".join(f"`{c}` {t}" for c, t in fields)


def view_columns(name: str, entry: dict) -> list[str]:
    """The columns of a table's view over its files: its own columns in their order (the
    month key of transactions and ticket_lines left out); ticket_months's date back from its
    folder's key."""
    shown = []
    for column, _ in entry["columns"]:
        if entry.get("partitioned_by") and name in KEY_IS_COLUMN and column == PARTITION:
            shown.append(f"cast(concat({PARTITION}, '-01') as date) as {PARTITION}")
        else:
            shown.append(f"`{column}`")
    return shown


def register_lake(spark: Any, dest: str | os.PathLike[str]) -> dict:
    """Temporary views named as memberkit's tables over the lake at `dest`, and its manifest.

    `dest` is a folder this machine reads (local, or a shared mount the Spark cluster sees
    under the same path), or a URI only the cluster reads (hdfs://, s3a://, file://). Spark
    will not read a file whose name starts with `_`, so over a URI the manifest is not read:
    the tables are taken to have this memberkit's schema (a lake of another version then
    fails on its first query instead of being refused up front).

    Each view reads its folder with the schema given, never inferred: an empty table's
    folder has no file to infer from, and the month key stays text."""
    location = str(dest)
    if "://" in location:
        root = location.rstrip("/")
        manifest = {"tables": schema_entries(), "schema_version": SCHEMA_VERSION}
    else:
        manifest = read_manifest(location)
        root = Path(location).resolve().as_uri()
    for name, entry in manifest["tables"].items():
        frame = spark.read.schema(spark_schema(entry)).parquet(f"{root}/{name}")
        frame.selectExpr(*view_columns(name, entry)).createOrReplaceTempView(name)
    return manifest


def schema_entries() -> dict[str, dict]:
    """The tables a lake of this memberkit holds, as its manifest lists them (rows aside)."""
    import duckdb

    from memberkit.schema import ensure_schema

    con = duckdb.connect()
    try:
        ensure_schema(con)
        tables = _tables(con)
    finally:
        con.close()
    return {
        name: {"columns": columns, **({"partitioned_by": PARTITION} if name in PARTITIONED else {})}
        for name, columns in tables.items()
    }
