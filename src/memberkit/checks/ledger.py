"""The loads ledger checks: no load left half-done, each ledger row adds up, the rejects
table and each kind's rows agree with the ledger."""

from __future__ import annotations

from collections import Counter

from memberkit.checks.common import (
    _FINISHED,
    _SHOWN,
    FAIL,
    PASS,
    CheckResult,
    _listed,
    _Load,
    _shown,
)
from memberkit.errors import counted
from memberkit.ingest.kinds import KINDS, Kind


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
        f"{counted(len(interrupted), 'interrupted load')} holding {counted(rows, 'row')}: "
        f"{named}{more}; "
        "they are undone the next time another memberkit command opens the database; "
        "then load those files again",
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
        f"{counted(finished, 'finished load')}: read = loaded + duplicate + rejected "
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
            bad.append(f"{counted(n, 'reject')} of load {load_id}, which has no ledger row")
        elif kind != load.kind:
            bad.append(f"{counted(n, 'reject')} of load {load_id} say {kind}, the load {load.kind}")
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
        "rejects", PASS, 0, f"{counted(total, 'reject')}, as many as each load's rows_rejected"
    )


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
            bad.append(f"{counted(n, 'row')} of {table} with {what} {load_id}, {why}")

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
    lines = ""
    if rolled:
        lines = f"; {counted(rolled, 'row')} rolled up from line loads (see rolled_up)"
    return CheckResult(
        name,
        PASS,
        0,
        f"{kind.table}: {counted(rows, 'row')} from {counted(len(finished), 'load')}, "
        f"{equation}{lines}",
    )
