"""Open the DuckDB file: schema, read-only reports, and 'database busy' as a clear error.

Which files may be opened is decided in dbfile.py, the schema kept in schema.py; this module is
the entry the rest of memberkit uses (connect, transaction, SCHEMA_VERSION, DB_ENV...)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from memberkit.dbfile import DEFAULT_DB, _classify, check_db_path
from memberkit.errors import DatabaseBusy, MemberkitError, UsageError
from memberkit.files import side_files_like
from memberkit.schema import SCHEMA_VERSION, _schema_version, ensure_schema

if TYPE_CHECKING:  # duckdb is imported when a connection is made: `--help` stays quick
    import duckdb

DB_ENV = "MEMBERKIT_DB"

MEMORY_ENV = "MEMBERKIT_MEMORY_LIMIT"
# DuckDB's worker threads (default: one per core). 1 when several memberkit processes share
# the cores (the test suite's workers, parallel cron jobs): tiny queries then do not wait on
# threads the other processes hold.
THREADS_ENV = "MEMBERKIT_THREADS"
# A folder: every statement memberkit sends to DuckDB is logged there, one file per
# connection. For debugging, and for the test that proves no input value is ever written
# into SQL text (values are bound parameters, which the log does not show).
SQL_LOG_ENV = "MEMBERKIT_SQL_LOG"


def _config() -> dict[str, str | bool | int]:
    return {
        # Never reach for the network: no extension is installed or loaded behind our back.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        # A cap, so that a big load spills to disk instead of growing with the file
        # (DuckDB's default is 80% of the machine's memory). DuckDB's buffers only: Python,
        # numpy and arrow come on top, so 1.5GB keeps a whole command under 2 GiB (at 100M
        # tickets with 2GB the load peaked at 2.2 GiB and the monthly workbook at 2.4 GiB).
        "memory_limit": os.environ.get(MEMORY_ENV, "1.5GB"),
    } | _threads()


def _threads() -> dict[str, int]:
    given = os.environ.get(THREADS_ENV, "").strip()
    if not given:
        return {}
    if not re.fullmatch(r"[0-9]+", given) or int(given) < 1:
        raise UsageError(
            f"{THREADS_ENV}={given!r} is not a number of threads",
            hint=f"set {THREADS_ENV} to a whole number, 1 or more, or unset it for every core",
        )
    return {"threads": int(given)}


def resolve_db_path(db: str | os.PathLike[str] | None) -> Path:
    """--db, else $MEMBERKIT_DB, else ./memberkit.duckdb."""
    return Path(db or os.environ.get(DB_ENV) or DEFAULT_DB)


def _lock_holder(message: str) -> str:
    """'process 1234 (memberkit load transactions pos.csv)' from DuckDB's lock error."""
    found = re.search(r"PID (\d+)", message)
    if not found:
        return "another process"
    pid = found.group(1)
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # not Linux, or the process has just ended
        return f"process {pid}"
    argv = [a for a in argv if a]
    if len(argv) > 1 and Path(argv[0]).name.startswith("python"):
        argv = argv[1:]  # `python -m memberkit ...` or a script: what it runs says more
        if argv[0] == "-m" and len(argv) > 1:
            argv = argv[1:]
    shown = [Path(argv[0]).name] if argv else []
    rest = iter(argv[1:])
    for arg in rest:  # the message names the database already
        if arg == "--db":
            next(rest, None)
        elif not arg.startswith("--db="):
            shown.append(arg)
    command = " ".join(shown)
    if len(command) > 160:
        command = command[:159] + "…"
    return f"process {pid} ({command})" if command else f"process {pid}"


def _open(
    path: Path, read_only: bool, wait: float, on_wait: Callable[[str], None] | None = None
) -> duckdb.DuckDBPyConnection:
    import duckdb

    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    told = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=_config())
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                if any(t in text for t in ("Permission denied", "Read-only file system")):
                    raise UsageError(
                        f"cannot open the database {path}: {text}",
                        hint="use a --db in a folder you can write to, or ask for access",
                    ) from exc
                raise MemberkitError(f"cannot open the database {path}: {text}") from exc
            if time.monotonic() >= deadline:
                waited = f" (waited {wait:g} s)" if wait > 0 else ""
                raise DatabaseBusy(
                    f"the database {path} is in use by {_lock_holder(text)}{waited}",
                    hint="run this again when that has finished, or pass --wait SECONDS to wait "
                    "for it; a load holds the database until it ends, reports only share it",
                ) from exc
            if on_wait is not None and not told:
                on_wait(
                    f"the database {path} is in use by {_lock_holder(text)}; "
                    f"waiting up to {wait:g} s"
                )
                told = True
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.01)))
            delay = min(delay * 2, 2.0)
            continue
        # DuckDB draws its own progress bar on stderr for long queries, into cron logs too;
        # the load command shows one of its own where there is a terminal.
        con.execute("set enable_progress_bar = false")
        if os.environ.get(SQL_LOG_ENV):
            _log_statements(con, Path(os.environ[SQL_LOG_ENV]))
        return con


def _log_statements(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    import tempfile

    folder.mkdir(parents=True, exist_ok=True)
    # DuckDB truncates the log file when the setting is made: a new file per connection
    fd, log = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=".sql", dir=folder)
    os.close(fd)
    con.execute("set log_query_path = $path", {"path": log})


