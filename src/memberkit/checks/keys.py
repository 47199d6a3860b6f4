"""Key and store checks: the next load id is new, no key is held twice, and ticket_stores
lists exactly the stores on tickets."""

from __future__ import annotations

from dataclasses import replace

from memberkit.checks.common import FAIL, PASS, WARN, CheckResult, _ids, _Load, _shown
from memberkit.errors import counted
from memberkit.ingest.kinds import Kind


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
            f"{counted(keys, 'key')} of {kind.table} ({key}) {held}, {counted(rows, 'row')} in "
            f"all; e.g. ({shown})",
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
            f"{counted(unlisted, 'store')} on tickets missing from ticket_stores: "
            f"{_ids(unlisted_ids)}; reports would leave them out of store lists",
        )
    elif extra or doubled:
        listed = CheckResult(
            "ticket_stores",
            WARN,
            extra + doubled,
            f"ticket_stores lists {counted(extra, 'store')} without tickets and "
            f"{counted(doubled, 'store')} twice; reports would list them with zeros",
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
            f"{counted(unknown, 'store')} on tickets not in the stores table: {_ids(unknown_ids)} "
            "(they count for the company; load a stores file that lists them)",
        )
    else:
        known = CheckResult(
            "stores_on_tickets", PASS, 0, "every store on a ticket is in the stores table"
        )
    return [listed, known]


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
            f"{counted(bad, 'ticket')} of {kind.table} loads not rolled up into "
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
