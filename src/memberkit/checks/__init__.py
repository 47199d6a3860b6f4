"""memberkit check: verify the database's invariants after a crash, a killed job or a full disk.

Every check is a few aggregate queries (no Python per data row) over a connection opened
read-only *as the database is*: db.connect would first undo interrupted loads and upgrade an
old schema, which are exactly the states an operator wants to see after an incident. The
other checks look at the database as it will be once those loads are undone, so that one
killed load is reported once, by `interrupted_loads`, and not again as the duplicate keys and
unlisted stores its half-finished rows would show.

Table and column names come only from KINDS and DuckDB's catalog; values are bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memberkit import db
from memberkit.checks.common import FAIL, PASS, CheckResult, _Load
from memberkit.checks.keys import _load_id_sequence, _rolled_up, _ticket_stores, _unique_keys
from memberkit.checks.ledger import _interrupted_loads, _ledger, _load_arithmetic, _rejects
from memberkit.checks.summaries import _member_keys, _ticket_months
from memberkit.ingest.kinds import KINDS

if TYPE_CHECKING:
    import duckdb


def all_ok(results: list[CheckResult]) -> bool:
    return all(r.status != FAIL for r in results)


def run_checks(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Every check, in a fixed order; checks whose tables are missing are not run (the
    schema check says which)."""
    tables = _tables(con)
    if "meta" not in tables:
        return [CheckResult("schema_version", FAIL, 1, "no meta table: not a memberkit database")]
    wanted = {"loads", "rejects", "ticket_stores", "member_keys", "ticket_months"}
    for kind in KINDS.values():
        wanted |= {kind.table, kind.history_table} - {None}
    missing = sorted(wanted - tables)
    results = [_schema_version(con, missing)]
    if "loads" in missing or "rejects" in missing:
        return results

    loads = _loads(con)
    interrupted = [load for load in loads.values() if load.status == "loading"]
    skip = [load.load_id for load in interrupted]
    held = {
        kind.name: _rows_by_load(con, kind.table) for kind in KINDS.values() if kind.table in tables
    }
    history = {
        kind.name: (
            _rows_by_load(con, kind.history_table),
            _rows_by_load(con, kind.history_table, "replaced_by_load_id"),
        )
        for kind in KINDS.values()
        if kind.history_table and kind.history_table in tables
    }
    results.append(_interrupted_loads(interrupted, held, history))
    results.append(_load_id_sequence(con, loads))
    results.append(_load_arithmetic(loads))
    results.append(_rejects(con, loads, skip))
    for kind in KINDS.values():
        if kind.table in tables:
            results.append(_unique_keys(con, kind, skip))
    for kind in KINDS.values():
        if kind.table in tables and not (kind.history_table and kind.name not in history):
            results.append(_ledger(kind, loads, held[kind.name], history.get(kind.name)))
    for kind in KINDS.values():
        if kind.rolls_up_into and {kind.table, kind.rolls_up_into} <= tables:
            results.append(_rolled_up(con, kind, skip))
    if {"transactions", "ticket_stores", "stores"} <= tables:
        results += _ticket_stores(con, skip)
    if {"transactions", "member_keys"} <= tables:
        results.append(_member_keys(con, skip))
        if "ticket_months" in tables:
            results.append(_ticket_months(con, skip))
    return results


# --- the checks (the others: ledger.py, keys.py) ---------------------------------------


def _schema_version(con, missing: list[str]) -> CheckResult:
    rows = con.execute("select value from meta where key = 'schema_version'").fetchall()
    version = rows[0][0] if rows else None
    current = db.SCHEMA_VERSION
    if version == current and not missing:
        return CheckResult("schema_version", PASS, 0, f"schema {version}, the current one")
    if version is None:
        why = "meta holds no schema_version"
    elif version == current:
        why = f"schema {version}, but tables are missing"
    elif version.isdigit() and int(version) < int(current):
        why = (
            f"schema {version}, this memberkit uses {current}: it is upgraded the next time "
            "another memberkit command opens the database"
        )
    else:
        why = f"schema {version}, this memberkit uses {current}"
    if missing:
        why += f"; not checked, as these tables are missing: {', '.join(missing)}"
    return CheckResult("schema_version", FAIL, 1, why)


# --- helpers ----------------------------------------------------------------------------


def _tables(con) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = 'main'"
        ).fetchall()
    }


def _loads(con) -> dict[int, _Load]:
    cursor = con.execute(
        "select load_id, kind, file_name, status, started_at, rows_read, rows_loaded, "
        "rows_replaced, rows_duplicate, rows_rejected from loads order by load_id"
    )
    return {row[0]: _Load(*row) for row in cursor.fetchall()}


def _rows_by_load(con, table: str, column: str = "load_id") -> dict[int, int]:
    """Rows per load id: one aggregate over the column (table and column names are ours)."""
    return dict(con.execute(f"select {column}, count(*) from {table} group by {column}").fetchall())
