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

from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from memberkit import db
from memberkit.errors import printable
from memberkit.ingest.kinds import KINDS, Kind

if TYPE_CHECKING:
    import duckdb

PASS, WARN, FAIL = "pass", "warn", "fail"

# Statuses a finished load may have; 'loading' marks a load under way (or killed).
_FINISHED = ("loaded", "refused")
_SHOWN = 5  # how many load ids or store ids a detail line names


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # pass | warn | fail
    count: int  # how many things break the invariant (0 when it holds)
    detail: str  # one line

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Load:
    load_id: int
    kind: str
    file_name: str
    status: str
    started_at: object
    rows_read: int
    rows_loaded: int
    rows_replaced: int
    rows_duplicate: int
    rows_rejected: int


def all_ok(results: list[CheckResult]) -> bool:
    return all(r.status != FAIL for r in results)


def run_checks(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Every check, in a fixed order; checks whose tables are missing are not run (the
    schema check says which)."""
    tables = _tables(con)
    if "meta" not in tables:
        return [CheckResult("schema_version", FAIL, 1, "no meta table: not a memberkit database")]
    wanted = {"loads", "rejects", "ticket_stores"}
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
    return results


# --- the checks -------------------------------------------------------------------------


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


def _interrupted_loads(interrupted: list[_Load], held, history) -> CheckResult:
    """No load left half-done: a 'loading' ledger row is a load that committed its bulk rows
    and was killed before it finished (see loader._commit_bulk_rows)."""
    if not interrupted:
        return CheckResult("interrupted_loads", PASS, 0, "no load was left half-done")
    ids = {load.load_id for load in interrupted}
    rows = sum(n for by_load in held.values() for i, n in by_load.items() if i in ids)
    rows += sum(n for by_load, _ in history.values() for i, n in by_load.items() if i in ids)
    named = ", ".join(
        f"{load.load_id} ({load.kind} {_shown(load.file_name)}, "
        f"started {load.started_at:%Y-%m-%d %H:%M})"
        for load in interrupted[:_SHOWN]
    )
    more = f" and {len(interrupted) - _SHOWN} more" if len(interrupted) > _SHOWN else ""
    return CheckResult(
        "interrupted_loads",
        FAIL,
        len(interrupted),
        f"{_n(len(interrupted), 'interrupted load')} holding {_n(rows, 'row')}: {named}{more}; "
        "they are undone the next time another memberkit command opens the database; "
        "then load those files again",
    )


def _load_id_sequence(con, loads: dict[int, _Load]) -> CheckResult:
    """The next load id is new: the load_ids sequence is at or past every load id in use
    (a load given a used id would overwrite that load's ledger row)."""
    rows = con.execute(
        "select last_value from duckdb_sequences() where sequence_name = 'load_ids' "
        "and database_name = current_database() and schema_name = 'main'"
    ).fetchall()
    if not rows:
        return CheckResult("load_id_sequence", FAIL, 1, "the load_ids sequence is missing")
    last = rows[0][0]
    highest = max(loads, default=None)
    if highest is not None and (last is None or last < highest):
        return CheckResult(
            "load_id_sequence",
            FAIL,
            1,
            f"the load_ids sequence is at {last}, behind load {highest}: the next load "
            "would reuse an id",
        )
    return CheckResult(
        "load_id_sequence",
        PASS,
        0,
        f"the load_ids sequence (at {0 if last is None else last}) is past every load id",
    )


def _load_arithmetic(loads: dict[int, _Load]) -> CheckResult:
    """Each finished ledger row adds up. The loader stores rows_loaded = read - duplicate -
    rejected, with replaced rows counted within loaded; a refused load loads nothing."""
    bad: list[str] = []
    for load in loads.values():
        if load.status == "loading":
            continue  # reported by interrupted_loads; its counts are still zero
        kind = KINDS.get(load.kind)
        counts = (
            load.rows_read,
            load.rows_loaded,
            load.rows_replaced,
            load.rows_duplicate,
            load.rows_rejected,
        )
        problem = None
        if kind is None:
            problem = f"unknown kind {load.kind!r}"
        elif load.status not in _FINISHED:
            problem = f"unknown status {load.status!r}"
        elif min(counts) < 0:
            problem = "a negative count"
        elif load.status == "loaded" and load.rows_read != (
            load.rows_loaded + load.rows_duplicate + load.rows_rejected
        ):
            problem = (
                f"read {load.rows_read} ≠ loaded {load.rows_loaded} + duplicate "
                f"{load.rows_duplicate} + rejected {load.rows_rejected}"
            )
        elif load.status == "refused" and (load.rows_loaded or load.rows_replaced):
            problem = "refused but counts loaded or replaced rows"
        elif load.status == "refused" and not load.rows_rejected:
            problem = "refused without a rejected row"
        elif load.status == "refused" and (
            load.rows_duplicate + load.rows_rejected > load.rows_read
        ):
            problem = "duplicate + rejected > read"
        elif load.rows_replaced > load.rows_loaded:
            problem = f"replaced {load.rows_replaced} > loaded {load.rows_loaded}"
        elif kind.on_conflict != "replace" and load.rows_replaced:
            problem = f"{kind.name} rows are never replaced, yet replaced {load.rows_replaced}"
        if problem:
            bad.append(f"load {load.load_id}: {problem}")
    finished = sum(1 for load in loads.values() if load.status != "loading")
    if bad:
        return CheckResult("load_arithmetic", FAIL, len(bad), _listed(bad))
    return CheckResult(
        "load_arithmetic",
        PASS,
        0,
        f"{_n(finished, 'finished load')}: read = loaded + duplicate + rejected "
        "(refused: nothing loaded)",
    )


def _rejects(con, loads: dict[int, _Load], skip: list[int]) -> CheckResult:
    """The rejects table holds rows_rejected rows for each load, of that load's kind, and
    none for a load the ledger does not know."""
    by_load = {
        (load_id, kind): n
        for load_id, kind, n in con.execute(
            "select load_id, kind, count(*) from rejects "
            "where not list_contains($skip, load_id) group by load_id, kind",
            {"skip": skip},
        ).fetchall()
    }
    bad: list[str] = []
    held = Counter()
    for (load_id, kind), n in sorted(by_load.items()):
        load = loads.get(load_id)
        if load is None:
            bad.append(f"{_n(n, 'reject')} of load {load_id}, which has no ledger row")
        elif kind != load.kind:
            bad.append(f"{_n(n, 'reject')} of load {load_id} say {kind}, the load {load.kind}")
        else:
            held[load_id] += n
    for load in loads.values():
        if load.status != "loading" and held[load.load_id] != load.rows_rejected:
            bad.append(
                f"load {load.load_id}: rows_rejected {load.rows_rejected}, "
                f"rejects holds {held[load.load_id]}"
            )
    if bad:
        return CheckResult("rejects", FAIL, len(bad), _listed(bad))
    total = sum(held.values())
    return CheckResult(
        "rejects", PASS, 0, f"{_n(total, 'reject')}, as many as each load's rows_rejected"
    )


def _unique_keys(con, kind: Kind, skip: list[int]) -> CheckResult:
    """No two rows share a key (KINDS' key: the loader dedupes, replaces or rejects by it;
    nulls in optional key columns match each other, as in the loader).

    Movements (gift moves) may repeat a key: two identical rows of a file are two handouts.
    What the loader keeps unique there is a key with a ref across loads: a later load's row
    with such a key is skipped or rejected, so each is held by the rows of one load."""
    lines = kind.rolls_up_into is not None
    if lines:  # identical lines are two sales: a ticket is one load's
        kind = replace(kind, key=("txn_id",), movement_ref="txn_id")
    key = ", ".join(kind.key)
    ref = kind.movement_ref
    keys, rows, example = con.execute(
        f"""
        select count(*), coalesce(sum(n), 0), min(example)
        from (
            select count(*) as n, [{", ".join(f"{k}::varchar" for k in kind.key)}] as example
            from {kind.table}
            where not list_contains($skip, load_id) {f"and {ref} is not null" if ref else ""}
            group by {key}
            having {"count(distinct load_id)" if ref else "count(*)"} > 1
        )
        """,
        {"skip": skip},
    ).fetchall()[0]
    name = f"unique_keys.{kind.name}"
    if keys:
        shown = ", ".join("null" if v is None else _shown(v) for v in example)
        held = "held by rows of more than one load" if ref else "held by more than one row"
        return CheckResult(
            name,
            FAIL,
            keys,
            f"{_n(keys, 'key')} of {kind.table} ({key}) {held}, {rows} rows in all; e.g. ({shown})",
        )
    if lines:
        return CheckResult(
            name, PASS, 0, f"{kind.table}: each ticket's ({key}) lines from one load"
        )
    if ref:
        return CheckResult(
            name,
            PASS,
            0,
            f"{kind.table}: each ({key}) with a {ref} from one load (rows without one, "
            "and the rows of one file, are movements each)",
        )
    return CheckResult(name, PASS, 0, f"{kind.table}: one row per ({key})")


def _ledger(
    kind: Kind,
    loads: dict[int, _Load],
    held: dict[int, int],
    history: tuple[dict[int, int], dict[int, int]] | None,
) -> CheckResult:
    """The kind's rows agree with its ledger rows.

    Every row belongs to a 'loaded' load of this kind (a refused load holds none). Then:
    - kinds that reject a changed key (transactions, gift-moves): rows(L) = rows_loaded(L);
    - members (replaced rows go to members_history with their own load_id, and
      replaced_by_load_id the load that replaced them): rows(L) + history(L) = rows_loaded(L),
      history replaced by L = rows_replaced(L);
    - other kinds that replace without history (stores, targets, gifts, gift-counts): a load's
      rows only leave when a later load of the kind replaces them, one for one, so
      rows(L) ≤ rows_loaded(L); for every load t, the rows missing from loads ≥ t are at most
      the rows replaced by loads > t; and in total
      Σ rows = Σ (rows_loaded - rows_replaced).
    """
    name = f"ledger.{kind.name}"
    finished = {
        i: load for i, load in loads.items() if load.kind == kind.name and load.status == "loaded"
    }
    interrupted = {i for i, load in loads.items() if load.status == "loading"}
    bad: list[str] = []

    def strays(by_load: dict[int, int], table: str, what: str = "load_id") -> None:
        for load_id, n in sorted(by_load.items()):
            if load_id in finished or load_id in interrupted:
                continue
            load = loads.get(load_id)
            if (
                load is not None
                and load.status == "loaded"
                and kind.table == getattr(KINDS.get(load.kind), "rolls_up_into", None)
            ):
                continue  # tickets rolled up from lines: checked by _rolled_up
            why = (
                "which has no ledger row"
                if load is None
                else f"a {load.status} load"
                if load.kind == kind.name
                else f"a {load.kind} load"
            )
            bad.append(f"{_n(n, 'row')} of {table} with {what} {load_id}, {why}")

    strays(held, kind.table)
    if kind.on_conflict != "replace":
        for load in finished.values():
            if held.get(load.load_id, 0) != load.rows_loaded:
                bad.append(
                    f"load {load.load_id}: rows_loaded {load.rows_loaded}, "
                    f"{kind.table} holds {held.get(load.load_id, 0)}"
                )
    elif history is not None:
        kept, replaced_by = history
        strays(kept, kind.history_table)
        strays(replaced_by, kind.history_table, "replaced_by_load_id")
        for load in finished.values():
            current, old = held.get(load.load_id, 0), kept.get(load.load_id, 0)
            if current + old != load.rows_loaded:
                bad.append(
                    f"load {load.load_id}: rows_loaded {load.rows_loaded}, {kind.table} "
                    f"{current} + {kind.history_table} {old}"
                )
            if replaced_by.get(load.load_id, 0) != load.rows_replaced:
                bad.append(
                    f"load {load.load_id}: rows_replaced {load.rows_replaced}, "
                    f"{kind.history_table} replaced by it {replaced_by.get(load.load_id, 0)}"
                )
    else:
        gone_since = 0  # rows missing from loads ≥ t
        replaced_after = 0  # rows replaced by loads > t
        for load in sorted(finished.values(), key=lambda x: x.load_id, reverse=True):
            current = held.get(load.load_id, 0)
            if current > load.rows_loaded:
                bad.append(
                    f"load {load.load_id}: rows_loaded {load.rows_loaded}, "
                    f"{kind.table} holds {current}"
                )
            gone_since += load.rows_loaded - current
            if gone_since > replaced_after:
                bad.append(
                    f"loads from {load.load_id} on: {gone_since} rows gone, later loads "
                    f"replaced {replaced_after}"
                )
                break
            replaced_after += load.rows_replaced
        else:
            if gone_since != replaced_after:
                bad.append(f"{kind.table}: {gone_since} rows gone, loads replaced {replaced_after}")
    if bad:
        return CheckResult(name, FAIL, len(bad), _listed(bad))
    rows = sum(n for i, n in held.items() if i in finished)
    rolled = sum(n for i, n in held.items() if i not in finished and i not in interrupted)
    equation = (
        "rows = rows_loaded per load"
        if kind.on_conflict != "replace"
        else f"rows + {kind.history_table} = rows_loaded, replaced = rows_replaced per load"
        if history is not None
        else "rows = Σ (rows_loaded - rows_replaced)"
    )
    # the rest are tickets rolled up from line loads (strays() let only those through)
    lines = f"; {_n(rolled, 'row')} rolled up from line loads (see rolled_up)" if rolled else ""
    return CheckResult(
        name,
        PASS,
        0,
        f"{kind.table}: {_n(rows, 'row')} from {_n(len(finished), 'load')}, {equation}{lines}",
    )


def _rolled_up(con, kind: Kind, skip: list[int]) -> CheckResult:
    """Each ticket of a line load is one row of the tickets table, of that load, holding the
    sums of its lines and the store, time and member they all agree on; and each such row
    has lines (SPEC 3.2)."""
    name = f"rolled_up.{kind.name}"
    bad, example = con.execute(
        f"""
        with line_loads as (
            select load_id from loads where kind = $kind and status = 'loaded'
              and not list_contains($skip, load_id)
        ),
        rolled as (
            select txn_id, load_id, sum(amount) as amount, sum(qty) as item_qty,
                min(store_id) as store_id, min(txn_time) as txn_time,
                min(member_id) as member_id,
                min(store_id) <> max(store_id) or min(txn_time) <> max(txn_time)
                    or min(member_id) <> max(member_id)
                    or count(member_id) not in (0, count(*)) as disagree
            from {kind.table} where load_id in (select load_id from line_loads)
            group by txn_id, load_id
        ),
        tickets as (
            select txn_id, load_id, store_id, txn_time, member_id, amount, item_qty
            from {kind.rolls_up_into}
            where load_id in (select load_id from line_loads)
        )
        select count(*), min(coalesce(r.txn_id, t.txn_id))
        from rolled r full join tickets t on r.txn_id = t.txn_id and r.load_id = t.load_id
        where r.amount is distinct from t.amount or r.item_qty is distinct from t.item_qty
            or r.store_id is distinct from t.store_id or r.txn_time is distinct from t.txn_time
            or r.member_id is distinct from t.member_id or r.disagree
        """,
        {"kind": kind.name, "skip": skip},
    ).fetchall()[0]
    if bad:
        return CheckResult(
            name,
            FAIL,
            bad,
            f"{_n(bad, 'ticket')} of {kind.table} loads not rolled up into "
            f"{kind.rolls_up_into} as the sums of their lines, with the store, time and "
            f"member they agree on; e.g. {_shown(example)}",
        )
    return CheckResult(
        name,
        PASS,
        0,
        f"every ticket of {kind.table} is one {kind.rolls_up_into} row: the sums of its lines, "
        "their store, time and member",
    )


def _ticket_stores(con, skip: list[int]) -> list[CheckResult]:
    """ticket_stores lists exactly the stores on tickets (the loader adds each new one);
    stores on tickets that the stores master lacks are normal, and shown as a warning."""
    unlisted, unlisted_ids, extra, doubled, unknown, unknown_ids = con.execute(
        """
        with on_tickets as (
            select distinct store_id from transactions where not list_contains($skip, load_id)
        ),
        unlisted as (
            select store_id from on_tickets
            where store_id not in (select store_id from ticket_stores)
        ),
        unknown as (
            select store_id from on_tickets where store_id not in (select store_id from stores)
        )
        select
            (select count(*) from unlisted),
            (select list(store_id order by store_id) from unlisted),
            (select count(*) from ticket_stores
             where store_id not in (select store_id from on_tickets)),
            (select count(*) - count(distinct store_id) from ticket_stores),
            (select count(*) from unknown),
            (select list(store_id order by store_id) from unknown)
        """,
        {"skip": skip},
    ).fetchall()[0]
    if unlisted:
        listed = CheckResult(
            "ticket_stores",
            FAIL,
            unlisted,
            f"{_n(unlisted, 'store')} on tickets missing from ticket_stores: "
            f"{_ids(unlisted_ids)}; reports would leave them out of store lists",
        )
    elif extra or doubled:
        listed = CheckResult(
            "ticket_stores",
            WARN,
            extra + doubled,
            f"ticket_stores lists {_n(extra, 'store')} without tickets and "
            f"{_n(doubled, 'store')} twice; reports would list them with zeros",
        )
    else:
        listed = CheckResult(
            "ticket_stores", PASS, 0, "ticket_stores lists exactly the stores on tickets"
        )
    if unknown:
        known = CheckResult(
            "stores_on_tickets",
            WARN,
            unknown,
            f"{_n(unknown, 'store')} on tickets not in the stores table: {_ids(unknown_ids)} "
            "(they count for the company; load a stores file that lists them)",
        )
    else:
        known = CheckResult(
            "stores_on_tickets", PASS, 0, "every store on a ticket is in the stores table"
        )
    return [listed, known]


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


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _shown(text: str) -> str:
    """A value from a file, for a terminal line: no control characters, not too long."""
    text = printable(text)
    return text if len(text) <= 60 else text[:59] + "…"


def _ids(values: list[str]) -> str:
    shown = ", ".join(_shown(v) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


def _listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:3])
    return shown + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
