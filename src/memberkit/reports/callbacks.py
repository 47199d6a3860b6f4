"""会员回访名单 (SPEC 5.9): the members to phone this period, by kind of call-back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from memberkit.errors import UsageError, option
from memberkit.periods import Period, Scope
from memberkit.reports import Report, check_scope, period_params, run_query
from memberkit.reports.analyses import DEFAULT_INACTIVE_DAYS
from memberkit.reports.options import money_threshold

if TYPE_CHECKING:
    import duckdb

KINDS = ("after_sale", "new", "lapsed")  # also the order of the list
DEFAULT_MIN_AMOUNT = Decimal(1000)


def parse_kinds(values: Iterable[str] | None, name: str = "kind") -> tuple[str, ...]:
    """--kind after_sale --kind new, or --kind after_sale,new; none given: every kind.
    Errors name the option as the caller spells it."""
    wanted = {part.strip() for value in values or () for part in value.split(",")} - {""}
    unknown = sorted(wanted - set(KINDS))
    if values and not wanted:  # --kind "" is not "every kind"
        unknown = [repr("".join(values))]
    if unknown:
        raise UsageError(f"{option(name)} takes {', '.join(KINDS)}, not {', '.join(unknown)}")
    return tuple(k for k in KINDS if k in wanted) or KINDS


def call_backs(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    scope: Scope,
    min_amount: Decimal | int | float = DEFAULT_MIN_AMOUNT,
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
    per_store: int | None = None,
    kinds: Iterable[str] = KINDS,
) -> Report:
    """One list of kind, store_id, member_id, name, phone, reason_date, reason_amount,
    ordered by kind, store, amount (highest first), date (latest first) and member id."""
    if scope.by is not None:
        raise UsageError(f"callbacks gives one list; leave out {option('by')}")
    if per_store is not None and per_store < 1:
        raise UsageError(f"{option('per_store')} must be at least 1, not {per_store}")
    kinds = parse_kinds(kinds)
    check_scope(con, scope)
    params = {
        **period_params(period, scope),  # run_query binds only what the query names
        "min_amount": money_threshold(min_amount, "min_amount", low=Decimal(0)),
        "inactive_days": inactive_days,
        "per_store": per_store,
        "kinds": list(kinds),
    }
    rows = run_query(con, "callbacks", params)
    return Report(
        name="callbacks",
        period=period,
        scope=scope,
        rows=rows,
        kinds=kinds,
        options={
            "min_amount": params["min_amount"],
            "inactive_days": inactive_days,
            "per_store": per_store,
        },
    )


def call_back_counts(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope) -> Report:
    """How many members each store has to call, per kind, with an ALL row: the monthly
    workbook's view of the list, which leaves names and phones to `memberkit callbacks`."""
    listed = call_backs(con, period, Scope(store=scope.store, region=scope.region))
    counts: dict[str, dict[str, int]] = {}
    for row in listed.rows:  # ordered by kind, then store
        per_kind = counts.setdefault(row["store_id"], dict.fromkeys(KINDS, 0))
        per_kind[row["kind"]] += 1
    rows = [{"scope": store, **counts[store]} for store in sorted(counts)]
    rows.append({"scope": "ALL", **{kind: sum(r[kind] for r in rows) for kind in KINDS}})
    for row in rows:
        row["total"] = sum(row[kind] for kind in KINDS)
    return replace(listed, name="callback_counts", scope=scope, rows=rows)