@contextmanager
def _private_umask() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def connect(
    db: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the database. Writers create it (owner-only) and its schema; readers never write.

    If another process holds it, retry with back-off for up to `wait` seconds (telling
    `on_wait` once), then raise DatabaseBusy naming that process."""
    path = resolve_db_path(db)
    exists = check_db_path(path)
    if read_only:
        if not exists:
            raise UsageError(f"no database at {path}", hint="load data first with `memberkit load`")
        con = _open(path, True, wait, on_wait)
        if _classify(con, path) == "empty":
            con.close()
            raise _no_data(path)
        if _schema_version(con) == SCHEMA_VERSION and not _interrupted_loads(con):
            return con
        # A database from an older memberkit lacks tables the reports read, and one where a
        # load was killed half-way holds its first part: a writer fixes both (the schema
        # only ever adds tables), then the database opens read-only as asked.
        con.close()
        connect(path, wait=wait, on_wait=on_wait).close()
        return _open(path, True, wait, on_wait)
    if exists and Path(f"{path}.wal").exists():
        # Opening for writing replays a pending log into the file: look read-only first,
        # so that another application's file is not changed even then.
        look = _open(path, True, wait, on_wait)
        _classify(look, path)  # refused: closed, and an error raised
        look.close()
    if not exists:
        path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds names and phones: create it readable by its owner only, and the WAL and
    # spill files DuckDB creates beside it no more readable than it.
    with _private_umask():
        con = _open(path, False, wait, on_wait)
    if exists:
        _classify(con, path)  # before the first write
    else:
        path.chmod(0o600)
    side_files_like(path)
    ensure_schema(con)
    undo_interrupted_loads(con)
    return con


def _no_data(path: Path) -> UsageError:
    return UsageError(
        f"the database {path} is an empty DuckDB file: no memberkit data yet",
        hint="load data first with `memberkit load`",
    )


def connect_as_is(
    db: str | os.PathLike[str] | None,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """The database read-only and untouched: unlike connect(), nothing is undone or upgraded
    first (`memberkit check` shows the state an incident left). A writer holding it is
    'database busy', so a 'loading' row seen here is a load that was killed."""
    path = resolve_db_path(db)
    if not check_db_path(path):
        raise UsageError(f"no database at {path}", hint="check the --db path")
    con = _open(path, True, wait, on_wait)
    _classify(con, path)  # another application's file is refused; an empty one fails a check
    return con


def _interrupted_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = con.execute("select load_id from loads where status = 'loading'").fetchall()
    return [r[0] for r in rows]


def undo_interrupted_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Remove what a load committed before it was killed (its ledger row says 'loading').

    A load that must delete some of the rows it inserted commits the inserted rows first
    (see ingest/loader.py); if the process dies before the second transaction commits, the
    rows of that load are taken out here, on the next open, and the file loads again."""
    load_ids = _interrupted_loads(con)
    if not load_ids:
        return []
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_columns() where column_name = 'load_id' "
            "and database_name = current_database() and schema_name = 'main' "
            "and table_name <> 'loads'"
        ).fetchall()
    ]
    with transaction(con):
        for table in tables:  # names from the catalog, not from input
            con.execute(
                f"delete from {table} where list_contains($ids, load_id)", {"ids": load_ids}
            )
        con.execute("delete from loads where list_contains($ids, load_id)", {"ids": load_ids})
    return load_ids


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One explicit transaction. Any failure rolls back: DuckDB's client may otherwise let a
    later COMMIT silently discard work after a failed statement (STYLE.md).

    The error that failed the work is the one raised: a COMMIT inside the block that failed
    (a full disk) leaves DuckDB no transaction to roll back, and "cannot rollback - no
    transaction is active" would hide the reason. Nothing uncommitted is ever kept."""
    import duckdb

    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        try:
            con.execute("rollback")
        except duckdb.Error:
            pass  # no transaction left (see above), or none that could be kept: re-raise
        raise
    con.execute("commit")


def asset_dir(name: str) -> Path:
    """queries/ or templates/: shipped inside the wheel, or at the top of a source checkout."""
    packaged = resources.files("memberkit").joinpath(name)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise MemberkitError(f"memberkit is installed without its {name}/ folder")


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """Run a query with bound parameters and return a polars DataFrame.

    duckdb 2.x offers .pl() on relations only, and refuses a new relation while an
    execute() result is unfinished, so callers fetch execute() results fully."""
    return con.sql(sql, params=params or {}).pl()


def record_load(
    con,
    load_id: int,
    kind: str,
    *,
    name: str,
    path: str,
    status: str,
    started,
    sha256: str = "",
    size: int = 0,
    encoding: str = "",
    delimiter: str | None = None,
    read: int = 0,
    loaded: int = 0,
    replaced: int = 0,
    duplicates: int = 0,
    rejected: int = 0,
) -> None:
    """The loads ledger row of load_id (inserted, or replaced as a load moves on): every
    change the database's rows undergo is one (a file loaded, a count posted)."""
    con.execute(
        "insert or replace into loads values ($id, $kind, $name, $path, $sha, $size, $enc, "
        "$delim, $read, $loaded, $replaced, $dup, $rej, $status, $started, $finished)",
        {
            "id": load_id,
            "kind": kind,
            "name": name,
            "path": path,
            "sha": sha256,
            "size": size,
            "enc": encoding,
            "delim": delimiter,
            "read": read,
            "loaded": loaded,
            "replaced": replaced,
            "dup": duplicates,
            "rej": rejected,
            "status": status,
            "started": started,
            "finished": datetime.now(),
        },
    )
